"""``start_hitl``'s store transactions: each is a commit (an fsync on a file database), so the handoff opens its
session with the reads that decide it, sends the start it claimed there, and learns how the delivery ended in the
transaction that completed it. What it does is unchanged: the admission, the timeout of an overdue session, one
ticket, what the user hears."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import MappingProxyType
from typing import Any

import pytest

from agentkit import context
from agentkit.hitl._memory import MemoryHitl
from agentkit.hitl._plugin import HitlPlugin
from agentkit.hitl._provider import ProviderError
from agentkit.models import ScriptedModel
from agentkit.runtime import Agent, ConversationInfo
from agentkit.storage import Connection
from agentkit.testing import eventually

from .lifecycle_helpers import CLOSED, DELAYED, FAST, HANDOFF, TIMED_OUT, USER, texts
from .store_counts import count_store_runs, counted


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The store transactions run for the code under ``counted()`` (not the background passes), write or read."""
    return count_store_runs(monkeypatch, reads=True)


@asynccontextmanager
async def memory_agent(memory: MemoryHitl, store_url: str, **config: Any) -> AsyncIterator[Agent]:
    plugin = HitlPlugin(memory, **FAST, **config)
    async with Agent("support", ScriptedModel([]), plugins={"desk-hitl": plugin}, store=store_url) as agent:
        await agent.send("c1", "Hello, how can I help?")  # a transcript to read
        yield agent


async def start(agent: Agent, **scope: Any) -> Any:
    """``start_hitl`` as the handoff tool calls it in a turn (the user known from the turn: no read for it)."""
    info = ConversationInfo("c1", MappingProxyType(USER))
    with context.scope(conversation=info, **scope), counted():
        return await agent.plugins["desk-hitl"].actions.start_hitl(conversation_id="c1", title="Wants a person")


async def test_a_handoff_opens_its_session_and_claims_its_start_in_the_transaction_that_reads_its_transcript(
    store_url: str, runs: Counter[str]
) -> None:
    """Two writes: the session opened with the transcript read and its start claimed and marked as maybe sent (an
    ``/end`` from then on closes the ticket after it); the start marked done with the helpdesk's id, the user told,
    and how the delivery ended read back. Before s7-handoff, three: the mark in a transaction of its own, just
    before the call. Before that: the transcript read, a read for the timeouts, the open, the claim, the mark, the
    completion, the conclusion and the session read again (1 read, 7 writes)."""
    memory = MemoryHitl()
    async with memory_agent(memory, store_url) as agent:
        started = await start(agent)
        assert runs == {"write": 2}
        assert started.status == "opened"
        assert started.session.session_id == memory.only_session().id and started.session.notice == "handoff"
        assert [(line.role, line.text) for line in memory.only_session().request.transcript] == [
            ("bot", "Hello, how can I help?")
        ]
        assert texts(await agent.history("c1"))[-1] == ("system", HANDOFF)


async def test_an_admission_is_asked_between_a_look_and_the_open_and_a_repeated_handoff_costs_none(
    store_url: str, runs: Counter[str]
) -> None:
    asked: list[tuple[str, str]] = []
    memory = MemoryHitl()
    async with memory_agent(memory, store_url) as agent:
        plugin = agent.plugins["desk-hitl"]

        async def admit(conversation_id: str) -> None:
            with counted(False):  # the test's own look is not the handoff's
                asked.append((conversation_id, await plugin.state(conversation_id)))

        assert (await start(agent, admit_escalation=admit)).status == "opened"
        assert asked == [("c1", "none")]  # asked before anything was opened
        assert runs == {"write": 3}  # the look (with the transcript), then the two of a handoff
        runs.clear()
        assert (await start(agent, admit_escalation=admit)).status == "already_escalated"
        assert asked == [("c1", "none")] and runs == {"write": 1}
        assert len(memory.start_calls) == 1


async def test_a_refused_admission_opens_nothing(store_url: str, runs: Counter[str]) -> None:
    memory = MemoryHitl()

    async def refuse(conversation_id: str) -> None:
        raise RuntimeError("over the quota")

    async with memory_agent(memory, store_url) as agent:
        with pytest.raises(RuntimeError, match="over the quota"):
            await start(agent, admit_escalation=refuse)
        assert runs == {"write": 1}
        plugin = agent.plugins["desk-hitl"]
        assert await plugin.state("c1") == "none" and await plugin.outbox("queued", "done") == []
    assert memory.start_calls == []


async def test_an_overdue_session_ends_in_the_transaction_that_opens_the_next(
    store_url: str, runs: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The timeout check that ``start_hitl`` makes (the background one may not have run yet) is part of the open:
    the user hears the timeout, the first ticket is closed, the second escalation opens its own."""
    memory = MemoryHitl()
    async with memory_agent(memory, store_url, agent_assigned_timeout_seconds=600) as agent:
        first = await start(agent)
        later = time.time() + 601
        monkeypatch.setattr(time, "time", lambda: later)
        runs.clear()
        second = await start(agent)
        monkeypatch.undo()
        # The end and the open; the first ticket's stop claimed and completed; the second start's two.
        assert runs == {"write": 4}
        assert second.status == "opened" and second.session.escalation == 2
        tickets = [memory.sessions[s.session.session_id] for s in (first, second)]
        assert [t.stopped_reason is not None for t in tickets] == [True, False]
        shown = texts(await agent.history("c1"))
        assert shown[-2:] == [("system", TIMED_OUT), ("system", HANDOFF)]


async def test_a_start_the_helpdesk_cannot_take_now_is_queued_and_the_user_told_once(
    store_url: str, runs: Counter[str]
) -> None:
    memory = MemoryHitl()
    memory.fail_next(*[ProviderError("memory: 503", retryable=True, provider="memory", status=503)] * 2)
    async with memory_agent(memory, store_url, retry_attempts=2, redeliver_interval=30) as agent:
        started = await start(agent)
        assert started.status == "queued" and started.session.notice == "delayed"
        assert texts(await agent.history("c1"))[-1] == ("system", DELAYED)
        # The open (with the mark), the postponement, where it stands, the user told.
        assert runs == {"write": 4}
        assert await agent.plugins["desk-hitl"].redeliver() == 1
    assert memory.only_session().request.idempotency_key == "c1:1"


class _Died(Exception):
    """The process dies: nothing after this point of the handoff runs."""


async def _dies_after_the_open(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    """A handoff whose process dies once the session is open, before the inline delivery calls the helpdesk."""

    async def die(*args: Any, **kwargs: Any) -> Any:
        raise _Died

    monkeypatch.setattr(agent.plugins["desk-hitl"].deliverer, "deliver", die)
    with pytest.raises(_Died):
        await start(agent)


async def test_a_process_that_dies_right_after_the_open_leaves_its_claimed_start_to_the_next_one(
    store_url: str, runs: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The start is claimed in the transaction that opens the session, for ``claim_seconds``: a process that dies
    before sending it holds it no longer than that, then the next deliverer sends it, once."""
    memory = MemoryHitl()
    async with memory_agent(memory, store_url, claim_seconds=0.3) as agent:
        await _dies_after_the_open(agent, monkeypatch)
        assert runs == {"write": 1} and memory.start_calls == []
    restarted = Agent("support", ScriptedModel([]), plugins={"desk-hitl": HitlPlugin(memory, **FAST)}, store=store_url)
    async with restarted:  # its background deliverer, or redeliver, takes it over once the claim ran out
        await restarted.plugins["desk-hitl"].redeliver()
        await eventually(lambda: len(memory.sessions) == 1)
        assert await restarted.plugins["desk-hitl"].redeliver() == 0
        assert texts(await restarted.history("c1"))[-1] == ("system", HANDOFF)
    assert len(memory.start_calls) == 1 and memory.only_session().request.idempotency_key == "c1:1"


async def test_a_start_claimed_in_the_open_is_marked_maybe_sent_there_so_an_end_after_a_crash_closes_its_ticket(
    store_url: str, runs: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The open claims the start for the inline delivery and marks it as maybe sent in the same transaction (no
    transaction of its own before the call). A process that dies after the open may have called the helpdesk: an
    ``/end`` then does not drop the start, it is sent (with its key) and its ticket closed after it; the user who
    ended it is not told that a person is coming."""
    memory = MemoryHitl()
    async with memory_agent(memory, store_url, claim_seconds=600) as agent:
        await _dies_after_the_open(agent, monkeypatch)
        assert runs == {"write": 1}
        assert await agent.store.run(_start_row, write=False) == ("queued", 1)
    model = ScriptedModel([])
    restarted = Agent("support", model, plugins={"desk-hitl": HitlPlugin(memory, **FAST)}, store=store_url)
    async with restarted:
        assert texts(await restarted.receive("c1", "/end")) == [("system", CLOSED)]
        await restarted.store.run(_claims_run_out)  # the dead process's claim, 600 s long, runs out
        assert await restarted.plugins["desk-hitl"].redeliver() == 2  # the start, then the stop
        assert await restarted.store.run(_start_row, write=False) == ("done", 1)
        told = [text for _, text in texts(await restarted.history("c1"))]
    assert [call.idempotency_key for call in memory.start_calls] == ["c1:1"]
    assert memory.only_session().stopped_reason is not None
    assert told[-1] == CLOSED and HANDOFF not in told


def _start_row(connection: Connection) -> tuple[str, int]:
    row = connection.execute("SELECT status, maybe_sent FROM hitl_outbox WHERE kind = 'start'").fetchone()
    return row["status"], int(row["maybe_sent"])


def _claims_run_out(connection: Connection) -> None:
    connection.execute("UPDATE hitl_outbox SET claimed_until = 0 WHERE claim_token IS NOT NULL")


@pytest.mark.parametrize("seconds", [0, 600])
async def test_the_new_session_is_given_as_it_was_stored(store_url: str, runs: Counter[str], seconds: int) -> None:
    """``start_hitl`` gives the session it wrote without reading it back: the same as a read of it gives (before,
    it gave it as it was before the handoff notice was recorded)."""
    memory = MemoryHitl()
    async with memory_agent(memory, store_url, deliver_inline=False, agent_assigned_timeout_seconds=seconds) as agent:
        started = await start(agent)
        assert started.status == "queued" and runs == {"write": 1}
        plugin = agent.plugins["desk-hitl"]
        assert started.session == await plugin.session("c1")
        assert (started.session.state, started.session.notice) == ("pending", "handoff")  # the user was told
        assert (started.session.timeout_at is None) == (seconds == 0)


@pytest.mark.parametrize(("seconds", "woken"), [(0, False), (600, True)])
async def test_the_timeouts_pass_is_woken_only_for_a_session_that_can_time_out(
    store_url: str, runs: Counter[str], monkeypatch: pytest.MonkeyPatch, seconds: int, woken: bool
) -> None:
    """Each pass of the background timeouts is two transactions: a handoff wakes it only when its session has a
    timeout that may come before the one the pass sleeps until (before: at every handoff)."""
    memory = MemoryHitl()
    async with memory_agent(memory, store_url, agent_assigned_timeout_seconds=seconds) as agent:
        plugin = agent.plugins["desk-hitl"]
        wakes: list[dict[str, bool]] = []
        original = plugin.wake

        def wake(**kwargs: bool) -> None:
            wakes.append(kwargs)
            original(**kwargs)

        monkeypatch.setattr(plugin, "wake", wake)
        started = await start(agent)
        assert started.status == "opened" and (started.session.timeout_at is not None) is woken
        assert [w.get("timeouts", True) for w in wakes] == [woken]


async def test_each_escalation_after_an_ended_one_is_numbered_next_with_a_ticket_of_its_own(
    store_url: str, runs: Counter[str]
) -> None:
    """The open reads the conversation's latest session once: the open one if any, else the number to follow."""
    memory = MemoryHitl()
    async with memory_agent(memory, store_url) as agent:
        plugin = agent.plugins["desk-hitl"]
        numbers = []
        for _ in range(3):
            started = await start(agent)
            assert (await start(agent)).status == "already_escalated"
            numbers.append(started.session.escalation)
            assert await plugin.actions.stop_hitl("c1")
    assert numbers == [1, 2, 3]
    assert [s.request.idempotency_key for s in memory.sessions.values()] == ["c1:1", "c1:2", "c1:3"]
