"""Fakes for tests, shipped so users test their bots the way we test ours: ``ScriptedModel`` and
``FunctionModel``. Helpers ``reply`` and ``call`` build the responses they return."""

from __future__ import annotations

import inspect
import json
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..exceptions import ModelError
from ._base import Message, ModelResponse, ToolCall, ToolSpecSource, Usage

__all__ = ["FunctionModel", "ModelRequest", "ScriptedModel", "call", "calls", "reply"]

_ids = iter(range(1, 1 << 62))


def reply(text: str, *, input_tokens: int = 0, output_tokens: int = 0) -> ModelResponse:
    """A response with text and no tool calls."""
    return ModelResponse(text=text, usage=Usage(input_tokens, output_tokens, 1), finish_reason="stop")


def call(name: str, arguments: Mapping[str, Any] | str | None = None, /, **kwargs: Any) -> ModelResponse:
    """A response with one tool call; ``arguments`` may be raw text (to script malformed JSON)."""
    return calls((name, arguments if arguments is not None else kwargs))


def calls(*items: tuple[str, Mapping[str, Any] | str]) -> ModelResponse:
    """A response with several tool calls, in order."""
    return ModelResponse(tool_calls=tuple(_tool_call(name, args) for name, args in items), finish_reason="tool_calls")


def _tool_call(name: str, arguments: Mapping[str, Any] | str) -> ToolCall:
    text = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
    return ToolCall(id=f"call_{next(_ids)}", name=name, arguments=text)


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """What a fake model was asked: a copy of the messages, the tool names and the settings."""

    messages: list[Message]
    tools: list[str]
    settings: Mapping[str, Any]

    @property
    def last_user_text(self) -> str | None:
        return next((m.get("content") for m in reversed(self.messages) if m.get("role") == "user"), None)


class ScriptedModel:
    """Returns queued responses in order and records every request. Strings are shorthand for ``reply(text)``.

    >>> model = ScriptedModel([call("lookup", order_id="A1"), "Your order shipped."])
    """

    def __init__(self, responses: Iterable[ModelResponse | str] = (), *, name: str = "scripted") -> None:
        self._queue: deque[ModelResponse] = deque()
        self._name = name
        self.requests: list[ModelRequest] = []
        self.enqueue(*responses)

    @property
    def name(self) -> str:
        return self._name

    def enqueue(self, *responses: ModelResponse | str) -> ScriptedModel:
        self._queue.extend(reply(r) if isinstance(r, str) else r for r in responses)
        return self

    @property
    def remaining(self) -> int:
        return len(self._queue)

    async def request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        self.requests.append(_record(messages, tools, settings))
        if not self._queue:
            raise ModelError(
                f"ScriptedModel ran out of responses at request {len(self.requests)}; "
                "enqueue one more response for each model request the run makes"
            )
        return self._queue.popleft()


FunctionResult = ModelResponse | str
ModelFunction = Callable[[list[Message], list[ToolSpecSource]], FunctionResult | Awaitable[FunctionResult]]


class FunctionModel:
    """Calls ``fn(messages, tools)`` (plain or async) for each request; a returned string is a text reply."""

    def __init__(self, fn: ModelFunction, *, name: str = "function") -> None:
        self.fn = fn
        self._name = name
        self.requests: list[ModelRequest] = []

    @property
    def name(self) -> str:
        return self._name

    async def request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        self.requests.append(_record(messages, tools, settings))
        result = self.fn(list(messages), list(tools))
        if inspect.isawaitable(result):
            result = await result
        return reply(result) if isinstance(result, str) else result


def _record(
    messages: Sequence[Message], tools: Sequence[ToolSpecSource], settings: Mapping[str, Any] | None
) -> ModelRequest:
    return ModelRequest([dict(m) for m in messages], [t.name for t in tools], dict(settings or {}))
