"""The embedded desk on the agent's own database (one SQLite file, or one PostgreSQL database, as ``agentkit serve
--db`` has them) takes a user's message for the person in the transaction that stores it: no outbox row, no
transaction of the desk's own. Anything but the plain case goes through the outbox as before: an older row of the
session still queued (they go in order), a ticket the person closed meanwhile (the bot answers), a desk in a
database of its own. Two workers on one PostgreSQL: each message once and in order, the other worker's inbox woken.
The handoff, likewise, opens the session and its ticket in one transaction: one ticket per escalation, no start row.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from contextvars import ContextVar
from typing import Any

import psycopg
import pytest

from agentkit.desk import LocalDesk
from agentkit.hitl import DeskHitl
from agentkit.hitl import _outbox as outbox
from agentkit.hitl import _state as state
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent
from agentkit.storage import DESK_CHANNEL, Connection
from agentkit.testing import eventually

from .lifecycle_helpers import DELAYED, HANDOFF, USER, texts

BACK = "I'm back: how can I help?"
_MARK = "agentkit_test_mark"
LISTENER_NAME = "agentkit-listen"  # what listening connections call themselves (storage)


def handoff_model(*then: str) -> ScriptedModel:
    return ScriptedModel([call("handToSupport", reason="Needs a person", priority="medium"), *then])


def agent_on(store_url: str, desk: str, model: ScriptedModel | None = None, **config: Any) -> Agent:
    plugin = DeskHitl(desk, poll_interval=3600, **config)  # its events come pushed, or not at all
    return Agent("support", model or handoff_model(), plugins={"desk-hitl": plugin}, store=store_url)


async def message_rows(agent: Agent) -> list[tuple[str, str]]:
    """The outbox's message rows: (text, status), oldest first."""
    rows = await agent.store.run(
        lambda c: c.execute("SELECT payload_json, status FROM hitl_outbox WHERE kind = 'message' ORDER BY id")
        .fetchall(),
        write=False,
    )  # fmt: skip
    return [(json.loads(r["payload_json"])["text"], r["status"]) for r in rows]


async def on_the_ticket(desk: LocalDesk) -> list[str]:
    (ticket,) = await desk.tickets()
    return [m.text for m in (await desk.ticket(ticket.id)).messages if m.author == "user"]


async def test_on_the_agents_database_a_message_for_the_person_goes_to_the_desk_with_no_outbox_row(
    store_url: str,
) -> None:
    async with agent_on(store_url, store_url) as agent:
        desk: LocalDesk = agent.plugins["desk-hitl"].desk
        assert texts(await agent.receive("c1", "A person please", user=USER)) == [("system", HANDOFF)]
        watch = desk.watch()
        for text in ("one", "two", "three"):
            watch._changed.clear()
            assert await agent.receive("c1", text) == []
            assert watch._changed.is_set()  # the inbox is woken as it is for any message the desk takes
        assert await on_the_ticket(desk) == ["one", "two", "three"]
        events = [(e.kind, e.text) for e in await desk.events_since(0)]
        assert events[-3:] == [("user_message", "one"), ("user_message", "two"), ("user_message", "three")]
        assert await message_rows(agent) == []
        watch.cancel()


async def test_a_desk_in_a_database_of_its_own_still_takes_messages_through_the_outbox(
    store_url: str, tmp_path: Any
) -> None:
    async with agent_on(store_url, str(tmp_path / "desk.sqlite3")) as agent:
        await agent.receive("c1", "A person please", user=USER)
        assert await agent.receive("c1", "one") == []
        assert await on_the_ticket(agent.plugins["desk-hitl"].desk) == ["one"]
        assert await message_rows(agent) == [("one", "done")]


def queue_older_row(connection: Connection, plugin: str) -> None:
    """An older message row of c1's open session, still queued: postponed for an hour, as after a helpdesk that was
    down (or one an earlier release queued)."""
    session = state.open_session(connection, plugin, "c1")
    assert session is not None
    row = outbox.enqueue(connection, plugin, session.row_id, "message", {"text": "older"}, time.time())
    outbox.postpone(connection, row, "the helpdesk was down", time.time() + 3600, maybe_sent=False)


async def test_a_message_behind_an_older_row_still_queued_waits_for_it_and_both_reach_the_desk_in_order(
    store_url: str,
) -> None:
    """The older row: one queued by an earlier release, or waiting for another try of a helpdesk that failed."""
    async with agent_on(store_url, store_url, redeliver_interval=3600) as agent:
        plugin = agent.plugins["desk-hitl"]
        await agent.receive("c1", "A person please", user=USER)

        await agent.store.run(lambda connection: queue_older_row(connection, plugin.alias))
        assert texts(await agent.receive("c1", "newer")) == [("system", DELAYED)]  # behind it, as before
        assert await on_the_ticket(plugin.desk) == []
        assert await plugin.redeliver() == 2
        assert await on_the_ticket(plugin.desk) == ["older", "newer"]
        assert await message_rows(agent) == [("older", "done"), ("newer", "done")]
        assert await agent.receive("c1", "after") == []  # none queued any more: through the desk again
        assert await on_the_ticket(plugin.desk) == ["older", "newer", "after"]
        assert len(await message_rows(agent)) == 2


async def test_a_ticket_closed_by_the_person_elsewhere_leaves_the_message_to_the_outbox_and_the_bot_answers(
    store_url: str,
) -> None:
    async with agent_on(store_url, store_url, handoff_model(BACK)) as agent:
        await agent.receive("c1", "A person please", user=USER)
        assert await agent.receive("c1", "one") == []
        async with LocalDesk(store_url) as other_worker:  # the desk app of another process
            (ticket,) = await other_worker.tickets()
            await other_worker.close(ticket.id, reason="solved", by="agent")
            replies = await agent.receive("c1", "two")
        assert ("bot", BACK) in texts(replies), texts(replies)
        assert await on_the_ticket(agent.plugins["desk-hitl"].desk) == ["one"]
        # Refused by the desk as before, or none queued: on PostgreSQL the close may have been pushed here first.
        assert await message_rows(agent) in ([("two", "failed")], []), await message_rows(agent)
        assert texts(await agent.history("c1")).count(("user", "two")) == 1


def other_url(url: str) -> str:
    """The same database under another URL: another listener, as another worker process has."""
    return f"{url}&application_name=other"


def listeners(url: str) -> int:
    """How many listening connections (of any worker) the database has."""
    with psycopg.connect(url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (LISTENER_NAME,)
        ).fetchone()
        return int(row[0]) if row is not None else 0


def desk_notifications(raw: psycopg.Connection[Any]) -> list[str]:
    """What was notified on the desk's channel to an anonymous listener since the last call: a mark sent now comes
    after whatever committed before it."""
    mark = uuid.uuid4().hex
    raw.execute("SELECT pg_notify(%s, %s)", (_MARK, mark))
    heard: list[str] = []
    for notify in raw.notifies(timeout=30):
        if notify.channel == _MARK and notify.payload == mark:
            return heard
        heard.append(notify.payload)
    raise AssertionError(f"the mark never came back; heard {heard}")


@pytest.mark.postgres
async def test_a_worker_alone_sends_no_notification_for_a_message_the_desk_takes(pg_url: str) -> None:
    await eventually(lambda: listeners(pg_url) == 0, 30)  # those of the tests before have stopped
    async with agent_on(pg_url, pg_url) as agent:
        desk: LocalDesk = agent.plugins["desk-hitl"].desk
        await agent.receive("c1", "A person please", user=USER)
        await eventually(lambda: desk.notified, 30)
        with psycopg.connect(pg_url, autocommit=True) as observer:  # anonymous: no worker counts it
            for channel in (DESK_CHANNEL, _MARK):
                observer.execute(f"LISTEN {channel}")
            assert await agent.receive("c1", "one") == []
            assert desk_notifications(observer) == []
        assert await on_the_ticket(desk) == ["one"]


@pytest.mark.postgres
async def test_two_workers_take_turns_each_message_reaches_the_desk_once_in_order_and_wakes_the_other(
    pg_url: str,
) -> None:
    """Worker B is another process (its own URL: its own listener). It first sees the session as it relays, and
    writes that message through to the desk all the same, in a transaction after the one that stored it (before
    s12-workers: through the outbox, in three); then with the message, as A does. Each worker's inbox is woken by the
    other's messages."""
    url_b = other_url(pg_url)
    async with agent_on(pg_url, pg_url) as a, agent_on(url_b, url_b, ScriptedModel([])) as b:
        desk_a: LocalDesk = a.plugins["desk-hitl"].desk
        desk_b: LocalDesk = b.plugins["desk-hitl"].desk
        await a.receive("c1", "A person please", user=USER)
        watch_a, watch_b = desk_a.watch(), desk_b.watch()
        await eventually(lambda: desk_a.notified and desk_b.notified, 30)
        for worker, other_watch, text in ((a, watch_b, "one"), (b, watch_a, "two"), (a, watch_b, "three"),
                                          (b, watch_a, "four")):  # fmt: skip
            other_watch._changed.clear()
            assert await worker.receive("c1", text) == [], text
            await eventually(other_watch._changed.is_set, 30)
        assert await on_the_ticket(desk_a) == ["one", "two", "three", "four"]
        assert await message_rows(a) == []  # B's first too, though it had not seen the session yet
        watch_a.cancel()
        watch_b.cancel()


@pytest.mark.postgres
async def test_a_ticket_closed_while_the_message_waits_for_its_row_leaves_the_message_to_the_outbox(
    pg_url: str,
) -> None:
    """The person's close holds the ticket's row as the user's message is stored: the desk's write waits for it,
    finds the ticket closed, and the outbox decides the same (the row queued, refused on delivery, the bot answers)."""
    async with agent_on(pg_url, pg_url, handoff_model(BACK)) as agent:
        await agent.receive("c1", "A person please", user=USER)
        (ticket,) = await agent.plugins["desk-hitl"].desk.tickets()
        with psycopg.connect(pg_url) as closing:  # the person's close, in another process
            closing.execute("SELECT id FROM desk_tickets WHERE id = %s FOR UPDATE", (int(ticket.id),))
            turn = asyncio.create_task(agent.receive("c1", "two"))
            await eventually(lambda: _waits_for_a_lock(pg_url), 30)
            assert ("user", "two") not in texts(await agent.history("c1"))  # the turn's first transaction waits
            closing.execute("UPDATE desk_tickets SET status = 'closed' WHERE id = %s", (int(ticket.id),))
            closing.commit()
            replies = await turn
        assert ("bot", BACK) in texts(replies), texts(replies)
        assert await on_the_ticket(agent.plugins["desk-hitl"].desk) == []
        assert await message_rows(agent) == [("two", "failed")]


def _waits_for_a_lock(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        return row is not None and int(row[0]) > 0


async def start_rows(agent: Agent) -> list[str]:
    rows = await agent.store.run(
        lambda c: c.execute("SELECT status FROM hitl_outbox WHERE kind = 'start' ORDER BY id").fetchall(), write=False
    )
    return [r["status"] for r in rows]


async def test_on_the_agents_database_the_handoff_opens_the_session_and_its_ticket_together(store_url: str) -> None:
    async with agent_on(store_url, store_url, handoff_model()) as agent:
        plugin = agent.plugins["desk-hitl"]
        desk: LocalDesk = plugin.desk
        watch = desk.watch()
        assert texts(await agent.receive("c1", "A person please", user=USER)) == [("system", HANDOFF)]
        assert watch._changed.is_set()  # the new ticket wakes the inbox
        (ticket,) = await desk.tickets()
        session = await plugin.session("c1")
        assert session is not None and (session.session_id, session.notice) == (ticket.id, "handoff")
        assert (ticket.idempotency_key, ticket.conversation_id, ticket.user.name) == ("c1:1", "c1", "Jo Doe")
        assert [e.kind for e in await desk.events_since(0)] == ["ticket_created"]
        assert await start_rows(agent) == []  # nothing was left to send

        again = await plugin.actions.start_hitl("c1", "Again")  # one ticket per escalation
        assert (again.status, again.session.session_id) == ("already_escalated", ticket.id)
        await desk.assign(ticket.id, "Ana")  # the person's events find the session at once
        await eventually(lambda: _state_is(plugin, "assigned"), 30)
        assert await plugin.actions.stop_hitl("c1")
        second = await plugin.actions.start_hitl("c1", "Second")
        assert second.status == "opened" and second.session.session_id not in (None, ticket.id)
        assert [t.idempotency_key for t in await desk.tickets()] == ["c1:1", "c1:2"]
        watch.cancel()


async def _state_is(plugin: DeskHitl, wanted: str) -> bool:
    return await plugin.state("c1") == wanted


async def test_a_desk_in_a_database_of_its_own_still_gets_its_ticket_through_the_outbox(
    store_url: str, tmp_path: Any
) -> None:
    async with agent_on(store_url, str(tmp_path / "desk.sqlite3")) as agent:
        assert texts(await agent.receive("c1", "A person please", user=USER)) == [("system", HANDOFF)]
        assert len(await agent.plugins["desk-hitl"].desk.tickets()) == 1
        assert await start_rows(agent) == ["done"]


@pytest.mark.postgres
async def test_two_workers_handing_off_one_conversation_at_once_open_one_session_and_one_ticket(pg_url: str) -> None:
    url_b = other_url(pg_url)
    async with agent_on(pg_url, pg_url) as a, agent_on(url_b, url_b) as b:
        started = await asyncio.gather(
            *(worker.plugins["desk-hitl"].actions.start_hitl("c1", "Refund") for worker in (a, b, a, b))
        )
        (ticket,) = await a.plugins["desk-hitl"].desk.tickets()
        assert {s.session.session_id for s in started} == {ticket.id}
        assert sorted(s.status for s in started) == ["already_escalated"] * 3 + ["opened"]


_receiving: ContextVar[bool] = ContextVar("receiving", default=False)


async def _write_transactions(agent: Agent, text: str) -> tuple[list[tuple[str, str]], int]:
    """``agent.receive(conversation "c1", text)``'s replies, and how many write transactions it ran on its store
    (not the plugin's background work meanwhile)."""
    original, count = agent.store.run, 0

    async def counted(fn: Any, *, write: bool = True) -> Any:
        nonlocal count
        count += write and _receiving.get()
        return await original(fn, write=write)

    agent.store.run = counted  # type: ignore[method-assign]
    token = _receiving.set(True)
    try:
        return texts(await agent.receive("c1", text)), count
    finally:
        _receiving.reset(token)
        del agent.store.run


async def test_a_worker_that_had_not_seen_the_session_open_writes_the_message_through_in_one_more_transaction(
    store_url: str,
) -> None:
    """Another worker opened the session (here another agent on the store: its hint is its own). The message goes
    to the desk in the transaction after the one that stored it: two write transactions, no outbox row (before
    s12-workers: four, the row queued, then sent, then marked sent). Then, having seen it, with the message (one)."""
    async with agent_on(store_url, store_url) as a, agent_on(store_url, store_url, ScriptedModel([])) as b:
        await a.receive("c1", "A person please", user=USER)
        assert await _write_transactions(b, "one") == ([], 2)
        assert await _write_transactions(b, "two") == ([], 1)
        assert await on_the_ticket(b.plugins["desk-hitl"].desk) == ["one", "two"]
        assert await message_rows(b) == []


async def test_a_worker_that_had_not_seen_the_session_queues_a_message_behind_an_older_row_with_its_key(
    store_url: str,
) -> None:
    """Not the plain case (an older row of the session still queued): queued behind it, as before, with the stored
    message's key (not the conversation's newest: read in a transaction after the one that stored it)."""
    async with agent_on(store_url, store_url, redeliver_interval=3600) as a, \
            agent_on(store_url, store_url, ScriptedModel([]), redeliver_interval=3600) as b:  # fmt: skip
        plugin = a.plugins["desk-hitl"]
        await a.receive("c1", "A person please", user=USER)

        await a.store.run(lambda connection: queue_older_row(connection, plugin.alias))
        plugin_b = b.plugins["desk-hitl"]
        relay_through = plugin_b._relay_through

        async def after_another_message(*args: Any) -> Any:
            await a.send("c1", "stored meanwhile")  # the conversation's newest is not the user's message any more
            return await relay_through(*args)

        plugin_b._relay_through = after_another_message
        assert texts(await b.receive("c1", "newer")) == [("bot", "stored meanwhile"), ("system", DELAYED)]
        (newer,) = [m for m in await b.history("c1") if m.text == "newer"]
        rows = await b.store.run(
            lambda c: c.execute("SELECT payload_json FROM hitl_outbox WHERE kind = 'message' ORDER BY id").fetchall(),
            write=False,
        )
        assert [json.loads(r["payload_json"]) for r in rows] == [
            {"text": "older"}, {"text": "newer", "message_id": newer.id}
        ]  # fmt: skip
        assert await b.plugins["desk-hitl"].redeliver() == 2
        assert await on_the_ticket(b.plugins["desk-hitl"].desk) == ["older", "newer"]
