"""The model contract: one async method from OpenAI chat messages and tool specs to a ``ModelResponse``.

Every model speaks the OpenAI Chat Completions message format at this boundary (that is also the format of
``ExecuteResult.messages``); a model for another wire format translates inside ``request``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Message = dict[str, Any]
"""One message in OpenAI Chat Completions format: ``{"role": ..., "content": ..., ...}``."""

Api = Literal["chat", "responses"]


@runtime_checkable
class ToolSpecSource(Protocol):
    """Anything that can give its function-calling spec for an API (a ``Tool`` does)."""

    @property
    def name(self) -> str: ...

    def spec(self, api: Api = "chat") -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call as the model sent it; ``arguments`` is the raw JSON text, unparsed."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens and requests, added up with ``+``."""

    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.requests + other.requests,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class ModelResponse:
    """What one model request returned."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=lambda: Usage(requests=1))
    model_name: str | None = None
    finish_reason: str | None = None

    def to_message(self) -> Message:
        """The assistant message to append to the conversation, in chat format."""
        message: Message = {"role": "assistant", "content": self.text}
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in self.tool_calls
            ]
        return message


@runtime_checkable
class Model(Protocol):
    """A language model. One method; nothing else is required (``stream`` is optional: see ``StreamingModel``)."""

    @property
    def name(self) -> str: ...

    async def request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        """Send the conversation (system message first) and the tools; return the model's reply."""
        ...
