"""The desk's event log under concurrent writers, as several worker processes write it (two desks, each with its own
connections): events are numbered in commit order, so a reader of ``seq > cursor`` sees each exactly once, while a
write held up on one ticket holds up no write to another ticket (the desk's global lock is taken for the commit
alone, not across the transaction)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import psycopg
import pytest

from agentkit.desk import DeskEvent, LocalDesk, Ticket
from agentkit.testing import eventually

OpenTicket = Callable[[LocalDesk], Awaitable[Ticket]]  # the open_ticket fixture (tests/desk/conftest.py)

_HOLD = 0x7E57_0001  # an advisory lock the test holds; a desk message "hold" waits for it, mid-transaction


@pytest.fixture
async def two_desks(store_url: str) -> AsyncIterator[tuple[LocalDesk, LocalDesk]]:
    async with LocalDesk(store_url) as first, LocalDesk(store_url) as second:
        yield first, second


def _slow_event_commits(url: str) -> None:
    """Each event's transaction lingers a random few milliseconds between its INSERT (which numbers it) and its
    COMMIT: without the desk's lock, a later number would often commit first."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "CREATE FUNCTION linger() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN PERFORM pg_sleep(random() * 0.004); RETURN NULL; END $$"
        )
        admin.execute("CREATE TRIGGER linger AFTER INSERT ON desk_events FOR EACH ROW EXECUTE FUNCTION linger()")


async def _read_until(desk: LocalDesk, writes: Awaitable[object]) -> list[DeskEvent]:
    """Every event a reader of ``seq > cursor`` sees while ``writes`` run, and once more after they are done."""
    done = asyncio.ensure_future(writes)
    seen: list[DeskEvent] = []
    while True:
        finished = done.done()
        while batch := await desk.events_since(seen[-1].seq if seen else 0):
            seen.extend(batch)
        if finished:
            await done
            return seen
        await asyncio.sleep(0.001)


async def test_a_reader_of_seq_after_cursor_sees_every_event_of_concurrent_writers_once(
    two_desks: tuple[LocalDesk, LocalDesk], store_url: str, open_ticket: OpenTicket
) -> None:
    first, second = two_desks
    if store_url.startswith("postgresql"):
        _slow_event_commits(store_url)
    tickets = [await open_ticket(first) for _ in range(6)]
    head = await first.head()

    async def write(desk: LocalDesk, ticket: Ticket, n: int) -> None:
        name = "first" if desk is first else "second"
        await desk.reply(ticket.id, f"{ticket.id}:{n}:{name}:agent", agent_name="Ana")
        await desk.add_user_message(ticket.id, f"{ticket.id}:{n}:{name}:user")

    writes = [write(desk, t, n) for n in range(3) for t in tickets for desk in (first, second)]
    async with asyncio.timeout(60):
        seen = await _read_until(first, asyncio.gather(*writes, open_ticket(second), open_ticket(first)))
    seqs = [e.seq for e in seen]
    assert seqs == sorted(set(seqs))  # in order, none twice
    texts = sorted(e.text or "" for e in seen if e.seq > head)
    expected = [f"{t.id}:{n}:{name}:{who}" for t in tickets for n in range(3) for name in ("first", "second")
                for who in ("agent", "user")]  # fmt: skip
    assert texts == sorted([*expected, "Wants a person", "Wants a person"])  # none missed
    assert seqs == [e.seq for e in await first.events_since(0, limit=1000)]


@pytest.mark.postgres
async def test_a_write_held_up_mid_transaction_holds_up_writes_to_other_tickets_only(
    pg_url: str, open_ticket: OpenTicket
) -> None:
    with psycopg.connect(pg_url, autocommit=True) as admin:
        async with LocalDesk(pg_url) as first, LocalDesk(pg_url) as second:
            _hold_messages_saying_hold(admin)
            held_ticket, other_ticket = await open_ticket(first), await open_ticket(first)
            head = await first.head()
            admin.execute("SELECT pg_advisory_lock(%s)", (_HOLD,))
            try:
                # Its ticket locked and changed, its message inserted: the transaction waits there, open.
                held = asyncio.ensure_future(first.reply(held_ticket.id, "hold", agent_name="Ana"))
                await eventually(lambda: _waiting(admin, "Lock", "INSERT INTO desk_messages") == 1, 30)
                async with asyncio.timeout(30):  # would wait for the held one, were the desk's lock held all along
                    await second.reply(other_ticket.id, "to another ticket", agent_name="Bo")
                    await second.add_user_message(other_ticket.id, "from its user")
                    await open_ticket(second)
                same = asyncio.ensure_future(second.reply(held_ticket.id, "after the held one", agent_name="Bo"))
                await eventually(lambda: _waiting(admin, "Lock", "FOR UPDATE") == 1, 30)  # its ticket: it waits
            finally:
                admin.execute("SELECT pg_advisory_unlock(%s)", (_HOLD,))
            async with asyncio.timeout(30):
                await asyncio.gather(held, same)
            texts = [e.text for e in await first.events_since(head)]
    assert texts == ["to another ticket", "from its user", "Wants a person", "hold", "after the held one"]


def _hold_messages_saying_hold(admin: psycopg.Connection[Any]) -> None:
    admin.execute(
        "CREATE FUNCTION hold() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN PERFORM pg_advisory_xact_lock({_HOLD}); RETURN NULL; END $$"
    )
    admin.execute(
        "CREATE TRIGGER hold AFTER INSERT ON desk_messages FOR EACH ROW WHEN (NEW.text = 'hold')"
        " EXECUTE FUNCTION hold()"
    )


def _waiting(admin: psycopg.Connection[Any], wait_event_type: str, query: str) -> int:
    """How many backends of the database wait on ``wait_event_type`` in a statement containing ``query``."""
    row = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = %s"
        " AND position(%s in query) > 0",
        (wait_event_type, query),
    ).fetchone()
    return int(row[0]) if row else 0
