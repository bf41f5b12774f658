"""With the embedded desk on the agent's own database, a handoff that the model asks for opens its session and its
ticket as the turn saw the conversation when it stored the user's message: the latest session (none open) and the
transcript, read then, with the model's history. The open reads nothing (on PostgreSQL, no round trip before its
COMMIT). If either changed in between (a session opened outside the turn, a message shown), the open fails whole,
writes nothing, and the handoff reads them in a transaction of its own, as before: one session, one ticket, a
transcript with every message."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import Tool, context
from agentkit.desk import LocalDesk
from agentkit.hitl import DeskHitl
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent, Conversation, HandlerContext

from .lifecycle_helpers import HANDOFF, USER, texts


class _Reason(BaseModel):
    reason: str


Before = Callable[[Agent, str], Awaitable[None]]


def escalating_agent(store_url: str, before: Before | None, started: list[str], *replies: Any) -> Agent:
    """The bot and its desk on one database; its tool runs ``before`` (outside the turn), then hands off.
    ``replies``: the model's script before its last handoff."""

    async def escalate(args: _Reason) -> str:
        agent, conversation_id = context.get("agent"), context.get("conversation").id
        if before is not None:
            await outside_the_turn(before(agent, conversation_id))
        start = await agent.plugins["desk-hitl"].actions.start_hitl(conversation_id, args.reason)
        started.append(start.status)
        return "escalated"

    async def handler(ctx: HandlerContext) -> None:
        await ctx.execute(instructions="You are a support bot.", tools=[tool])

    tool = Tool("escalate", "Hand the conversation to a person.", _Reason, escalate, ends_turn=True)
    model = ScriptedModel([*replies, call("escalate", reason="Wants a person")])
    plugin = DeskHitl(store_url, poll_interval=3600)
    return Agent("support", model, plugins={"desk-hitl": plugin}, conversation=Conversation(handler=handler),
                 store=store_url)  # fmt: skip


async def outside_the_turn(work: Awaitable[None]) -> None:
    """``work`` as code outside the turn runs it (bot code in a task of its own, another worker): a context of
    its own, so the turn does not know of its writes."""

    async def run() -> None:
        await work

    await asyncio.get_running_loop().create_task(run(), context=contextvars.Context())


@pytest.fixture
def transcripts_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The conversations whose transcript a handoff read in its own transaction (``Agent.transcript``)."""
    read: list[str] = []
    original = Agent.transcript

    def transcript(self: Agent, connection: Any, conversation_id: str) -> Any:
        read.append(conversation_id)
        return original(self, connection, conversation_id)

    monkeypatch.setattr(Agent, "transcript", transcript)
    return read


async def test_a_handoff_opens_with_the_transcript_the_turn_read(store_url: str, transcripts_read: list[str]) -> None:
    started: list[str] = []
    async with escalating_agent(store_url, None, started, "We open at 9.") as agent:
        await agent.receive("c1", "When do you open?", user=USER)
        assert texts(await agent.receive("c1", "A person please")) == [("system", HANDOFF)]
        desk: LocalDesk = agent.plugins["desk-hitl"].desk
        (ticket,) = await desk.tickets()
        shown = await agent.history("c1")
    assert started == ["opened"] and transcripts_read == []
    assert [(line.role, line.text, line.at) for line in ticket.transcript] == [
        (m.role, m.text, m.at) for m in shown if m.text != HANDOFF
    ]
    assert [line.text for line in ticket.transcript] == ["When do you open?", "We open at 9.", "A person please"]
    assert '"When do you open?"' in ticket.description and ticket.idempotency_key == "c1:1"


async def test_a_session_opened_outside_the_turn_meanwhile_leaves_one_session_and_one_ticket(
    store_url: str, transcripts_read: list[str]
) -> None:
    async def open_first(agent: Agent, conversation_id: str) -> None:
        await agent.plugins["desk-hitl"].actions.start_hitl(conversation_id, "Opened by bot code")

    started: list[str] = []
    async with escalating_agent(store_url, open_first, started) as agent:
        replies = await agent.receive("c1", "A person please", user=USER)
        desk: LocalDesk = agent.plugins["desk-hitl"].desk
        (ticket,) = await desk.tickets()
        sessions = await agent.store.run(
            lambda c: c.execute("SELECT escalation, state FROM hitl_sessions").fetchall(), write=False
        )
        shown = texts(await agent.history("c1"))
    assert started == ["already_escalated"]  # the open as seen failed whole; the look found the session
    assert ticket.title == "Opened by bot code" and ticket.idempotency_key == "c1:1"
    assert [(s["escalation"], s["state"]) for s in sessions] == [(1, "pending")]
    assert shown == [("user", "A person please"), ("system", HANDOFF)] and replies == []
    assert transcripts_read == ["c1", "c1"]  # bot code's open, then the turn's look


async def test_a_message_shown_meanwhile_is_on_the_ticket(store_url: str, transcripts_read: list[str]) -> None:
    async def say_first(agent: Agent, conversation_id: str) -> None:
        await agent.send(conversation_id, "Let me see who is free.")

    started: list[str] = []
    async with escalating_agent(store_url, say_first, started) as agent:
        await agent.receive("c1", "A person please", user=USER)
        desk: LocalDesk = agent.plugins["desk-hitl"].desk
        (ticket,) = await desk.tickets()
        sessions = await agent.store.run(lambda c: c.execute("SELECT id FROM hitl_sessions").fetchall(), write=False)
    assert started == ["opened"] and len(sessions) == 1
    assert [line.text for line in ticket.transcript] == ["A person please", "Let me see who is free."]
    assert transcripts_read == ["c1"]  # read again, in the open


async def test_each_escalation_after_an_ended_one_opens_as_seen_with_the_next_number(
    store_url: str, transcripts_read: list[str]
) -> None:
    started: list[str] = []
    async with escalating_agent(store_url, None, started, call("escalate", reason="First"), "Back to you.") as agent:
        await agent.receive("c1", "A person please", user=USER)
        desk: LocalDesk = agent.plugins["desk-hitl"].desk
        (first,) = await desk.tickets()
        await desk.close(first.id)
        await agent.receive("c1", "Thanks, a question for the bot")
        await agent.receive("c1", "A person again please")
        tickets = await desk.tickets()
    assert started == ["opened", "opened"] and transcripts_read == []
    assert [t.idempotency_key for t in tickets] == ["c1:1", "c1:2"]
    assert tickets[1].transcript[-1].text == "A person again please"


@pytest.mark.postgres
async def test_a_session_another_worker_opened_meanwhile_leaves_one_session_and_one_ticket(
    pg_url: str, transcripts_read: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    other = Agent("support", ScriptedModel([]), plugins={"desk-hitl": DeskHitl(pg_url, poll_interval=3600)},
                  store=pg_url)  # fmt: skip

    async def another_worker_opens(agent: Agent, conversation_id: str) -> None:
        await other.plugins["desk-hitl"].actions.start_hitl(conversation_id, "Opened by the other worker")

    started: list[str] = []
    async with other, escalating_agent(pg_url, another_worker_opens, started) as agent:
        await agent.receive("c1", "A person please", user=USER)
        (ticket,) = await agent.plugins["desk-hitl"].desk.tickets()
        sessions = await agent.store.run(lambda c: c.execute("SELECT id FROM hitl_sessions").fetchall(), write=False)
    assert started == ["already_escalated"] and len(sessions) == 1
    assert ticket.title == "Opened by the other worker"
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
