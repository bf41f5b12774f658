"""``/end`` racing the delivery of the escalation it ends, made deterministic with a pause at each point.

Nothing is lost either way: an escalation ended before its call to the helpdesk opens no ticket (even when a
deliverer had already claimed it), and one whose call may have reached the helpdesk (in flight, or timed out) is
sent and then closed, never dropped with its ticket left open. Before the fix, a deliverer that had claimed the
start sent it after ``/end``: the user had ended the conversation, and a ticket opened anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from agentkit.hitl._delivery import Deliverer
from agentkit.hitl._memory import MemoryHitl
from agentkit.hitl._outbox import OutboxRow
from agentkit.hitl._plugin import HitlPlugin
from agentkit.hitl._provider import EscalationRequest, ProviderError
from agentkit.hitl._state import HitlSession
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent
from agentkit.testing import eventually

from .lifecycle_helpers import CLOSED, DELAYED, FAST, HANDOFF, USER, texts

WAIT = 30.0


class Gate:
    """Where a deliverer stops until the test lets it go on."""

    def __init__(self) -> None:
        self.reached, self.go = asyncio.Event(), asyncio.Event()
        self.armed = False

    async def stop_here(self) -> None:
        self.reached.set()
        await self.go.wait()


@pytest.fixture
def between_claim_and_call(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    """Once armed, pause each deliverer after it claimed a start row and before it calls the helpdesk."""
    gate, original = Gate(), Deliverer._send_one

    async def send_one(self: Deliverer, row: OutboxRow, session: HitlSession, token: str) -> object:
        if row.kind == "start" and gate.armed:
            await gate.stop_here()
        return await original(self, row, session, token)

    monkeypatch.setattr(Deliverer, "_send_one", send_one)
    yield gate
    gate.go.set()


class SlowMemory(MemoryHitl):
    """A helpdesk whose answer to the ticket creation waits for the test: the call is in flight meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.gate: Gate | None = None

    async def start_hitl(self, request: EscalationRequest) -> str:
        if self.gate is not None:
            await self.gate.stop_here()
        return await super().start_hitl(request)


def unavailable(status: int | None) -> ProviderError:
    return ProviderError(f"memory: down ({status or 'timed out'})", retryable=True, provider="memory", status=status)


def make_agent(memory: MemoryHitl, store_url: str) -> Agent:
    model = ScriptedModel([call("handToSupport", reason="Wants a person"), "OK, how else can I help?"])
    # No background pass during the test (30 s away): the test runs every delivery itself, with redeliver.
    plugin = HitlPlugin(memory, **FAST, retry_attempts=2, redeliver_interval=30)
    return Agent("support", model, plugins={"desk-hitl": plugin}, store=store_url)


async def escalate_while_the_helpdesk_is_down(agent: Agent, memory: MemoryHitl, status: int | None) -> None:
    memory.fail_next(unavailable(status), unavailable(status))
    assert texts(await agent.receive("c1", "Get me a human", user=USER)) == [("system", DELAYED)]


async def end_during(agent: Agent, gate: Gate, delivery: asyncio.Task[Any]) -> list[tuple[str, str]]:
    """Send /end while a deliverer waits at ``gate``, then let it go on; what the user was told."""
    async with asyncio.timeout(WAIT):
        await gate.reached.wait()
    ending = asyncio.ensure_future(agent.receive("c1", "/end"))
    plugin = agent.plugins["desk-hitl"]
    await eventually(lambda: _ended(plugin), seconds=WAIT)
    gate.go.set()
    async with asyncio.timeout(WAIT):
        await delivery
        return texts(await ending)


async def _ended(plugin: HitlPlugin) -> bool:
    return await plugin.state("c1") == "ended"


async def test_ended_after_the_claim_and_before_the_call_opens_no_ticket(
    store_url: str, between_claim_and_call: Gate
) -> None:
    memory = MemoryHitl()
    async with make_agent(memory, store_url) as agent:
        await escalate_while_the_helpdesk_is_down(agent, memory, 503)
        plugin = agent.plugins["desk-hitl"]
        between_claim_and_call.armed = True
        delivery = asyncio.ensure_future(plugin.redeliver())
        assert await end_during(agent, between_claim_and_call, delivery) == [("system", CLOSED)]
        assert delivery.result() == 0 and await plugin.redeliver() == 0
        assert texts(await agent.receive("c1", "never mind")) == [("bot", "OK, how else can I help?")]
        assert {entry.kind: entry.status for entry in await plugin.outbox("queued", "done", "cancelled")} == {
            "start": "cancelled"
        }
    assert memory.sessions == {} and len(memory.start_calls) == 2  # the two refused tries, nothing after /end


async def test_ended_while_the_call_is_in_flight_the_ticket_is_opened_then_closed(store_url: str) -> None:
    memory = SlowMemory()
    async with make_agent(memory, store_url) as agent:
        await escalate_while_the_helpdesk_is_down(agent, memory, 503)
        memory.gate = Gate()
        delivery = asyncio.ensure_future(agent.plugins["desk-hitl"].redeliver())
        assert await end_during(agent, memory.gate, delivery) == [("system", CLOSED)]
        await eventually(lambda: memory.sessions and memory.only_session().stopped_reason, seconds=WAIT)
        assert await agent.plugins["desk-hitl"].redeliver() == 0
        told = [message.text for message in await agent.history("c1")]
    assert memory.only_session().request.idempotency_key == memory.start_calls[0].idempotency_key
    assert told[-1] == CLOSED and HANDOFF not in told  # the user who ended it is not told a person is coming


async def test_ended_after_a_timed_out_try_the_ticket_that_may_exist_is_closed(store_url: str) -> None:
    memory = MemoryHitl()
    async with make_agent(memory, store_url) as agent:
        await escalate_while_the_helpdesk_is_down(agent, memory, None)  # the helpdesk may have made the ticket
        assert texts(await agent.receive("c1", "/end")) == [("system", CLOSED)]
        assert await agent.plugins["desk-hitl"].redeliver() == 2  # the start again (same key), then the stop
    ticket = memory.only_session()
    assert ticket.stopped_reason is not None and len({r.idempotency_key for r in memory.start_calls}) == 1

