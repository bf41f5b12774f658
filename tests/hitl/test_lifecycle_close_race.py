"""A person closes the ticket in another process (the desk web app of a second worker) just before the user writes
again, before this process has read the ticket_closed event: the user's message must not be lost."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from agentkit.desk import LocalDesk
from agentkit.handoff import User
from agentkit.hitl import DeskHitl, HitlPlugin, MemoryHitl, ProviderError, hand_to_support
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent, Conversation, HandlerContext
from agentkit.storage import Connection
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


async def test_two_identical_messages_given_back_are_each_answered_as_themselves(store_url: str) -> None:
    # Both were queued for the person and both refused: the bot answers each one, found by its stored id. Found by
    # its text, both turns got the later message (and the earlier one was never answered).
    handled: list[tuple[int, str]] = []

    async def handler(ctx: HandlerContext) -> None:
        if ctx.message.text == "A person please":
            await ctx.execute(tools=[hand_to_support("desk-hitl")])
            return
        handled.append((ctx.message.id, ctx.message.text))
        await ctx.send(BACK)

    model = ScriptedModel([call("handToSupport", reason="Needs a person", priority="medium")])
    helpdesk = _HeldHitl()
    plugin = HitlPlugin(helpdesk, deliver_inline=False, retry_initial_delay=0.01, retry_max_delay=0.05)
    async with Agent("support", model, {"desk-hitl": plugin}, Conversation(handler=handler), store=store_url) as agent:
        await agent.receive("c1", "A person please", user=USER)
        await eventually(_started(plugin))
        updates = agent.subscribe("c1")
        await agent.receive("c1", "hello?")
        await eventually(helpdesk.sending.is_set)  # the first is on its way
        await agent.receive("c1", "hello?")  # the second waits behind it
        helpdesk.fail_next(ProviderError("memory: the ticket is closed", retryable=False, provider="memory"))
        helpdesk.release.set()
        later = texts(await next_messages(updates, 5, wait=30))
        updates.close()
        stored = [m.id for m in await agent.history("c1") if m.role == "user" and m.text == "hello?"]
    assert later.count(("bot", BACK)) == 2, later
    assert len(stored) == 2 and handled == [(stored[0], "hello?"), (stored[1], "hello?")], (handled, stored)


async def test_a_message_queued_by_an_earlier_release_is_given_back_by_its_text(store_url: str) -> None:
    # Outbox rows written before ids were kept hold only the text: the bot still answers that message.
    model = ScriptedModel([call("handToSupport", reason="Needs a person", priority="medium"), BACK])
    helpdesk = _HeldHitl()
    plugin = HitlPlugin(helpdesk, deliver_inline=False, retry_initial_delay=0.01, retry_max_delay=0.05)
    async with Agent("support", model, plugins={"desk-hitl": plugin}, store=store_url) as agent:
        await agent.receive("c1", "A person please", user=USER)
        await eventually(_started(plugin))
        updates = agent.subscribe("c1")
        await agent.receive("c1", MORE)
        await eventually(helpdesk.sending.is_set)
        await agent.store.run(_as_an_earlier_release_wrote_it)
        helpdesk.fail_next(ProviderError("memory: the ticket is closed", retryable=False, provider="memory"))
        helpdesk.release.set()
        later = texts(await next_messages(updates, 3, wait=30))
        updates.close()
    assert later == [("user", MORE), ("system", BROKEN), ("bot", BACK)], later


def _as_an_earlier_release_wrote_it(connection: Connection) -> None:
    (row,) = connection.execute("SELECT id, payload_json FROM hitl_outbox WHERE kind = 'message'").fetchall()
    assert set(json.loads(row["payload_json"])) == {"text", "message_id"}
    connection.execute("UPDATE hitl_outbox SET payload_json = ? WHERE id = ?", (json.dumps({"text": MORE}), row["id"]))


class _HeldHitl(MemoryHitl):
    """A helpdesk that holds every message sent to the person until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.sending, self.release = asyncio.Event(), asyncio.Event()

    async def send_to_agent(self, session_id: str, text: str, user: User) -> None:
        self.sending.set()
        await self.release.wait()
        await super().send_to_agent(session_id, text, user)
