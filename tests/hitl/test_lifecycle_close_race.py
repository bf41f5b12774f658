"""A person closes the ticket in another process (the desk web app of a second worker) just before the user writes
again, before this process has read the ticket_closed event: the user's message must not be lost."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from agentkit.desk import LocalDesk
from agentkit.hitl import DeskHitl, HitlPlugin, MemoryHitl, ProviderError
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent
from agentkit.testing import eventually

from .lifecycle_helpers import BROKEN, HANDOFF, USER, next_messages, texts

BACK = "I'm back: how can I help?"
MORE = "One more thing: my invoice address is wrong"


async def test_a_message_written_as_the_person_closes_elsewhere_is_answered_by_the_bot(store_url: str) -> None:
    model = ScriptedModel([call("handToSupport", reason="Needs a person", priority="medium"), BACK])
    plugin = DeskHitl(store_url, poll_interval=3600)  # this process does not read the other's events in time
    async with Agent("support", model, plugins={"desk-hitl": plugin}, store=store_url) as agent:
        assert texts(await agent.receive("c1", "A person please", user=USER)) == [("system", HANDOFF)]
        async with LocalDesk(store_url) as other_worker:  # the desk app served by another process
            (ticket,) = await other_worker.tickets()
            await other_worker.assign(ticket.id, "Ana")
            await other_worker.close(ticket.id, reason="solved", by="agent")

            replies = await agent.receive("c1", MORE)

        assert ("bot", BACK) in texts(replies), texts(replies)
        assert len(model.requests) == 2
        history = texts(await agent.history("c1"))
    assert history.count(("user", MORE)) == 1


async def test_a_message_queued_for_a_person_who_has_left_is_answered_by_the_bot_later(store_url: str) -> None:
    # The turn only queues the message (deliver_inline=False); the background delivery then finds the ticket closed.
    # A provider of our own refuses it, so that no notification from the desk can tell the plugin first.
    model = ScriptedModel([call("handToSupport", reason="Needs a person", priority="medium"), BACK])
    memory = MemoryHitl()
    plugin = HitlPlugin(memory, deliver_inline=False, retry_initial_delay=0.01, retry_max_delay=0.05)
    async with Agent("support", model, plugins={"desk-hitl": plugin}, store=store_url) as agent:
        await agent.receive("c1", "A person please", user=USER)
        await eventually(lambda: len(memory.sessions) == 1)
        await eventually(_started(plugin))
        updates = agent.subscribe("c1")
        memory.fail_next(ProviderError("memory: the ticket is closed", retryable=False, provider="memory"))
        assert await agent.receive("c1", MORE) == []
        later = texts(await next_messages(updates, 3, wait=30))
        updates.close()
        history = texts(await agent.history("c1"))
    # The helpdesk refused the message: the user hears the session broke, then the bot answers the message.
    assert later == [("user", MORE), ("system", BROKEN), ("bot", BACK)], later
    assert history.count(("user", MORE)) == 1 and history.count(("bot", BACK)) == 1
    assert len(model.requests) == 2


def _started(plugin: HitlPlugin) -> Callable[[], Awaitable[bool]]:
    async def started() -> bool:
        session = await plugin.session("c1")
        return session is not None and session.session_id is not None

    return started
