"""``OpenAIModel``: any OpenAI-compatible endpoint, through the Chat Completions or the Responses API.

The official client does authentication, base URLs, connection pooling and error mapping; this module builds the
request body and reads the reply JSON itself. That skips the SDK's typed-parameter transform and its pydantic
response objects, which cost more than the HTTP round trip to a fast local endpoint (see the numbers in
``tests/models/bench_openai_overhead.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx2
import openai

from ..exceptions import ConfigError, ModelError
from ..retry import SYSTEM_CLOCK, Clock, current_deadline
from ._base import Api, Message, ModelResponse, ToolCall, ToolSpecSource, Usage
from ._openai_stream import stream_openai
from ._retry import Backoff, Retrier, decode_body
from ._streaming import TextDelta

__all__ = ["OpenAIModel"]

_PATHS: dict[str, str] = {"chat": "/chat/completions", "responses": "/responses"}
_OPTION_KEYS = frozenset({"timeout", "extra_headers"})  # request options, not body fields
_NEEDS_TOOLS = ("tool_choice", "parallel_tool_calls")  # the API rejects these when no tools are sent
_RESPONSES_RENAMES = {"max_tokens": "max_output_tokens", "max_completion_tokens": "max_output_tokens"}
_INCOMPLETE_REASONS = {"max_output_tokens": "length", "content_filter": "content_filter"}


class OpenAIModel:
    """A model behind an OpenAI-compatible API (OpenAI, Azure-style proxies, vLLM, Ollama, a loopback fake).

    ``api_key`` and ``base_url`` default to ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``, as in the SDK. Pass a
    ready ``client`` instead to share one. ``**settings`` (``temperature``, ``max_tokens``, ``tool_choice``, ...)
    go into every request body; per-request ``settings`` override them, and a ``None`` value removes one.
    ``timeout`` (seconds) and ``extra_headers`` are request options, not body fields, in both places.
    Failures are retried ``max_retries`` times (see ``agentkit.retry``); the SDK's own retries are off.

    The defaults suit an interactive bot: ``timeout=15`` seconds per request and ``max_retries=2``, so a stalled
    endpoint costs at most ~46 s on its own; inside a turn of an ``Agent`` (``turn_timeout``, 30 s by default) or
    ``execute(..., timeout=...)``, each request's timeout is cut to the time left and no retry starts past it.
    ``clock`` replaces the time and the sleeps of the retries (tests).
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        client: openai.AsyncOpenAI | None = None,
        api: Api = "chat",
        max_retries: int = 2,
        timeout: float = 15.0,
        backoff: Backoff | None = None,
        clock: Clock = SYSTEM_CLOCK,
        **settings: Any,
    ) -> None:
        if api not in _PATHS:
            raise ConfigError(f"api must be 'chat' or 'responses', not {api!r}")
        self.model_name = model
        self.api: Api = api
        self.settings = settings
        self.timeout = timeout
        self._owns_client = client is None
        self.client = _client(base_url, api_key, timeout) if client is None else client.with_options(max_retries=0)
        self._path = _PATHS[api]
        what = f"{api} request for {model!r} to {self.client.base_url}"
        self._retry = Retrier(max_retries, backoff, what=what, clock=clock)

    @property
    def name(self) -> str:
        return self.model_name

    @property
    def max_retries(self) -> int:
        return self._retry.max_retries

    def __repr__(self) -> str:
        return f"OpenAIModel({self.model_name!r}, base_url={str(self.client.base_url)!r}, api={self.api!r})"

    async def request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        """Send the conversation and tools, with retries; return the reply."""
        merged = {**self.settings, **settings} if settings else self.settings
        options = _request_options(merged, self.timeout)
        body = self._body(messages, tools, merged)

        async def send() -> Any:
            response = await self.client.post(
                self._path, cast_to=httpx2.Response, body=body, options=_within_deadline(options)
            )
            return decode_body(response)

        data = await self._retry(send)
        return _read_chat(data) if self.api == "chat" else _read_responses(data)

    def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        """Like ``request``, with ``stream=True``: the text in pieces as it is written, then the whole reply."""
        merged = {**self.settings, **settings} if settings else self.settings
        options = _within_deadline(_request_options(merged, self.timeout))
        return stream_openai(self, self._body(messages, tools, merged), options)

    def _body(
        self, messages: Sequence[Message], tools: Sequence[ToolSpecSource], settings: Mapping[str, Any]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model_name}
        if self.api == "chat":
            body["messages"] = messages if isinstance(messages, list) else list(messages)
        else:
            body.update(_responses_input(messages))
        if tools:
            body["tools"] = [tool.spec(self.api) for tool in tools]
        for key, value in settings.items():
            if value is None or key in _OPTION_KEYS or (not tools and key in _NEEDS_TOOLS):
                continue
            if self.api == "responses":
                key, value = _responses_setting(key, value)
            body[key] = value
        return body

    async def aclose(self) -> None:
        """Close the HTTP client, if this model made it."""
        if self._owns_client:
            await self.client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()



def _client(base_url: str | None, api_key: str | None, timeout: float) -> openai.AsyncOpenAI:
    try:
        return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout)
    except openai.OpenAIError as error:
        raise ConfigError(  # the SDK's own text names Python keywords; a CLI user needs the variables
            "no OpenAI API key: set OPENAI_API_KEY=sk-... (a local or fake server takes any value, e.g. "
            "OPENAI_API_KEY=test with OPENAI_BASE_URL=http://127.0.0.1:PORT/v1); in code, OpenAIModel(..., api_key=...)"
        ) from error


def _request_options(settings: Mapping[str, Any], timeout: float) -> Any:
    options: dict[str, Any] = {"timeout": settings.get("timeout") or timeout}
    if settings.get("extra_headers"):
        options["headers"] = settings["extra_headers"]
    return options


def _within_deadline(options: Any) -> Any:
    """The request's timeout, cut to the time left before the enclosing deadline (never below 10 ms)."""
    limit = current_deadline()
    if limit is None:
        return options
    return {**options, "timeout": max(0.01, min(options["timeout"], limit.remaining()))}


# --- Chat Completions ------------------------------------------------------------------------------------------


def _read_chat(data: Any) -> ModelResponse:
    try:
        choice = data["choices"][0]
        message = choice["message"]
        calls = tuple(
            _tool_call(call["id"], call["function"]["name"], call["function"].get("arguments"))
            for call in message.get("tool_calls") or ()
        )
        usage = data.get("usage") or {}
        return ModelResponse(
            text=_text_or_none(message.get("content")),
            tool_calls=calls,
            usage=Usage(usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0, 1),
            model_name=data.get("model"),
            finish_reason=choice.get("finish_reason"),
        )
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        raise _unusable("chat completion", data, error) from error


def _text_or_none(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"content is {type(value).__name__}, not text")
    return value


def _tool_call(call_id: Any, name: Any, arguments: Any) -> ToolCall:
    if not (isinstance(call_id, str) and isinstance(name, str)):
        raise TypeError("a tool call's id and name must be text")
    return ToolCall(call_id, name, _text_or_none(arguments) or "")


def _unusable(kind: str, data: Any, error: Exception) -> ModelError:
    return ModelError(f"the model endpoint answered something that is not a {kind} ({error!r}): {str(data)[:300]}")


# --- Responses -------------------------------------------------------------------------------------------------


def _responses_input(messages: Sequence[Message]) -> dict[str, Any]:
    """Chat messages as Responses ``instructions`` (the leading system messages) and ``input`` items."""
    start = 0
    while start < len(messages) and messages[start].get("role") in ("system", "developer"):
        start += 1
    items: list[dict[str, Any]] = []
    for message in messages[start:]:
        items.extend(_responses_items(message))
    body: dict[str, Any] = {"input": items}
    if start:
        body["instructions"] = "\n\n".join(_text(m.get("content")) for m in messages[:start])
    return body


def _responses_items(message: Message) -> list[dict[str, Any]]:
    role = message.get("role")
    if role == "tool":
        output = message.get("content")
        return [{"type": "function_call_output", "call_id": message["tool_call_id"], "output": _text(output)}]
    items: list[dict[str, Any]] = []
    content = message.get("content")
    if content is not None and content != "":
        items.append({"role": role, "content": _responses_content(content, role)})
    for call in message.get("tool_calls") or ():
        function = call["function"]
        items.append(
            {"type": "function_call", "call_id": call["id"], "name": function["name"],
             "arguments": function.get("arguments") or ""}
        )  # fmt: skip
    return items


def _responses_content(content: Any, role: Any) -> Any:
    if isinstance(content, str):
        return content
    text_type = "output_text" if role == "assistant" else "input_text"
    return [_responses_part(part, text_type) for part in content]


def _responses_part(part: Mapping[str, Any], text_type: str) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        return {"type": text_type, "text": part["text"]}
    if kind == "image_url":
        image = part["image_url"]
        url = image if isinstance(image, str) else image["url"]
        return {"type": "input_image", "image_url": url, "detail": part.get("detail", "auto")}
    return dict(part)  # already a Responses part, or one we pass through untouched


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content)


def _responses_setting(key: str, value: Any) -> tuple[str, Any]:
    """A Chat Completions setting under its Responses name and shape."""
    if key == "tool_choice" and isinstance(value, Mapping) and "function" in value:
        return key, {"type": "function", "name": value["function"]["name"]}
    return _RESPONSES_RENAMES.get(key, key), value


def _read_responses(data: Any) -> ModelResponse:
    try:
        texts: list[str] = []
        calls: list[ToolCall] = []
        for item in data["output"]:
            if item["type"] == "message":
                parts = [part for part in item["content"] if part["type"] == "output_text"]
                texts += [_text_or_none(part["text"]) or "" for part in parts]
            elif item["type"] == "function_call":
                calls.append(_tool_call(item["call_id"], item["name"], item.get("arguments")))
        usage = data.get("usage") or {}
        return ModelResponse(
            text="".join(texts) if texts else None,
            tool_calls=tuple(calls),
            usage=Usage(usage.get("input_tokens") or 0, usage.get("output_tokens") or 0, 1),
            model_name=data.get("model"),
            finish_reason=_responses_finish_reason(data, calls),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise _unusable("Responses API response", data, error) from error


def _responses_finish_reason(data: Mapping[str, Any], calls: list[ToolCall]) -> str:
    if data.get("status") == "incomplete":
        reason = str((data.get("incomplete_details") or {}).get("reason") or "incomplete")
        return _INCOMPLETE_REASONS.get(reason, reason)
    return "tool_calls" if calls else "stop"
