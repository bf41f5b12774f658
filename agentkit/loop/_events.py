"""What ``execute_stream`` yields, and how the one loop of ``execute`` reports it.

``execute_stream`` runs ``execute`` itself, with a sink in a context variable; ``execute`` claims the sink when it
starts (a run nested in a tool handler does not see it) and, when there is one, streams its model requests and
reports each piece, tool call and tool result. Without a sink nothing changes: ``model.request`` as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, Literal

from .. import telemetry
from ..models import Message, Model, ModelResponse, TextDelta, ToolSpecSource, stream_request
from ._result import ExecuteResult, ToolCallRecord
from ._tool_calls import CallOutcome

__all__ = [
    "DoneEvent",
    "Sink",
    "StreamEvent",
    "TextDeltaEvent",
    "ToolCallEvent",
    "ToolResultEvent",
    "claim_sink",
    "emit_tool_calls",
    "emit_tool_results",
    "request_model",
    "reset_sink",
    "sink_scope",
]


@dataclass(frozen=True, slots=True)
class TextDeltaEvent:
    """A piece of the model's text. ``iteration``: which model request of the run wrote it (text written next to
    tool calls is streamed too; only the last request's text is the run's reply)."""

    text: str
    iteration: int
    type: Literal["text_delta"] = "text_delta"


@dataclass(frozen=True, slots=True)
class ToolCallEvent:
    """The model called a tool; ``arguments`` is the raw JSON text, assembled from its streamed pieces."""

    name: str
    arguments: str
    call_id: str
    iteration: int
    type: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True, slots=True)
class ToolResultEvent:
    """A tool call ran: ``record`` has its parsed arguments, output and error."""

    record: ToolCallRecord
    ended_turn: bool
    type: Literal["tool_result"] = "tool_result"


@dataclass(frozen=True, slots=True)
class DoneEvent:
    """The last event: ``result`` is what ``execute`` returns for the same run."""

    result: ExecuteResult
    type: Literal["done"] = "done"


StreamEvent = TextDeltaEvent | ToolCallEvent | ToolResultEvent | DoneEvent
Sink = Callable[[StreamEvent], None]

_sink: ContextVar[Sink | None] = ContextVar("agentkit_stream_sink", default=None)


def sink_scope(sink: Sink) -> Token[Sink | None]:
    """Set the sink for the runs started in this context; returns the token to reset it."""
    return _sink.set(sink)


def reset_sink(token: Token[Sink | None]) -> None:
    _sink.reset(token)


def claim_sink() -> Sink | None:
    """The sink of this run, if it is streamed; cleared so that a run started by a tool handler is not."""
    sink = _sink.get()
    if sink is not None:
        _sink.set(None)
    return sink


async def request_model(
    model: Model,
    conversation: Sequence[Message],
    tools: Sequence[ToolSpecSource],
    settings: Mapping[str, Any] | None,
    sink: Sink | None,
    iteration: int,
) -> ModelResponse:
    """One model request: plain without a sink; streamed, each piece to the sink, with one."""
    with telemetry.model_request(model.name) as span:
        response = await _request_model(model, conversation, tools, settings, sink, iteration)
        usage = response.usage
        telemetry.record_response(
            span, usage.input_tokens, usage.output_tokens, response.finish_reason, response.model_name
        )
        return response


async def _request_model(
    model: Model,
    conversation: Sequence[Message],
    tools: Sequence[ToolSpecSource],
    settings: Mapping[str, Any] | None,
    sink: Sink | None,
    iteration: int,
) -> ModelResponse:
    if sink is None:
        return await model.request(conversation, tools, settings)
    response: ModelResponse | None = None
    async for item in stream_request(model, conversation, tools, settings):
        if isinstance(item, TextDelta):
            sink(TextDeltaEvent(item.text, iteration))
        else:
            response = item
    assert response is not None  # stream_request makes sure of it
    return response


def emit_tool_calls(sink: Sink | None, response: ModelResponse, iteration: int) -> None:
    if sink is not None:
        for call in response.tool_calls:
            sink(ToolCallEvent(call.name, call.arguments, call.id, iteration))


def emit_tool_results(sink: Sink | None, outcomes: Sequence[CallOutcome]) -> None:
    if sink is not None:
        for outcome in outcomes:
            sink(ToolResultEvent(outcome.record, outcome.ended_turn))
