"""A helpdesk event can come while the handoff's start is still being completed: the ticket exists on the helpdesk
(a rule assigned it, a macro replied) but its id is not yet recorded with the session. Such an event used to be
looked up, found no session, and be dropped: a pushed one's position moved past it, a webhook was answered 202 and
not sent again. Now it waits for that start and is applied once, in order (or, if the start outlasts its wait, is
kept until the start completes: tests/hitl/test_events_kept_until_start_completes.py); an event whose session is
unknown and that no start on its way may open is still ignored at once, and does not hold up the pushed events after
it.

The window is held open by a provider whose ``start_hitl`` waits, once the helpdesk has the ticket, until the test
lets it return: the deliverer then completes the start (with the turn's run)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from agentkit.handoff import User
from agentkit.hitl import DeskHitl, EscalationRequest, HitlEvent, HitlPlugin, MemoryHitl
from agentkit.hitl import _plugin as plugin_module
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent
from agentkit.storage import Connection
from agentkit.testing import eventually

from .lifecycle_helpers import ASSIGNED, FAST, HANDOFF, USER, texts

REPLY = "Hi Jo, Ana here (auto-reply)."
ELSEWHERE = User("u9", "Kim", None)


class HeldStart:
    """Wraps a provider's ``start_hitl``: the helpdesk opens the ticket, then each call waits for the test to let it
    return (``held()`` gives the next call's ticket and its release)."""

    def __init__(self, provider: Any) -> None:
        self._start: Callable[[EscalationRequest], Awaitable[str]] = provider.start_hitl
        self._calls: asyncio.Queue[tuple[str, asyncio.Event]] = asyncio.Queue()
        provider.start_hitl = self

    async def __call__(self, request: EscalationRequest) -> str:
        ticket, release = await self._start(request), asyncio.Event()
        self._calls.put_nowait((ticket, release))
        await release.wait()
        return ticket

    async def held(self) -> tuple[str, asyncio.Event]:
        return await self._calls.get()


@pytest.fixture
def outcomes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each application of a helpdesk event came to, in order (each try of one that waits, too)."""
    seen: list[str] = []
    original = plugin_module.apply_event

    def apply_event(*args: Any, **kwargs: Any) -> Any:
        outcome = original(*args, **kwargs)
        seen.append(outcome)
        return outcome

    monkeypatch.setattr(plugin_module, "apply_event", apply_event)
    return seen


def _handoff_model() -> ScriptedModel:
    return ScriptedModel([call("handToSupport", reason="Wants a person")])


async def _cursor(agent: Agent) -> int | None:
    def read(connection: Connection) -> int | None:
        row = connection.execute("SELECT cursor FROM hitl_cursors WHERE plugin = 'desk-hitl'").fetchone()
        return None if row is None else int(row["cursor"])

    return await agent.store.run(read, write=False)


async def _applied_events(agent: Agent) -> list[str]:
    def read(connection: Connection) -> list[str]:
        return [r["event_id"] for r in connection.execute("SELECT event_id FROM hitl_events ORDER BY event_id")]

    return await agent.store.run(read, write=False)


@asynccontextmanager
async def _desk_bot(store_url: str, model: ScriptedModel | None = None, **config: Any) -> AsyncIterator[Agent]:
    """The bot on the desk, in a database of its own: on the agent's, the desk's ticket is opened in the transaction
    that opens the session, and no event can come before its id is recorded (tests/hitl/test_relay_through_desk.py).
    """
    with tempfile.TemporaryDirectory() as folder:
        plugin = DeskHitl(f"{folder}/desk.db", poll_interval=0.05, **FAST, **config)
        async with Agent("support", model or _handoff_model(), plugins={"desk-hitl": plugin}, store=store_url) as agent:
            yield await _subscribed(agent)


async def _subscribed(agent: Agent) -> Agent:

    async def subscribed() -> bool:  # to the desk's events: the first run saves the head it starts from
        return await _cursor(agent) is not None

    await eventually(subscribed)
    return agent


async def test_a_pushed_event_that_comes_before_the_start_completes_is_applied_once_after_it(
    store_url: str, outcomes: list[str]
) -> None:
    """The desk's auto-reply lands on the ticket while the handoff's start is being completed: it waits (the
    subscription's position stays before it) and reaches the user once the start has completed, after the
    handoff notice and the assignment, once."""
    async with _desk_bot(store_url) as agent:
        desk = agent.plugins["desk-hitl"].desk
        held = HeldStart(agent.plugins["desk-hitl"].provider)
        turn = asyncio.create_task(agent.receive("c1", "Get me a human", user=USER))
        ticket, release = await held.held()
        reply = asyncio.create_task(desk.reply(ticket, REPLY, agent_name="Ana"))  # pushed to the plugin at once
        await eventually(lambda: outcomes)  # the plugin has seen it, before the start's id is recorded
        cursor_before = await _cursor(agent)
        release.set()
        assert texts(await turn) == [("system", HANDOFF)]
        await reply
        history = texts(await agent.history("c1"))
        assert history == [("user", "Get me a human"), ("system", HANDOFF), ("system", ASSIGNED), ("agent", REPLY)]
        assert await _cursor(agent) == 2
        await desk.deliver_pending()  # the feed again: nothing is applied twice
        assert texts(await agent.history("c1")) == history and await _applied_events(agent) == ["2"]
    assert cursor_before == 0  # the position stayed before it while it waited
    assert outcomes[0] == "session_starting" and outcomes[-1] == "applied"


async def test_an_event_for_a_ticket_of_no_session_is_ignored_and_the_feed_goes_on(
    store_url: str, outcomes: list[str]
) -> None:
    """A ticket opened on the desk by someone else (no session of this bot has it): its events are ignored at once
    when no start is on its way, and once the starts that were on their way when it came have completed when some
    were (a start queued after it does not hold it: handoffs that keep coming do not stall the feed); either way
    the position moves past them, and the events after them are applied."""
    model = ScriptedModel([call("handToSupport", reason="Wants a person"), call("handToSupport", reason="Me too")])
    async with _desk_bot(store_url, model, inline_delivery_seconds=60) as agent:  # a pushed event's wait: 66 s
        desk = agent.plugins["desk-hitl"].desk
        other = await desk.create_ticket(conversation_id="elsewhere", idempotency_key="elsewhere:1", title="Other",
                                         description="", priority="low", user=ELSEWHERE)  # fmt: skip
        await desk.reply(other.id, "Not for this bot", agent_name="Bo")
        assert outcomes == ["unknown_session"] and await _cursor(agent) == 2

        held = HeldStart(agent.plugins["desk-hitl"].provider)
        first = asyncio.create_task(agent.receive("c1", "Get me a human", user=USER))
        ticket, release_first = await held.held()
        stray = asyncio.create_task(desk.reply(other.id, "Still not for this bot", agent_name="Bo"))  # seq 4
        await eventually(lambda: len(outcomes) > 1)
        second = asyncio.create_task(agent.receive("c2", "Me too", user=USER))
        _, release_second = await held.held()  # queued after the stray event came: not its
        release_first.set()
        await first
        await eventually(stray.done)  # let go once the start on its way when it came completed, the second held
        assert outcomes[-1] == "unknown_session" and await _cursor(agent) == 4
        await desk.reply(ticket, REPLY, agent_name="Ana")
        assert outcomes[-1] == "applied" and await _cursor(agent) == 6  # the second ticket's event is 5
        assert texts(await agent.history("c1"))[-1] == ("agent", REPLY)
        assert await _applied_events(agent) == ["6"]
        release_second.set()
        await second
    assert outcomes[1] == "session_starting"  # it might have been the ticket of the start on its way: it waited


@asynccontextmanager
async def _webhook_bot(store_url: str, **config: Any) -> AsyncIterator[tuple[Agent, MemoryHitl, HitlPlugin]]:
    memory = MemoryHitl(push=False)
    plugin = HitlPlugin(memory, **FAST, **config)
    async with Agent("support", _handoff_model(), plugins={"desk-hitl": plugin}, store=store_url) as agent:
        yield agent, memory, plugin


async def _webhook_while_the_start_is_held(
    agent: Agent, memory: MemoryHitl, plugin: HitlPlugin, outcomes: list[str]
) -> tuple[int, tuple[dict[str, str], bytes]]:
    """The agent's handoff, its start held once the helpdesk has the ticket; meanwhile the helpdesk's auto-reply
    sent by webhook to ``plugin`` and seen there (an outcome); then the start let go and the turn ended. The
    webhook's answer, and the webhook (to send again)."""
    held = HeldStart(memory)
    turn = asyncio.create_task(agent.receive("c1", "Get me a human", user=USER))
    ticket, release = await held.held()
    webhook = memory.signed_webhook(HitlEvent("agent_message", ticket, "e1", "Ana", REPLY, time.time()))
    answer = asyncio.create_task(plugin.handle_webhook(*webhook))
    await eventually(lambda: outcomes)
    release.set()
    await turn
    return await answer, webhook


async def test_a_webhook_that_comes_before_the_start_completes_waits_for_it(
    store_url: str, outcomes: list[str]
) -> None:
    """The helpdesk's trigger posts the auto-reply while the start is being completed: the webhook waits for the
    start (``webhook_wait_seconds``), is applied, and is answered 200; sent again, 202."""
    async with _webhook_bot(store_url) as (agent, memory, plugin):
        answer, webhook = await _webhook_while_the_start_is_held(agent, memory, plugin, outcomes)
        assert answer == 200
        assert await plugin.handle_webhook(*webhook) == 202
        history = texts(await agent.history("c1"))
    assert history == [("user", "Get me a human"), ("system", HANDOFF), ("system", ASSIGNED), ("agent", REPLY)]
    assert outcomes[0] == "session_starting" and outcomes[-2:] == ["applied", "duplicate"]


async def test_a_webhook_whose_start_outlasts_its_wait_is_kept_and_applied_once_the_start_completes(
    store_url: str, outcomes: list[str]
) -> None:
    """The start outlasts the webhook's wait (none here): the event is kept in the store and the webhook answered
    202 (a 503 would rely on the helpdesk sending it again, and helpdesks give up after a few tries); it reaches the
    user once the start has completed; sent again, it is not applied twice."""
    async with _webhook_bot(store_url, webhook_wait_seconds=0) as (agent, memory, plugin):
        held = HeldStart(memory)
        turn = asyncio.create_task(agent.receive("c1", "Get me a human", user=USER))
        ticket, release = await held.held()
        webhook = memory.signed_webhook(HitlEvent("agent_message", ticket, "e1", "Ana", REPLY, time.time()))
        assert await plugin.handle_webhook(*webhook) == 202
        release.set()
        await turn

        async def replied() -> bool:
            return texts(await agent.history("c1"))[-1:] == [("agent", REPLY)]

        await eventually(replied)
        assert await plugin.handle_webhook(*webhook) == 202
        assert [m for m in texts(await agent.history("c1")) if m[0] == "agent"] == [("agent", REPLY)]
    assert outcomes[:2] == ["session_starting", "kept"] and outcomes[-1] == "duplicate"


async def test_a_webhook_for_an_unknown_session_with_no_start_on_its_way_is_202_at_once(
    store_url: str, outcomes: list[str]
) -> None:
    async with _webhook_bot(store_url) as (agent, memory, plugin):
        await agent.receive("c1", "Get me a human", user=USER)  # a start completed: none on its way
        event = HitlEvent("agent_message", "ticket-from-elsewhere", "e1", "Bo", "hi")
        assert await plugin.handle_webhook(*memory.signed_webhook(event)) == 202
        assert outcomes == ["unknown_session"]


async def test_a_webhook_to_another_worker_waits_for_the_start_this_one_is_completing(
    store_url: str, outcomes: list[str]
) -> None:
    """Two workers on one database: the handoff runs in the first, the helpdesk's webhook reaches the second while
    the first is completing the start. The second sees the start on its way in the shared outbox and waits for it."""
    memory = MemoryHitl(push=False)
    first = Agent("support", _handoff_model(), plugins={"desk-hitl": HitlPlugin(memory, **FAST)}, store=store_url)
    second_plugin = HitlPlugin(memory, **FAST)
    second = Agent("support", ScriptedModel([]), plugins={"desk-hitl": second_plugin}, store=store_url)
    async with first, second:
        answer, _ = await _webhook_while_the_start_is_held(first, memory, second_plugin, outcomes)
        assert answer == 200
        history = texts(await second.history("c1"))
    assert history == [("user", "Get me a human"), ("system", HANDOFF), ("system", ASSIGNED), ("agent", REPLY)]
    assert outcomes[0] == "session_starting"
