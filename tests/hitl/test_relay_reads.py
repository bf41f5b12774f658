"""A relayed message starts from the session its turn read, and the enqueue reads again only what may have changed
since (whether the session is still open, its helpdesk id, an older row still queued): the message goes to the
session open now, with the helpdesk id it has now."""

from __future__ import annotations

from agentkit.hitl._memory import MemoryHitl
from agentkit.hitl._plugin import HitlPlugin
from agentkit.hitl._provider import ProviderError
from agentkit.models import ScriptedModel
from agentkit.runtime import Agent

from .lifecycle_helpers import FAST


def memory_agent(memory: MemoryHitl, store_url: str) -> Agent:
    plugin = HitlPlugin(memory, **FAST, retry_attempts=1, redeliver_interval=30)
    return Agent("support", ScriptedModel([]), plugins={"desk-hitl": plugin}, store=store_url)


async def test_a_session_read_before_its_ticket_existed_relays_with_the_ticket_it_has_now(store_url: str) -> None:
    memory = MemoryHitl()
    async with memory_agent(memory, store_url) as agent:
        plugin = agent.plugins["desk-hitl"]
        memory.fail_next(ProviderError("memory: 503", retryable=True, provider="memory", status=503))
        await plugin.actions.start_hitl("c1", "Refund")  # queued: the helpdesk is down
        read = await plugin.session("c1")
        assert read is not None and read.session_id is None
        assert await plugin.redeliver() == 1  # the ticket is opened after the turn read its session

        assert await plugin.intercept("c1", "for the person", read)

        ticket = memory.only_session()
        assert ticket.user_messages == ["for the person"]
        current = await plugin.session("c1")
        assert current is not None and current.is_open and current.session_id == ticket.id
        assert await plugin.outbox("queued", "failed", "dead") == []


async def test_a_session_that_ended_after_the_read_gives_the_message_to_the_bot(store_url: str) -> None:
    memory = MemoryHitl()
    async with memory_agent(memory, store_url) as agent:
        plugin = agent.plugins["desk-hitl"]
        await plugin.actions.start_hitl("c1", "Refund")
        read = await plugin.session("c1")
        assert read is not None and read.is_open
        await memory.close(memory.only_session().id)  # the person closes the ticket meanwhile

        assert not await plugin.intercept("c1", "for the person", read)

        assert memory.only_session().user_messages == []
        assert [e.kind for e in await plugin.outbox("queued", "done", "failed", "cancelled")] == ["start"]


async def test_a_session_opened_after_the_read_gets_the_message_not_the_ended_one(store_url: str) -> None:
    memory = MemoryHitl()
    async with memory_agent(memory, store_url) as agent:
        plugin = agent.plugins["desk-hitl"]
        await plugin.actions.start_hitl("c1", "Refund")
        read = await plugin.session("c1")
        assert read is not None and read.is_open
        first = memory.only_session().id
        await memory.close(first)
        await plugin.actions.start_hitl("c1", "Refund again")  # a second escalation, with a ticket of its own
        second = next(s for s in memory.sessions.values() if s.id != first)

        assert await plugin.intercept("c1", "for the person", read)

        assert memory.sessions[first].user_messages == []
        assert second.user_messages == ["for the person"]
        current = await plugin.session("c1")
        rows = await agent.store.run(
            lambda c: c.execute("SELECT session_row FROM hitl_outbox WHERE kind = 'message'").fetchall(), write=False
        )
        assert current is not None and [r["session_row"] for r in rows] == [current.row_id]  # queued in the new one
