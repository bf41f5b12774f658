"""Streaming, the optional half of the model contract.

A model that can stream has ``stream(messages, tools, settings)``: an async iterator of ``TextDelta`` pieces of the
reply as they are written, ending with the whole ``ModelResponse`` (text, assembled tool calls, usage). A model
without it still streams through ``stream_request``: one delta with the whole text, then the response. So the fakes
(``ScriptedModel``, ``FunctionModel``, ``TestModel``) and the wrappers (cache, rate limit, budget: each must see the
whole request) work with ``execute_stream`` unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..exceptions import ModelError
from ._base import Message, Model, ModelResponse, ToolSpecSource

__all__ = ["StreamingModel", "TextDelta", "stream_request"]


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the reply's text, in the order written."""

    text: str


@runtime_checkable
class StreamingModel(Model, Protocol):
    """A model that streams: ``TextDelta`` pieces, then exactly one ``ModelResponse``, last."""

    def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[TextDelta | ModelResponse]: ...


async def stream_request(
    model: Model,
    messages: Sequence[Message],
    tools: Sequence[ToolSpecSource] = (),
    settings: Mapping[str, Any] | None = None,
) -> AsyncIterator[TextDelta | ModelResponse]:
    """``model.stream`` when the model has one; otherwise its whole reply as one delta, then the response."""
    if not isinstance(model, StreamingModel):
        response = await model.request(messages, tools, settings)
        if response.text:
            yield TextDelta(response.text)
        yield response
        return
    finished = False
    async for item in model.stream(messages, tools, settings):
        if finished:
            raise ModelError(f"{model.name}: stream() yielded {item!r} after its ModelResponse, which must be last")
        finished = isinstance(item, ModelResponse)
        yield item
    if not finished:
        raise ModelError(f"{model.name}: stream() ended without a ModelResponse; it must yield one, last")
