"""A process that dies between storing an escalation and delivering it: after a restart, exactly one ticket."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

from agentkit.hitl._desk import DeskHitl
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent, redeliver, redeliver_async

from .lifecycle_helpers import ASSIGNED, HANDOFF, USER, eventually, next_messages, texts


def desk_agent(tmp_path: Path, model: ScriptedModel | None = None, **config: object) -> Agent:
    plugin = DeskHitl(tmp_path / "desk.sqlite3", poll_interval=0.05, **config)
    return Agent(
        "support", model or ScriptedModel([]), plugins={"desk-hitl": plugin}, store=f"sqlite:///{tmp_path}/bot.db"
    )


async def store_escalation_without_delivering(tmp_path: Path) -> None:
    """The first process: the escalation reaches the outbox, then the process stops before sending it."""
    model = ScriptedModel([call("handToSupport", reason="Wants a person", priority="high")])
    first = desk_agent(tmp_path, model, deliver_inline=False)  # never started: no background deliverer
    try:
        assert texts(await first.receive("c1", "Get me a human", user=USER)) == [("system", HANDOFF)]
    finally:
        await first.aclose()


async def test_a_stored_escalation_is_delivered_once_after_a_restart(tmp_path: Path) -> None:
    await store_escalation_without_delivering(tmp_path)
    second = desk_agent(tmp_path)
    async with second:
        desk = second.plugins["desk-hitl"].desk
        await eventually(lambda: _session_delivered(second))
        (ticket,) = await desk.tickets()
        # The restarted bot follows the ticket as if nothing happened.
        updates = second.subscribe("c1")
        await desk.assign(ticket.id, "Ana")
        assert texts(await next_messages(updates, 1)) == [("system", ASSIGNED)]
    assert (ticket.title, ticket.priority, ticket.idempotency_key) == ("Wants a person", "high", "c1:1")
    async with desk_agent(tmp_path) as third:  # and a third start sends nothing again
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

    async def main(folder):
        plugin = HitlPlugin(DiesAfterTheTicketIsMade(f"{folder}/desk.sqlite3"), claim_seconds=0.5)
        model = ScriptedModel([call("handToSupport", reason="Wants a person")])
        agent = Agent("support", model, plugins={"desk-hitl": plugin}, store=f"sqlite:///{folder}/bot.db")
        await agent.receive("c1", "Get me a human", user={"id": "u1", "name": "Jo Doe"})

    asyncio.run(main(sys.argv[1]))
    """
)


async def test_a_process_killed_mid_delivery_still_makes_exactly_one_ticket(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", KILLED_MID_DELIVERY, str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await process.communicate()
    assert process.returncode == 17, stderr.decode()

    restarted = desk_agent(tmp_path)
    updates = restarted.subscribe("c1")
    async with restarted:
        # The dead process's claim on the row runs out; the row is sent again with the same idempotency key.
        assert texts(await next_messages(updates, 1)) == [("system", HANDOFF)]
        tickets = await restarted.plugins["desk-hitl"].desk.tickets()
        session = await restarted.plugins["desk-hitl"].session("c1")
    assert len(tickets) == 1 and session is not None and session.session_id == tickets[0].id


async def test_redeliver_sends_what_the_outbox_holds(tmp_path: Path) -> None:
    await store_escalation_without_delivering(tmp_path)
    bot = desk_agent(tmp_path)  # as the CLI would load it: redeliver through the bot's own (bound) plugins
    store = f"sqlite:///{tmp_path}/bot.db"
    assert await redeliver_async(store, bot.plugins) == 1
    assert await redeliver_async(store, {"desk-hitl": DeskHitl(tmp_path / "desk.sqlite3")}) == 0
    checker = desk_agent(tmp_path)
    try:
        assert len(await checker.plugins["desk-hitl"].desk.tickets()) == 1
    finally:
        await checker.aclose()
        await bot.aclose()


def test_redeliver_runs_from_synchronous_code_like_the_cli(tmp_path: Path) -> None:
    asyncio.run(store_escalation_without_delivering(tmp_path))
    assert redeliver(f"sqlite:///{tmp_path}/bot.db", {"desk-hitl": DeskHitl(tmp_path / "desk.sqlite3")}) == 1


async def _session_delivered(agent: Agent) -> bool:
    session = await agent.plugins["desk-hitl"].session("c1")
    return session is not None and session.delivered
