"""``FakeOpenAIServer``: an OpenAI-compatible endpoint on 127.0.0.1 answering from a script or a function.

It speaks ``POST /v1/chat/completions`` and ``POST /v1/responses`` (non-streaming and streaming), with tool
calls, usage, ids and finish reasons, well enough for the official ``openai`` client to parse. One script item
gives the same reply through either API. A streamed reply comes in pieces (a word of text, a few characters of
tool-call arguments, one server-sent event each); with ``chunk_gap`` set, each event is its own HTTP chunk, that
many seconds after the one before, so a test can see the first piece arrive long before the last.
"""

from __future__ import annotations

import inspect
import itertools
import json as jsonlib
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ._loopback import Answer, Fault, LoopbackServer, RecordedRequest, Response

__all__ = ["FakeOpenAIServer", "Reply"]

ToolCallScript = tuple[str, Any]
"""``(name, arguments)``: arguments as a JSON-able value, or a ``str`` sent as is (malformed JSON, say)."""

Handler = Callable[[dict[str, Any]], "Reply | Fault | str | Awaitable[Reply | Fault | str]"]

_CHAT_PATH, _RESPONSES_PATH = "/v1/chat/completions", "/v1/responses"
_STOP_TO_STATUS = {"length": "max_output_tokens", "content_filter": "content_filter"}


@dataclass(frozen=True)
class Reply:
    """One model reply. Token counts left as None are estimated (about 4 characters a token)."""

    text: str | None = None
    tool_calls: Sequence[ToolCallScript] = ()
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None  # None: "tool_calls" when there are tool calls, else "stop"


class FakeOpenAIServer(LoopbackServer):
    """A loopback OpenAI endpoint. Point a client at ``base_url``.

    Replies come from the script (``enqueue``, ``enqueue_fault``, ``enqueue_malformed_tool_call``), in order, or
    from ``handler(request_json)`` when given. ``inject`` queues faults that come before the script: a request
    that meets one consumes no script item. When the script runs out the server answers HTTP 500 saying so, with
    ``x-should-retry: false`` so retrying clients fail at once.
    """

    def __init__(self, handler: Handler | None = None, *, latency: float = 0.0, chunk_gap: float = 0.0) -> None:
        super().__init__(self._route, latency=latency)
        self.handler = handler
        self.chunk_gap = chunk_gap
        self._script: deque[Reply | Fault] = deque()
        self._script_lock = threading.Lock()
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        """The URL to give an OpenAI client: ``url + "/v1"``."""
        return self.url + "/v1"

    def enqueue(
        self,
        reply: Reply | None = None,
        *,
        text: str | None = None,
        tool_calls: Sequence[ToolCallScript] = (),
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        finish_reason: str | None = None,
    ) -> Reply:
        """Add one reply to the script: a ``Reply``, or one built from the keywords."""
        if reply is None:
            reply = Reply(text, tuple(tool_calls), input_tokens, output_tokens, finish_reason)
        with self._script_lock:
            self._script.append(reply)
        return reply

    def enqueue_fault(self, *faults: Fault) -> None:
        """Add faults to the script, in order with the replies (unlike ``inject``, which comes first)."""
        with self._script_lock:
            self._script.extend(faults)

    def enqueue_malformed_tool_call(self, name: str, arguments: str = '{"reason": "unfinished') -> Reply:
        """Add a reply calling ``name`` with arguments that are not valid JSON."""
        return self.enqueue(tool_calls=[(name, arguments)])

    @property
    def pending(self) -> int:
        """Script items not consumed yet."""
        return len(self._script)

    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies the client sent to ``/v1/chat/completions``, in order."""
        return self._bodies(_CHAT_PATH)

    def responses_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies the client sent to ``/v1/responses``, in order."""
        return self._bodies(_RESPONSES_PATH)

    def model_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies sent to either API, in order."""
        return [r.json() for r in list(self.requests) if r.path in (_CHAT_PATH, _RESPONSES_PATH)]

    def _bodies(self, path: str) -> list[dict[str, Any]]:
        return [r.json() for r in list(self.requests) if r.path == path]

    async def _route(self, request: RecordedRequest) -> Answer:
        if request.method != "POST" or request.path not in (_CHAT_PATH, _RESPONSES_PATH):
            message = f"FakeOpenAIServer serves POST {_CHAT_PATH} and POST {_RESPONSES_PATH}, not {request.method} "
            return _error(404, message + request.path)
        body = request.json()
        item = await self._next_reply(body)
        if isinstance(item, Fault):
            return item
        if item is None:
            return _error(500, self._ran_out_message(request), headers={"x-should-retry": "false"})
        return self._render(request, body, item)

    async def _next_reply(self, body: dict[str, Any]) -> Reply | Fault | None:
        if self.handler is not None:
            reply = self.handler(body)
            if inspect.isawaitable(reply):
                reply = await reply
            return Reply(text=reply) if isinstance(reply, str) else reply
        with self._script_lock:
            return self._script.popleft() if self._script else None

    def _ran_out_message(self, request: RecordedRequest) -> str:
        return (
            f"FakeOpenAIServer: the script ran out: request #{len(self.requests)} ({request.path}) has no reply "
            "queued. Queue one more with server.enqueue(text=...) or enqueue(tool_calls=[...]), "
            "or pass FakeOpenAIServer(handler=fn)."
        )

    def _render(self, request: RecordedRequest, body: dict[str, Any], reply: Reply) -> Response:
        usage = _usage(request, reply)
        n = next(self._ids)
        call_ids = [f"call_{n}_{i}" for i in range(len(reply.tool_calls))]
        model = str(body.get("model", "fake-model"))
        if request.path == _CHAT_PATH:
            payload = _chat_completion(n, model, reply, call_ids, usage)
            if body.get("stream"):
                return _sse(_chat_chunks(payload, body), self.chunk_gap)
            return Response(json=payload)
        payload = _response(n, model, reply, call_ids, usage)
        return _sse(_response_events(payload), self.chunk_gap) if body.get("stream") else Response(json=payload)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    error = {"message": message, "type": "fake_openai_error", "param": None, "code": None}
    return Response(status, json={"error": error}, headers=headers or {})


def _arguments(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else jsonlib.dumps(arguments)


def _usage(request: RecordedRequest, reply: Reply) -> tuple[int, int]:
    written = len(reply.text or "") + sum(len(n) + len(_arguments(a)) for n, a in reply.tool_calls)
    input_tokens = reply.input_tokens if reply.input_tokens is not None else max(1, len(request.body) // 4)
    output_tokens = reply.output_tokens if reply.output_tokens is not None else max(1, written // 4)
    return input_tokens, output_tokens


def _finish_reason(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _chat_completion(
    n: int, model: str, reply: Reply, call_ids: list[str], usage: tuple[int, int]
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": _arguments(args)}}
            for call_id, (name, args) in zip(call_ids, reply.tool_calls, strict=True)
        ]
    return {
        "id": f"chatcmpl-fake{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": _finish_reason(reply), "logprobs": None}],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }


def _response(n: int, model: str, reply: Reply, call_ids: list[str], usage: tuple[int, int]) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    if reply.text is not None:
        content = [{"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}]
        output.append(
            {"type": "message", "id": f"msg_fake{n}", "status": "completed", "role": "assistant", "content": content}
        )
    output += [
        {"type": "function_call", "id": f"fc_fake{n}_{i}", "call_id": call_id, "name": name,
         "arguments": _arguments(args), "status": "completed"}
        for i, (call_id, (name, args)) in enumerate(zip(call_ids, reply.tool_calls, strict=True))
    ]  # fmt: skip
    incomplete = _STOP_TO_STATUS.get(_finish_reason(reply))
    return {
        "id": f"resp_fake{n}",
        "object": "response",
        "created_at": time.time(),
        "status": "incomplete" if incomplete else "completed",
        "incomplete_details": {"reason": incomplete} if incomplete else None,
        "error": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": usage[0],
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": usage[1],
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": sum(usage),
        },
    }


def _sse(events: Iterator[Any], chunk_gap: float) -> Response:
    lines = [f"data: {e if isinstance(e, str) else jsonlib.dumps(e)}\n\n".encode() for e in events]
    headers = {"content-type": "text/event-stream"}
    if chunk_gap > 0:
        return Response(chunks=lines, chunk_gap=chunk_gap, headers=headers)
    return Response(body=b"".join(lines), headers=headers)


def text_pieces(text: str) -> list[str]:
    """How the fake streams text: a word at a time, each with the spaces before it."""
    return re.findall(r"\s*\S+|\s+$", text) or [text]


def argument_pieces(arguments: str, size: int = 8) -> list[str]:
    """How the fake streams tool-call arguments: ``size`` characters at a time, so JSON is cut anywhere."""
    return [arguments[i : i + size] for i in range(0, len(arguments), size)] or [""]


def _chat_chunks(completion: dict[str, Any], body: dict[str, Any]) -> Iterator[Any]:
    choice, base = completion["choices"][0], {k: completion[k] for k in ("id", "created", "model")}
    base["object"] = "chat.completion.chunk"
    message = choice["message"]

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}

    yield chunk({"role": "assistant", "content": "" if message["content"] is not None else None})
    for piece in text_pieces(message["content"]) if message["content"] else ():
        yield chunk({"content": piece})
    for index, call in enumerate(message.get("tool_calls") or ()):
        function = call["function"]
        opening = {"index": index, "id": call["id"], "type": "function", "function": {"name": function["name"],
                   "arguments": ""}}  # fmt: skip
        yield chunk({"tool_calls": [opening]})
        for piece in argument_pieces(function["arguments"]):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, choice["finish_reason"])
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": completion["usage"]}
    yield "[DONE]"


def _response_events(response: dict[str, Any]) -> Iterator[Any]:
    sequence = itertools.count()
    created = {**response, "status": "in_progress", "output": [], "usage": None}
    yield {"type": "response.created", "sequence_number": next(sequence), "response": created}
    yield {"type": "response.in_progress", "sequence_number": next(sequence), "response": created}
    for index, item in enumerate(response["output"]):
        for event in _item_events(index, item):
            yield {**event, "sequence_number": next(sequence)}
    kind = "response.completed" if response["status"] == "completed" else "response.incomplete"
    yield {"type": kind, "sequence_number": next(sequence), "response": response}


def _item_events(index: int, item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    at = {"output_index": index, "item_id": item["id"]}
    if item["type"] == "function_call":
        yield {"type": "response.output_item.added", "output_index": index,
               "item": {**item, "arguments": "", "status": "in_progress"}}  # fmt: skip
        for piece in argument_pieces(item["arguments"]):
            yield {"type": "response.function_call_arguments.delta", **at, "delta": piece}
        yield {"type": "response.function_call_arguments.done", **at, "arguments": item["arguments"]}
    else:
        yield {"type": "response.output_item.added", "output_index": index,
               "item": {**item, "content": [], "status": "in_progress"}}  # fmt: skip
        text = item["content"][0]["text"]
        part = {"type": "output_text", "text": "", "annotations": []}
        yield {"type": "response.content_part.added", **at, "content_index": 0, "part": part}
        for piece in text_pieces(text) if text else ():
            yield {"type": "response.output_text.delta", **at, "content_index": 0, "delta": piece, "logprobs": []}
        yield {"type": "response.output_text.done", **at, "content_index": 0, "text": text, "logprobs": []}
        yield {"type": "response.content_part.done", **at, "content_index": 0, "part": {**part, "text": text}}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}
