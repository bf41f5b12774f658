"""``OpenAIModel.stream``: Chat Completions and Responses with ``stream=True``, through the official client.

The client opens the request (retried like ``request``, until the first byte: a stream half shown to a user cannot
be taken back) and decodes the server-sent events; the readers here turn the events into text pieces and, at the
end, one ``ModelResponse`` with the tool calls assembled from their argument pieces and the usage.
Chat Completions sends usage only when asked: ``stream_options={"include_usage": True}`` is always set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

import openai

from ..exceptions import ModelError
from ._base import ModelResponse, ToolCall, Usage
from ._streaming import TextDelta

if TYPE_CHECKING:
    from ._openai import OpenAIModel

__all__ = ["ChatStreamReader", "ResponsesStreamReader", "stream_openai"]

_INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}


async def stream_openai(
    model: OpenAIModel, body: dict[str, Any], options: Any
) -> AsyncIterator[TextDelta | ModelResponse]:
    """Send ``body`` (``request``'s, built by the model) as a stream; yield the pieces, then the response."""
    body["stream"] = True
    if model.api == "chat":
        body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
    reader: ChatStreamReader | ResponsesStreamReader = ChatStreamReader() if model.api == "chat" else (
        ResponsesStreamReader())  # fmt: skip

    async def open_stream() -> openai.AsyncStream[object]:
        return await model.client.post(
            model._path, cast_to=object, body=body, options=options, stream=True, stream_cls=openai.AsyncStream[object]
        )

    events = await model._retry(open_stream)
    try:
        async for data in events:
            text = reader.feed(data)
            if text:
                yield TextDelta(text)
    except openai.APIError as error:
        raise ModelError(f"the {model.api} stream of {model.name!r} broke off: {error}") from error
    finally:
        await events.close()
    yield reader.response()


class ChatStreamReader:
    """Chat Completions chunks: ``choices[0].delta`` pieces of content and of tool calls (by ``index``), the
    ``finish_reason``, and a last chunk with ``usage`` and no choices."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.usage = Usage(requests=1)
        self.model_name: str | None = None
        self.finish_reason: str | None = None

    def feed(self, chunk: Any) -> str | None:
        """Take one chunk; returns its text piece, if any."""
        try:
            self.model_name = chunk.get("model") or self.model_name
            if chunk.get("usage"):
                usage = chunk["usage"]
                self.usage = Usage(usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0, 1)
            if not chunk.get("choices"):
                return None
            choice = chunk["choices"][0]
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
            delta = choice.get("delta") or {}
            for piece in delta.get("tool_calls") or ():
                self._add_call_piece(piece)
            text = delta.get("content")
        except (AttributeError, KeyError, IndexError, TypeError) as error:
            raise _unusable("chat completion chunk", chunk, error) from error
        if text:
            self.texts.append(text)
        return text or None

    def _add_call_piece(self, piece: Mapping[str, Any]) -> None:
        index = piece.get("index")
        if index is None:  # some compatible servers send each call whole, with an id and no index
            index = len(self.calls) if piece.get("id") or not self.calls else max(self.calls)
        call = self.calls.setdefault(index, {"id": "", "name": "", "arguments": []})
        call["id"] = piece.get("id") or call["id"]
        function = piece.get("function") or {}
        call["name"] += function.get("name") or ""
        call["arguments"].append(function.get("arguments") or "")

    def response(self) -> ModelResponse:
        calls = tuple(ToolCall(c["id"], c["name"], "".join(c["arguments"])) for _, c in sorted(self.calls.items()))
        return ModelResponse(
            text="".join(self.texts) if self.texts else None,
            tool_calls=calls,
            usage=self.usage,
            model_name=self.model_name,
            finish_reason=self.finish_reason,
        )


class ResponsesStreamReader:
    """Responses events: ``output_item.added`` opens a message or a function call, ``output_text.delta`` and
    ``function_call_arguments.delta`` fill them, ``completed`` / ``incomplete`` end it with usage; ``failed`` and
    ``error`` are errors."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}
        self.final: Mapping[str, Any] | None = None

    def feed(self, event: Any) -> str | None:
        """Take one event; returns its text piece, if any."""
        try:
            return self._feed(event)
        except (AttributeError, KeyError, TypeError) as error:
            raise _unusable("Responses stream event", event, error) from error

    def _feed(self, event: Any) -> str | None:
        kind = event.get("type")
        if kind == "response.output_text.delta":
            self.texts.append(event["delta"])
            return str(event["delta"]) or None
        if kind in ("response.output_item.added", "response.output_item.done"):
            self._item(event["output_index"], event["item"], done=kind.endswith("done"))
        elif kind == "response.function_call_arguments.delta":
            self.calls[event["output_index"]]["arguments"].append(event["delta"])
        elif kind in ("response.completed", "response.incomplete"):
            self.final = event["response"]
        elif kind in ("response.failed", "error"):
            raise ModelError(f"the Responses stream failed: {str(event)[:300]}")
        return None

    def _item(self, index: int, item: Mapping[str, Any], *, done: bool) -> None:
        if item.get("type") != "function_call":
            return
        call = self.calls.setdefault(index, {"id": item["call_id"], "name": item["name"], "arguments": []})
        if done and item.get("arguments") is not None:
            call["arguments"] = [item["arguments"]]  # the whole text wins over the pieces

    def response(self) -> ModelResponse:
        if self.final is None:
            raise ModelError("the Responses stream ended before its response.completed event")
        calls = tuple(ToolCall(c["id"], c["name"], "".join(c["arguments"])) for _, c in sorted(self.calls.items()))
        usage = self.final.get("usage") or {}
        return ModelResponse(
            text="".join(self.texts) if self.texts else None,
            tool_calls=calls,
            usage=Usage(usage.get("input_tokens") or 0, usage.get("output_tokens") or 0, 1),
            model_name=self.final.get("model"),
            finish_reason=_finish_reason(self.final, calls),
        )


def _finish_reason(final: Mapping[str, Any], calls: tuple[ToolCall, ...]) -> str:
    if final.get("status") == "incomplete":
        reason = str((final.get("incomplete_details") or {}).get("reason") or "incomplete")
        return _INCOMPLETE_REASONS.get(reason, reason)
    return "tool_calls" if calls else "stop"


def _unusable(kind: str, data: Any, error: Exception) -> ModelError:
    return ModelError(f"the model endpoint streamed something that is not a {kind} ({error!r}): {str(data)[:300]}")
