"""A process that dies between storing an escalation and delivering it: after a restart, exactly one ticket."""

from __future__ import annotations

import asyncio
import sys
import textwrap

from agentkit.hitl._desk import DeskHitl
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent, redeliver, redeliver_sync
from agentkit.testing import eventually

from .lifecycle_helpers import ASSIGNED, HANDOFF, USER, desk_agent, next_messages, texts


async def store_escalation_without_delivering(store_url: str) -> None:
    """The first process: the escalation reaches the outbox, then the process stops before sending it."""
    model = ScriptedModel([call("handToSupport", reason="Wants a person", priority="high")])
    # Delivery in the background only, and the agent closed right after the turn: the row is left queued (or, if
    # the background deliverer was quick, sent; a delivery cut short by the close gives its row back).
    first = desk_agent(store_url, model, deliver_inline=False)
    try:
        assert texts(await first.receive("c1", "Get me a human", user=USER)) == [("system", HANDOFF)]
    finally:
        await first.aclose()


async def test_a_stored_escalation_is_delivered_once_after_a_restart(store_url: str) -> None:
    await store_escalation_without_delivering(store_url)
    second = desk_agent(store_url)
    async with second:
        desk = second.plugins["desk-hitl"].desk
        await eventually(lambda: _session_delivered(second))
        (ticket,) = await desk.tickets()
        # The restarted bot follows the ticket as if nothing happened.
        updates = second.subscribe("c1")
        await desk.assign(ticket.id, "Ana")
        assert texts(await next_messages(updates, 1)) == [("system", ASSIGNED)]
    assert (ticket.title, ticket.priority, ticket.idempotency_key) == ("Wants a person", "high", "c1:1")
    async with desk_agent(store_url) as third:  # and a third start sends nothing again
        await asyncio.sleep(0.1)
        assert len(await third.plugins["desk-hitl"].desk.tickets()) == 1


KILLED_MID_DELIVERY = textwrap.dedent(
    """
    import asyncio, os, sys
    from agentkit.hitl._plugin import HitlPlugin
    from agentkit.hitl.providers import LocalDeskProvider
    from agentkit.models import ScriptedModel, call
    from agentkit.runtime import Agent

    class DiesAfterTheTicketIsMade(LocalDeskProvider):
        async def start_hitl(self, request):
            await super().start_hitl(request)   # the helpdesk has the ticket...
            os._exit(17)                        # ...and the process dies before recording it

    async def main(url):
        plugin = HitlPlugin(DiesAfterTheTicketIsMade(url), claim_seconds=0.5)
        model = ScriptedModel([call("handToSupport", reason="Wants a person")])
        agent = Agent("support", model, plugins={"desk-hitl": plugin}, store=url)
        await agent.receive("c1", "Get me a human", user={"id": "u1", "name": "Jo Doe"})

    asyncio.run(main(sys.argv[1]))
    """
)


async def test_a_process_killed_mid_delivery_still_makes_exactly_one_ticket(store_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", KILLED_MID_DELIVERY, store_url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await process.communicate()
    assert process.returncode == 17, stderr.decode()

    restarted = desk_agent(store_url)
    updates = restarted.subscribe("c1")
    async with restarted:
        # The dead process's claim on the row runs out; the row is sent again with the same idempotency key.
        assert texts(await next_messages(updates, 1)) == [("system", HANDOFF)]
        tickets = await restarted.plugins["desk-hitl"].desk.tickets()
        session = await restarted.plugins["desk-hitl"].session("c1")
    assert len(tickets) == 1 and session is not None and session.session_id == tickets[0].id


async def test_redeliver_sends_what_the_outbox_holds(store_url: str) -> None:
    await store_escalation_without_delivering(store_url)
    bot = desk_agent(store_url)  # as the CLI would load it: redeliver through the bot's own (bound) plugins
    assert await redeliver(store_url, bot.plugins) == 1
    assert await redeliver(store_url, {"desk-hitl": DeskHitl(store_url)}) == 0
    checker = desk_agent(store_url)
    try:
        assert len(await checker.plugins["desk-hitl"].desk.tickets()) == 1
    finally:
        await checker.aclose()
        await bot.aclose()


def test_redeliver_runs_from_synchronous_code_like_the_cli(store_url: str) -> None:
    asyncio.run(store_escalation_without_delivering(store_url))
    assert redeliver_sync(store_url, {"desk-hitl": DeskHitl(store_url)}) == 1


async def _session_delivered(agent: Agent) -> bool:
    session = await agent.plugins["desk-hitl"].session("c1")
    return session is not None and session.delivered
