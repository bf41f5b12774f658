"""The Agent streams a reply to whoever listens (``receive_stream``, ``subscribe(deltas=True)``) and stores it once;
with nobody listening it does not stream at all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import Tool
from agentkit.hitl import HitlPlugin, MemoryHitl
from agentkit.models import Message, ModelResponse, OpenAIModel, ScriptedModel, TextDelta, ToolSpecSource, call, reply
from agentkit.runtime import Agent, ChatMessage, Conversation, HandlerContext, ReplyDelta
from agentkit.testing import FakeOpenAIServer

Settings = Mapping[str, Any] | None


class OrderInput(BaseModel):
    order_id: str


ORDER_TOOL = Tool("lookupOrder", "Find an order", OrderInput, lambda args: f"{args.order_id} shipped")


async def answer(ctx: HandlerContext) -> None:
    await ctx.execute(instructions="Be brief.", tools=[ORDER_TOOL])


def agent_with(model: Any) -> Agent:
    return Agent("bot", model, conversation=Conversation(handler=answer))


class Gated:
    """Streams its reply a word at a time; holds the last word until the test opens the gate."""

    def __init__(self, text: str) -> None:
        self.words = text.split(" ")
        self.gate = asyncio.Event()
        self.streamed = self.requested = 0

    @property
    def name(self) -> str:
        return "gated"

    async def request(
        self, messages: Sequence[Message], tools: Sequence[ToolSpecSource] = (), settings: Settings = None
    ) -> ModelResponse:
        self.requested += 1
        return reply(" ".join(self.words))

    async def stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSpecSource] = (), settings: Settings = None
    ) -> AsyncIterator[TextDelta | ModelResponse]:
        self.streamed += 1
        for position, word in enumerate(self.words):
            if position == len(self.words) - 1:
                await self.gate.wait()
            yield TextDelta(word if position == 0 else " " + word)
        yield reply(" ".join(self.words))


async def test_receive_stream_gives_the_pieces_then_the_one_stored_reply() -> None:
    model = Gated("Your order has shipped.")
    async with agent_with(model) as agent:
        stream = agent.receive_stream("c1", "Where is my order?")
        first = await anext(stream)
        assert first == ReplyDelta("c1", "Your", 1)
        assert [m.role for m in await agent.history("c1")] == ["user"]  # nothing stored while it is written
        model.gate.set()
        rest = [event async for event in stream]
        history = await agent.history("c1")
    pieces = [first, *rest[:-1]]
    assert all(isinstance(p, ReplyDelta) for p in pieces) and len(pieces) == 4
    assert "".join(p.text for p in pieces if isinstance(p, ReplyDelta)) == "Your order has shipped."
    stored = rest[-1]
    assert isinstance(stored, ChatMessage) and (stored.role, stored.text) == ("bot", "Your order has shipped.")
    assert [(m.role, m.text) for m in history] == [("user", "Where is my order?"), ("bot", "Your order has shipped.")]
    assert (model.streamed, model.requested) == (1, 0)


async def test_subscribers_who_ask_for_deltas_get_them_and_the_others_only_messages() -> None:
    model = Gated("Hello there")
    model.gate.set()
    async with agent_with(model) as agent:
        with_deltas = agent.subscribe("c1", deltas=True)
        plain = agent.subscribe("c1")
        replies = await agent.receive("c1", "hi")
        with_deltas.close()
        plain.close()
        seen = [event async for event in with_deltas]
        seen_plain = [message async for message in plain]
    assert [(e.type if isinstance(e, ReplyDelta) else e.role) for e in seen] == ["user", "delta", "delta", "bot"]
    assert [m.role for m in seen_plain] == ["user", "bot"]
    assert [m.text for m in replies] == ["Hello there"]


async def test_with_nobody_listening_the_model_is_not_streamed() -> None:
    model = Gated("Plain reply")
    async with agent_with(model) as agent:
        async with agent.subscribe("c1"):
            replies = await agent.receive("c1", "hi")
    assert [m.text for m in replies] == ["Plain reply"] and (model.streamed, model.requested) == (0, 1)


async def test_receive_stream_yields_what_receive_returns_with_a_tool_call_in_between() -> None:
    model = ScriptedModel([call("lookupOrder", order_id="A1"), "A1 shipped."])
    async with agent_with(model) as agent:
        events = [event async for event in agent.receive_stream("c1", "Where is A1?")]
        history = await agent.history("c1")
    assert [e.text for e in events] == ["A1 shipped.", "A1 shipped."]
    assert isinstance(events[0], ReplyDelta) and events[0].iteration == 2
    assert [(m.role, m.text) for m in history] == [("user", "Where is A1?"), ("bot", "A1 shipped.")]


async def test_a_failing_turn_is_raised_from_receive_stream() -> None:
    async with Agent("bot", ScriptedModel([]), conversation=Conversation(handler=answer), error_message=None) as agent:
        with pytest.raises(Exception, match="ran out of responses"):
            [event async for event in agent.receive_stream("c1", "hi")]


async def test_an_openai_model_streams_through_the_agent_piece_by_piece() -> None:
    with FakeOpenAIServer(chunk_gap=0.05) as server:
        server.enqueue(text="Your parcel left the warehouse this morning.")
        async with OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test") as model:
            async with agent_with(model) as agent:
                events = [event async for event in agent.receive_stream("c1", "Where is my parcel?")]
                history = await agent.history("c1")
    deltas = [e for e in events if isinstance(e, ReplyDelta)]
    assert len(deltas) == 7 and "".join(d.text for d in deltas) == "Your parcel left the warehouse this morning."
    assert [m.role for m in history] == ["user", "bot"]


async def test_a_streamed_turn_that_hands_off_streams_nothing_and_asks_nothing_more() -> None:
    with FakeOpenAIServer(chunk_gap=0.02) as server:
        server.enqueue(tool_calls=[("handToSupport", {"reason": "Wants a person", "priority": "high"})])
        server.enqueue(text="This must never be requested.")
        async with OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test") as model:
            agent = Agent("bot", model, plugins={"desk-hitl": HitlPlugin(MemoryHitl())})
            async with agent:
                events = [event async for event in agent.receive_stream("c1", "I want a person")]
                relayed = [event async for event in agent.receive_stream("c1", "Hello? Anyone?")]
        assert len(server.model_requests()) == 1 and server.pending == 1
    assert [(type(e).__name__, getattr(e, "role", None)) for e in events] == [("ChatMessage", "system")]
    assert relayed == []  # a person has the conversation: the model is not called, nothing is streamed
