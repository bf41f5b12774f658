"""A person closes the ticket in another process (the desk web app of a second worker) just before the user writes
again, before this process has read the ticket_closed event: the user's message must not be lost."""

from __future__ import annotations

from agentkit.desk import LocalDesk
from agentkit.hitl import DeskHitl
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
    model = ScriptedModel([call("handToSupport", reason="Needs a person", priority="medium"), BACK])
    plugin = DeskHitl(store_url, poll_interval=3600, deliver_inline=False)
    async with Agent("support", model, plugins={"desk-hitl": plugin}, store=store_url) as agent:
        await agent.receive("c1", "A person please", user=USER)
        await eventually(lambda: _one_ticket(plugin))
        updates = agent.subscribe("c1")
        async with LocalDesk(store_url) as other_worker:
            (ticket,) = await other_worker.tickets()
            await other_worker.close(ticket.id, reason="solved", by="agent")
            assert await agent.receive("c1", MORE) == []
            later = texts(await next_messages(updates, 3, wait=30))
        updates.close()
        history = texts(await agent.history("c1"))
    # The desk refused the message (the ticket is closed): the user hears the session ended, then the bot answers.
    assert later == [("user", MORE), ("system", BROKEN), ("bot", BACK)], later
    assert history.count(("user", MORE)) == 1 and history.count(("bot", BACK)) == 1
    assert len(model.requests) == 2


async def _one_ticket(plugin: DeskHitl) -> bool:
    return len(await plugin.desk.tickets()) == 1
