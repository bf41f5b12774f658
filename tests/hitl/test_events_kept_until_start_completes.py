"""A helpdesk event for a ticket whose start has not completed yet, and whose start will not complete soon: its call
timed out and was postponed for the background deliverer (the ticket exists, or may), or it has been on its way
longer than a pushed event waits for it. Such an event used to be dropped as an unknown session (a pushed one's
position moved past it; a webhook was answered 202 and not sent again). Now it is kept in the store
(``hitl_early_events``), the feed goes on, and it is applied once, in order, when the start completes, in whichever
worker; if the start fails for good, it is dropped with it (as events of a session that ended are).

A start is postponed here by a provider whose ``start_hitl`` opens the ticket and then fails as a timeout does
(retryable, and it may have reached the helpdesk), until the test lets it through."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from agentkit.hitl import HITL_MIGRATIONS, EscalationRequest, HitlEvent, HitlPlugin, MemoryHitl, ProviderError
from agentkit.models import ScriptedModel
from agentkit.runtime import Agent
from agentkit.storage import Component, Connection, migrate, open_database
from agentkit.testing import eventually

from .lifecycle_helpers import ASSIGNED, BROKEN, DELAYED, FAST, HANDOFF, USER, texts
from .test_events_before_start_completes import (
    ELSEWHERE,
    REPLY,
    HeldStart,
    _applied_events,
    _cursor,
    _desk_bot,
    _handoff_model,
    outcomes,
)

__all__ = ["outcomes"]  # the fixture, used by name

LATER = "Ana again: could you send me your order number?"


class TimingOutStart:
    """Wraps a provider's ``start_hitl``: the helpdesk opens the ticket, then the call fails as a timeout does (no
    answer: it may have reached the helpdesk) while ``failing``; with ``refusing``, the helpdesk refuses it for
    good. ``tickets``: the ticket of each call."""

    def __init__(self, provider: Any) -> None:
        self._start = provider.start_hitl
        self.failing, self.refusing = True, False
        self.tickets: list[str] = []
        provider.start_hitl = self

    async def __call__(self, request: EscalationRequest) -> str:
        ticket = await self._start(request)
        self.tickets.append(ticket)
        if self.refusing:
            raise ProviderError("the helpdesk refused it", retryable=False, provider="test", status=422)
        if self.failing:
            raise ProviderError("timed out", retryable=True, provider="test")
        return ticket


async def _early_events(agent: Agent) -> list[tuple[str, str]]:
    def read(connection: Connection) -> list[tuple[str, str]]:
        rows = connection.execute("SELECT event_id, session_id FROM hitl_early_events ORDER BY id")
        return [(r["event_id"], r["session_id"]) for r in rows]

    return await agent.store.run(read, write=False)


async def _postponed_handoff(agent: Agent, plugin: HitlPlugin) -> tuple[TimingOutStart, str]:
    """The handoff, its start postponed after the helpdesk opened the ticket: the user told it will follow."""
    start = TimingOutStart(plugin.provider)
    assert texts(await agent.receive("c1", "Get me a human", user=USER)) == [("system", DELAYED)]
    assert start.tickets and await plugin.state("c1") == "pending"
    return start, start.tickets[0]


async def test_pushed_events_for_a_postponed_start_are_kept_and_applied_once_in_order_when_it_completes(
    store_url: str, outcomes: list[str]
) -> None:
    """The desk's auto-reply and its agent's next message land on the ticket while its start waits for another
    try: the feed moves on past them (nothing held up), and they reach the user once the start completes, after the
    handoff notice, in order, once; an event after the completion comes after them."""
    async with _desk_bot(store_url) as agent:
        plugin = agent.plugins["desk-hitl"]
        desk = plugin.desk
        start, ticket = await _postponed_handoff(agent, plugin)
        await desk.reply(ticket, REPLY, agent_name="Ana")
        await desk.reply(ticket, LATER, agent_name="Ana")
        head = await _cursor(agent)
        assert head is not None and head >= 3  # the position moved past them
        assert texts(await agent.history("c1"))[-1] == ("system", DELAYED)  # nothing shown yet

        start.failing = False
        await plugin.redeliver()
        expected = [("system", HANDOFF), ("system", ASSIGNED), ("agent", REPLY), ("agent", LATER)]
        await eventually(lambda: _ends_with(agent, expected))
        await desk.reply(ticket, "And one more thing", agent_name="Ana")
        history = texts(await agent.history("c1"))
        assert history[-5:] == [*expected, ("agent", "And one more thing")]
        await desk.deliver_pending()  # the feed again: nothing is applied twice
        assert texts(await agent.history("c1")) == history
        assert await _early_events(agent) == []
    assert outcomes[:2] == ["kept", "kept"]


async def _ends_with(agent: Agent, expected: list[tuple[str, str]]) -> bool:
    return texts(await agent.history("c1"))[-len(expected) :] == expected


async def test_an_event_that_comes_after_the_start_completed_is_applied_after_those_kept_before_it(
    store_url: str,
) -> None:
    """The start completes, and before its kept events are applied (the background pass it wakes has not run yet)
    the ticket's next event comes: the kept ones are applied first, in the same transaction."""
    async with _desk_bot(store_url) as agent:
        plugin = agent.plugins["desk-hitl"]
        start, ticket = await _postponed_handoff(agent, plugin)
        await desk_reply(plugin, ticket, REPLY)
        plugin.deliverer.on_early_events = lambda: None  # the background pass is not woken: it does not come first
        start.failing = False
        assert await plugin.deliverer.deliver_due(force=True) == 1  # the start, completed
        assert len(await _early_events(agent)) == 1
        await desk_reply(plugin, ticket, LATER)
        history = texts(await agent.history("c1"))
        assert await _early_events(agent) == []
    assert history[-4:] == [("system", HANDOFF), ("system", ASSIGNED), ("agent", REPLY), ("agent", LATER)]


async def test_events_kept_when_a_worker_stopped_before_applying_them_are_applied_when_one_starts(
    store_url: str,
) -> None:
    """The start completes, and the process stops before its kept events are applied: the next one to start applies
    them (its first background pass looks)."""
    async with _desk_bot(store_url) as agent:
        plugin = agent.plugins["desk-hitl"]
        start, ticket = await _postponed_handoff(agent, plugin)
        await desk_reply(plugin, ticket, REPLY)
        plugin.deliverer.on_early_events = lambda: None  # stopped before its background pass came
        start.failing = False
        assert await plugin.deliverer.deliver_due(force=True) == 1
    async with _desk_bot(store_url) as agent:
        await eventually(lambda: _ends_with(agent, [("system", HANDOFF), ("system", ASSIGNED), ("agent", REPLY)]))
        assert await _early_events(agent) == []


async def test_a_pushed_event_that_outwaits_a_slow_start_is_kept_and_applied_once_it_completes(
    store_url: str, outcomes: list[str]
) -> None:
    """The start's call lasts longer than a pushed event waits for it (``inline_delivery_seconds + claim_seconds``,
    1.2 s here): the event stops holding the feed, is kept, and reaches the user once the start completes."""
    async with _desk_bot(store_url, inline_delivery_seconds=0.2, claim_seconds=1.0) as agent:
        plugin = agent.plugins["desk-hitl"]
        held = HeldStart(plugin.provider)
        turn = asyncio.create_task(agent.receive("c1", "Get me a human", user=USER))
        ticket, release = await held.held()
        await desk_reply(plugin, ticket, REPLY)  # returns once the plugin let it go
        assert outcomes[0] == "session_starting" and outcomes[-1] == "kept"
        assert await _cursor(agent) == 2
        release.set()
        assert texts(await turn) == [("system", HANDOFF)]
        expected = [("system", HANDOFF), ("system", ASSIGNED), ("agent", REPLY)]
        await eventually(lambda: _ends_with(agent, expected))
        assert await _applied_events(agent) == ["2"] and await _early_events(agent) == []


async def desk_reply(plugin: Any, ticket: str, text: str) -> None:
    await plugin.desk.reply(ticket, text, agent_name="Ana")


@asynccontextmanager
async def _webhook_bot(store_url: str, memory: MemoryHitl) -> AsyncIterator[tuple[Agent, HitlPlugin]]:
    plugin = HitlPlugin(memory, **FAST)
    async with Agent("support", _handoff_model(), plugins={"desk-hitl": plugin}, store=store_url) as agent:
        yield agent, plugin


async def test_a_webhook_for_a_postponed_start_is_kept_and_applied_once_when_the_start_completes(
    store_url: str, outcomes: list[str]
) -> None:
    """Answered 202 (accepted) at once, kept; applied when the start completes; sent again (a helpdesk retry),
    before or after that, never applied twice."""
    memory = MemoryHitl(push=False)
    async with _webhook_bot(store_url, memory) as (agent, plugin):
        start, ticket = await _postponed_handoff(agent, plugin)
        webhook = memory.signed_webhook(HitlEvent("agent_message", ticket, "e1", "Ana", REPLY, time.time()))
        assert await plugin.handle_webhook(*webhook) == 202
        assert await plugin.handle_webhook(*webhook) == 202  # sent again while kept: kept once
        assert await _early_events(agent) == [("e1", ticket)]
        start.failing = False
        await plugin.redeliver()
        expected = [("system", HANDOFF), ("system", ASSIGNED), ("agent", REPLY)]
        await eventually(lambda: _ends_with(agent, expected))
        assert await plugin.handle_webhook(*webhook) == 202  # and after: a duplicate
        assert [m for m in texts(await agent.history("c1")) if m[0] == "agent"] == [("agent", REPLY)]
        assert await _early_events(agent) == []
    assert outcomes[:2] == ["kept", "kept"] and outcomes[-1] == "duplicate"


async def test_a_webhook_kept_by_a_worker_that_stopped_is_applied_by_the_one_that_completes_the_start(
    store_url: str,
) -> None:
    """Two workers on one store: the start is postponed in the first, the webhook reaches the second, which keeps it
    and stops (a restart); the first completes the start and applies it."""
    memory = MemoryHitl(push=False)
    async with _webhook_bot(store_url, memory) as (first, first_plugin):
        start, ticket = await _postponed_handoff(first, first_plugin)
        second_plugin = HitlPlugin(memory, **FAST)
        async with Agent("support", ScriptedModel([]), plugins={"desk-hitl": second_plugin}, store=store_url):
            event = HitlEvent("agent_message", ticket, "e1", "Ana", REPLY, time.time())
            assert await second_plugin.handle_webhook(*memory.signed_webhook(event)) == 202
        start.failing = False
        await first_plugin.redeliver()
        expected = [("system", HANDOFF), ("system", ASSIGNED), ("agent", REPLY)]
        await eventually(lambda: _ends_with(first, expected))
        assert await _early_events(first) == []


async def test_a_webhook_kept_by_another_worker_while_the_start_is_sent_is_applied_when_it_completes(
    store_url: str,
) -> None:
    """Two workers on one store: the first is sending the start (the call held), the webhook reaches the second,
    which waits for it no longer (``webhook_wait_seconds=0``) and keeps it; the first completes the start with its
    turn, sees the event kept for the ticket, and applies it."""
    memory = MemoryHitl(push=False)
    async with _webhook_bot(store_url, memory) as (first, _):
        held = HeldStart(memory)
        turn = asyncio.create_task(first.receive("c1", "Get me a human", user=USER))
        ticket, release = await held.held()
        second_plugin = HitlPlugin(memory, webhook_wait_seconds=0, **FAST)
        async with Agent("support", ScriptedModel([]), plugins={"desk-hitl": second_plugin}, store=store_url):
            event = HitlEvent("agent_message", ticket, "e1", "Ana", REPLY, time.time())
            assert await second_plugin.handle_webhook(*memory.signed_webhook(event)) == 202
            assert await _early_events(first) == [("e1", ticket)]
            release.set()
            assert texts(await turn) == [("system", HANDOFF)]
            expected = [("system", HANDOFF), ("system", ASSIGNED), ("agent", REPLY)]
            await eventually(lambda: _ends_with(first, expected))
        assert await _early_events(first) == []


async def test_events_for_a_start_that_fails_for_good_are_dropped_with_it(store_url: str) -> None:
    """The helpdesk refuses the postponed start at its next try: the session ends with an error and the bot has the
    conversation back; the events kept for its ticket are dropped, as those of an ended session are: the user does
    not hear from a person after being told the handoff failed."""
    memory = MemoryHitl(push=False)
    async with _webhook_bot(store_url, memory) as (agent, plugin):
        start, ticket = await _postponed_handoff(agent, plugin)
        webhook = memory.signed_webhook(HitlEvent("agent_message", ticket, "e1", "Ana", REPLY, time.time()))
        assert await plugin.handle_webhook(*webhook) == 202
        start.refusing = True
        await plugin.redeliver()
        assert await plugin.state("c1") == "ended"
        assert await _early_events(agent) == []
        assert await plugin.handle_webhook(*webhook) == 202  # sent again: unknown, ignored
        history = texts(await agent.history("c1"))
    assert ("agent", REPLY) not in history and history[-1] == ("system", BROKEN)


async def test_an_event_for_another_ticket_kept_while_a_start_was_postponed_is_dropped_once_it_completes(
    store_url: str, outcomes: list[str]
) -> None:
    """A ticket no session of this bot has: its event, which came while a start was postponed (it might have been
    that start's ticket), is kept, and dropped once the start completes with another ticket."""
    async with _desk_bot(store_url) as agent:
        plugin = agent.plugins["desk-hitl"]
        desk = plugin.desk
        start, ticket = await _postponed_handoff(agent, plugin)
        other = await desk.create_ticket(conversation_id="elsewhere", idempotency_key="elsewhere:1", title="Other",
                                         description="", priority="low", user=ELSEWHERE)  # fmt: skip
        await desk.reply(other.id, "Not for this bot", agent_name="Bo")
        assert [session for _, session in await _early_events(agent)] == [other.id]
        start.failing = False
        await plugin.redeliver()
        assert await _early_events(agent) == []
        assert "Not for this bot" not in [text for _, text in texts(await agent.history("c1"))]
    assert outcomes == ["kept"]


async def test_a_store_of_the_release_before_gets_the_early_events_table(store_url: str) -> None:
    """A store at HITL migration 3 (the release before) gets migration 4 on open: the table is added, and a handoff
    then a restart work on it."""
    database = open_database(store_url)
    database.open()
    try:
        migrate(database, [Component(HITL_MIGRATIONS.name, HITL_MIGRATIONS.migrations[:3], HITL_MIGRATIONS.tables)])
    finally:
        database.close()
    memory = MemoryHitl(push=False)
    async with _webhook_bot(store_url, memory) as (agent, plugin):
        await agent.receive("c1", "Get me a human", user=USER)
    async with _webhook_bot(store_url, memory) as (agent, plugin):
        assert await plugin.state("c1") == "pending" and await _early_events(agent) == []

        def version(connection: Connection) -> int:
            sql = "SELECT MAX(version) FROM agentkit_migrations WHERE component = 'hitl'"
            return int(connection.execute(sql).fetchone()[0])

        assert await agent.store.run(version, write=False) == 4
