"""On PostgreSQL, the handoff notice one worker stores reaches another worker's subscriptions and webchat streams
through the notification its transaction sends, not by polling: the notice is stored by a conditional INSERT ...
SELECT (``Post.only_if``, ``_messages._insert_if``), which queues that notification itself. The streams here poll
every hour and a subscription does not poll at all, so only a notification brings the notice in time. When the
condition does not hold nothing is stored, the notification still goes out (it cannot know), and the other worker's
subscription gets nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import Tool, context
from agentkit.hitl import HitlPlugin, MemoryHitl, Post, SessionConfig
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent, ChatMessage, Conversation, HandlerContext
from agentkit.runtime import _messages as messages
from agentkit.runtime._foreign import ForeignMessages
from agentkit.storage import Connection
from agentkit.testing import eventually

from .test_notified_streams import _stream

pytestmark = pytest.mark.postgres

HANDOFF = SessionConfig().on_hitl_handoff_message
USER = {"id": "u1", "name": "Jo Doe", "email": "jo@example.com"}
FAST = {"retry_initial_delay": 0.01, "retry_max_delay": 0.05}

HOUR = 3600.0
WAIT = 8.0
"""How long a test waits for a message: less than the fallback poll (``FALLBACK_POLL``, 10 s) in any case."""


class _Reason(BaseModel):
    reason: str


_GATES: dict[str, asyncio.Event] = {}
"""A conversation's handoff waits for its event, if the test set one (``_handoff_held``)."""


async def _escalate(args: _Reason) -> str:
    agent = context.get("agent")
    conversation_id = context.get("conversation").id
    if (gate := _GATES.get(conversation_id)) is not None:
        await gate.wait()
    await agent.plugins["desk-hitl"].actions.start_hitl(conversation_id, args.reason)
    return "escalated"


_ESCALATE = Tool("escalate", "Hand the conversation to a person.", _Reason, _escalate, ends_turn=True)
"""A handoff tool that ends the turn: its start completes, and the notice is stored on its condition, in the
transaction of the model's run (``Deliverer._complete_start``)."""


async def _silent(ctx: HandlerContext) -> None:
    return None


async def _support(ctx: HandlerContext) -> None:
    await ctx.execute(instructions="You are a support bot.", tools=[_ESCALATE])


async def _no_catch_up(self: ForeignMessages, conversation_id: str) -> None:
    return None


@pytest.fixture
async def two_workers(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Agent, Agent]]:
    """Worker A (the bot, with the helpdesk plugin, that hands conversations over) and worker B (that holds the
    user's stream), each with its own store on one database, as two worker processes would have. B never reads
    what it may have missed (after a hello from another listener, such as a previous test's, still stopping, or a
    reconnect): only a notification brings it another worker's message."""
    monkeypatch.setattr(ForeignMessages, "_catch_up", _no_catch_up)
    model = ScriptedModel([call("escalate", reason="Wants a person")])
    a = Agent("support", model, plugins={"desk-hitl": HitlPlugin(MemoryHitl(), **FAST)},
              conversation=Conversation(handler=_support), store=pg_url)  # fmt: skip
    b = Agent("support", "offline", conversation=Conversation(handler=_silent), store=pg_url)
    async with a, b:
        for agent in (a, b):  # both listening: no hello after this makes B read what it may have missed
            listening = await eventually(lambda agent=agent: agent._subscribers.listening, 30)  # type: ignore[misc]
            await eventually(lambda listening=listening: listening.connected, 30)  # type: ignore[misc]
        yield a, b


async def _next(updates: AsyncIterator[Any]) -> Any:
    async with asyncio.timeout(WAIT):
        return await anext(updates)


async def test_the_handoff_notice_another_worker_stores_reaches_a_subscription(
    two_workers: tuple[Agent, Agent],
) -> None:
    a, b = two_workers
    conversation_id = f"c-{uuid.uuid4()}"
    async with b.subscribe(conversation_id) as updates:
        await eventually(lambda: updates.notified, 30)
        replies = await a.receive(conversation_id, "I want a person", user=USER)
        assert [(m.role, m.text) for m in replies] == [("system", HANDOFF)]
        received: list[ChatMessage] = [await _next(updates), await _next(updates)]
    assert [(m.role, m.text) for m in received] == [("user", "I want a person"), ("system", HANDOFF)]
    assert received[1].id == replies[0].id


async def test_the_handoff_notice_another_worker_stores_reaches_a_webchat_stream_that_polls_every_hour(
    two_workers: tuple[Agent, Agent],
) -> None:
    """The handoff waits until the stream has sent the user's message, so that the stream, waiting again, has only
    the notice's notification to wake it (else it would read the notice with the message, woken by the message's)."""
    a, b = two_workers
    conversation_id = f"c-{uuid.uuid4()}"
    await a.send(conversation_id, "before")
    gate = _GATES[conversation_id] = asyncio.Event()
    try:
        async with _stream(b, conversation_id, poll=HOUR) as stream:
            assert "before" in await _next(stream)
            turn = asyncio.create_task(a.receive(conversation_id, "I want a person", user=USER))
            assert "I want a person" in await _next(stream)
            gate.set()
            assert HANDOFF in await _next(stream)
            assert [(m.role, m.text) for m in await turn] == [("system", HANDOFF)]
    finally:
        del _GATES[conversation_id]


def _post_if(conversation_id: str, text: str, holds: bool) -> Any:
    """A post stored only if its condition holds, as the handoff notice is (``Post.only_if``)."""

    def write(connection: Connection) -> Callable[[], list[ChatMessage]]:
        post = Post(conversation_id, text, only_if=("1 = 1" if holds else "1 = 0", ()))
        return messages.stored_posts(connection, [post])  # the messages stored, once the transaction has ended

    return write


async def test_a_conditional_post_another_worker_does_not_store_brings_nothing_twice(
    two_workers: tuple[Agent, Agent],
) -> None:
    """Its notification names the conversation's latest message, which B reads again: B's subscription, which got
    it already, does not get it twice; the next message comes next."""
    a, b = two_workers
    conversation_id = f"c-{uuid.uuid4()}"
    async with b.subscribe(conversation_id) as updates:
        await eventually(lambda: updates.notified, 30)
        before = await a.send(conversation_id, "before")
        assert (await _next(updates)).id == before.id
        assert (await a.store.run(_post_if(conversation_id, "not stored", holds=False)))() == []
        stored = (await a.store.run(_post_if(conversation_id, "stored", holds=True)))()
        after = await a.send(conversation_id, "after")
        received = [await _next(updates), await _next(updates)]
    assert [(m.id, m.text) for m in received] == [(stored[0].id, "stored"), (after.id, "after")]


async def test_a_conditional_post_another_worker_does_not_store_brings_no_older_message(
    two_workers: tuple[Agent, Agent],
) -> None:
    """B subscribed after the conversation's latest message was stored: the notification of a post not stored
    (which named that message) does not bring it to the subscription, which never had it and only follows what
    comes after. (B stores that message itself: no notification of it can arrive after B subscribed.)"""
    a, b = two_workers
    conversation_id = f"c-{uuid.uuid4()}"
    await b.send(conversation_id, "before the subscription")
    async with b.subscribe(conversation_id) as updates:
        await eventually(lambda: updates.notified and updates.anchor is not None, 30)
        assert (await a.store.run(_post_if(conversation_id, "not stored", holds=False)))() == []
        after = await a.send(conversation_id, "after")
        received = await _next(updates)
    assert (received.id, received.text) == (after.id, "after")
