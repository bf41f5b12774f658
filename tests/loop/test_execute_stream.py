"""``execute_stream``: the loop of ``execute`` as events, on the fakes (models that cannot stream) and on a model
that streams its pieces one by one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import Tool, execute, execute_stream
from agentkit.exceptions import ModelError
from agentkit.loop import DoneEvent, StreamEvent, TextDeltaEvent, ToolCallEvent, ToolResultEvent
from agentkit.models import (
    FunctionModel,
    Message,
    ModelResponse,
    ScriptedModel,
    StreamingModel,
    TestModel,
    TextDelta,
    ToolSpecSource,
    call,
    reply,
)


class Reason(BaseModel):
    reason: str


class OrderId(BaseModel):
    order_id: str


handed: list[str] = []


async def hand_over(args: Reason) -> str:
    handed.append(args.reason)
    return "escalated"


def lookup(args: OrderId) -> str:
    return f"order {args.order_id} shipped"


HANDOFF = Tool(name="handToSupport", description="Hand to a person", input=Reason, handler=hand_over, ends_turn=True)
LOOKUP = Tool(name="lookupOrder", description="Look up an order", input=OrderId, handler=lookup)
Settings = Mapping[str, Any] | None
USER = [{"role": "user", "content": "where is A1?"}]


async def collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in events]


async def test_a_model_that_cannot_stream_gives_its_reply_as_one_piece_and_the_same_result() -> None:
    script = [call("lookupOrder", order_id="A1"), "It shipped."]
    events = await collect(execute_stream("Be brief.", [LOOKUP], USER, ScriptedModel(script)))
    assert [e.type for e in events] == ["tool_call", "tool_result", "text_delta", "done"]
    tool_call, tool_result, delta, done = events
    assert isinstance(tool_call, ToolCallEvent) and tool_call.name == "lookupOrder"
    assert tool_call.arguments == '{"order_id": "A1"}' and tool_call.iteration == 1
    assert isinstance(tool_result, ToolResultEvent) and tool_result.record.output == "order A1 shipped"
    assert isinstance(delta, TextDeltaEvent) and (delta.text, delta.iteration) == ("It shipped.", 2)
    assert isinstance(done, DoneEvent)
    plain = await execute("Be brief.", [LOOKUP], USER, ScriptedModel(script))
    assert (done.result.status, done.result.text, done.result.iterations) == (plain.status, plain.text, 2)
    assert [m["role"] for m in done.result.messages] == [m["role"] for m in plain.messages]
    assert done.result.usage == plain.usage


async def test_function_model_and_test_model_stream_too() -> None:
    events = await collect(execute_stream("", [], USER, FunctionModel(lambda messages, tools: "Hi there")))
    assert [(e.type, getattr(e, "text", None)) for e in events] == [("text_delta", "Hi there"), ("done", None)]
    events = await collect(execute_stream("", [LOOKUP], USER, TestModel(text="done")))
    assert [e.type for e in events] == ["tool_call", "tool_result", "text_delta", "done"]


class PieceByPiece:
    """A model that streams: each word of its reply is a piece, and it waits for the test before the last one."""

    def __init__(self, text: str) -> None:
        self.words = text.split(" ")
        self.may_finish = asyncio.Event()
        self.requests = 0

    @property
    def name(self) -> str:
        return "pieces"

    async def request(
        self, messages: Sequence[Message], tools: Sequence[ToolSpecSource] = (), settings: Settings = None
    ) -> ModelResponse:
        raise AssertionError("a streaming run must call stream(), not request()")

    async def stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSpecSource] = (), settings: Settings = None
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        self.requests += 1
        for position, word in enumerate(self.words):
            if position == len(self.words) - 1:
                await self.may_finish.wait()
            yield TextDelta(word if position == 0 else " " + word)
        yield reply(" ".join(self.words))


async def test_pieces_arrive_before_the_model_has_finished() -> None:
    model = PieceByPiece("Your order shipped yesterday.")
    assert isinstance(model, StreamingModel)
    stream = execute_stream("", [], USER, model)
    first = await anext(stream)
    assert isinstance(first, TextDeltaEvent) and first.text == "Your"
    assert not model.may_finish.is_set()  # the model is still writing
    model.may_finish.set()
    rest = await collect(stream)
    assert "".join(e.text for e in [first, *rest] if isinstance(e, TextDeltaEvent)) == "Your order shipped yesterday."
    done = rest[-1]
    assert isinstance(done, DoneEvent) and done.result.text == "Your order shipped yesterday."


async def test_after_a_handoff_nothing_is_streamed_or_requested() -> None:
    model = ScriptedModel([call("handToSupport", reason="asked for a person"), "never sent"])
    events = await collect(execute_stream("", [HANDOFF], USER, model))
    assert [e.type for e in events] == ["tool_call", "tool_result", "done"]
    assert isinstance(events[1], ToolResultEvent) and events[1].ended_turn
    assert isinstance(events[-1], DoneEvent) and events[-1].result.status == "ended_by_tool"
    assert len(model.requests) == 1 and model.remaining == 1


async def test_a_failed_run_raises_from_the_iterator_after_the_events_before_it() -> None:
    stream = execute_stream("", [LOOKUP], USER, ScriptedModel([call("lookupOrder", order_id="A1")]))
    seen = []
    with pytest.raises(ModelError, match="ran out of responses"):
        async for event in stream:
            seen.append(event.type)
    assert seen == ["tool_call", "tool_result"]


async def test_leaving_early_cancels_the_run() -> None:
    model = PieceByPiece("one two")
    stream = execute_stream("", [], USER, model)
    assert isinstance(await anext(stream), TextDeltaEvent)
    await stream.aclose()  # the model waits forever for may_finish: without a cancel this would hang the test
    assert model.requests == 1


async def test_a_run_inside_a_tool_is_not_streamed_into_the_outer_stream() -> None:
    async def ask_colleague(args: Reason) -> str:
        inner = await execute("", [], [{"role": "user", "content": args.reason}], ScriptedModel(["inner answer"]))
        return inner.text or ""

    colleague = Tool(name="askColleague", description="Ask", input=Reason, handler=ask_colleague)
    model = ScriptedModel([call("askColleague", reason="help"), "outer answer"])
    events = await collect(execute_stream("", [colleague], USER, model))
    assert [e.text for e in events if isinstance(e, TextDeltaEvent)] == ["outer answer"]


async def test_a_stream_without_its_response_is_an_error() -> None:
    class Broken(PieceByPiece):
        async def stream(
            self,
            messages: Sequence[Message],
            tools: Sequence[ToolSpecSource] = (),
            settings: Mapping[str, Any] | None = None,
        ) -> AsyncIterator[TextDelta | ModelResponse]:
            yield TextDelta("half")

    with pytest.raises(ModelError, match="ended without a ModelResponse"):
        await collect(execute_stream("", [], USER, Broken("x")))


async def test_the_offline_model_streams_its_reply_as_one_piece() -> None:
    question = [{"role": "user", "content": "How do I reset my password?"}]
    events = await collect(execute_stream("", [], question, "offline"))
    plain = await execute("", [], question, "offline")
    assert [e.type for e in events] == ["text_delta", "done"]
    assert isinstance(events[0], TextDeltaEvent) and events[0].text == plain.text
