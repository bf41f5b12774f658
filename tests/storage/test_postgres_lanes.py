"""PostgreSQL's transactions through ``AsyncDatabase.run`` go to a few lanes: threads that each take every transaction
waiting and run them one after the other, each its own, on one connection borrowed for the batch. What a caller
of ``run`` was promised still holds: a transaction that raises is rolled back alone, one whose caller was cancelled
before it began is not run, a dropped connection fails one transaction and not the rest of its batch."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterable
from typing import Any, cast

import pytest

from agentkit.storage import AsyncDatabase, BatchOutcome, Connection, PostgresDatabase

pytestmark = pytest.mark.postgres

SCHEMA = "CREATE TABLE IF NOT EXISTS notes (seq INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL UNIQUE)"


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch of transactions PostgreSQL databases are given (one lane's hand-over each)."""
    sizes: list[int] = []
    original = PostgresDatabase.run_each

    def counted(self: PostgresDatabase, transactions: Iterable[Any]) -> list[BatchOutcome]:
        work = list(transactions)  # read at once here: a cancellation after this point is the lane's to see
        sizes.append(len(work))
        return original(self, iter(work))

    monkeypatch.setattr(PostgresDatabase, "run_each", counted)
    return sizes


async def _database(url: str, pool_size: int) -> AsyncDatabase:
    db = AsyncDatabase(PostgresDatabase(url, pool_size=pool_size))
    await db.open()
    await db.call(db.database.script, SCHEMA)
    return db


@pytest.fixture
async def one_lane(pg_url: str) -> AsyncIterator[AsyncDatabase]:
    """A pool of one connection: one lane, so that a transaction held on it makes the others queue."""
    db = await _database(pg_url, 1)
    try:
        yield db
    finally:
        await db.aclose()


def note(text: str) -> Any:
    return lambda c: c.insert("INSERT INTO notes (text) VALUES (?)", (text,), key="seq")


def texts(connection: Connection) -> list[str]:
    return [row["text"] for row in connection.execute("SELECT text FROM notes ORDER BY seq").fetchall()]


async def held_lane(db: AsyncDatabase) -> tuple[asyncio.Future[Any], threading.Event]:
    """A first transaction that holds its lane until the returned event is set: transactions made meanwhile queue."""
    gate, started = threading.Event(), threading.Event()

    def first(connection: Connection) -> int:
        started.set()
        gate.wait()
        return cast(int, note("first")(connection))

    pending = asyncio.ensure_future(db.run(first))
    await asyncio.to_thread(started.wait)
    return pending, gate


async def test_transactions_that_queue_run_together_and_one_that_fails_is_rolled_back_alone(
    batches: list[int], one_lane: AsyncDatabase
) -> None:
    first, gate = await held_lane(one_lane)

    def fails(connection: Connection) -> None:
        note("undone")(connection)
        raise LookupError("this transaction fails")

    queued = [note("a"), fails, lambda c: texts(c), note("b")]
    runs = [asyncio.ensure_future(one_lane.run(fn, write=i != 2)) for i, fn in enumerate(queued)]
    await asyncio.sleep(0)
    gate.set()
    await first
    outcomes = await asyncio.gather(*runs, return_exceptions=True)
    assert batches == [1, 4]  # the held one, then one hand-over for the four that queued
    assert isinstance(outcomes[1], LookupError)  # the failing one fails alone...
    assert outcomes[2] == ["first", "a"]  # ... its insert undone before the next began, which sees what committed
    assert await one_lane.run(texts, write=False) == ["first", "a", "b"]


async def test_a_transaction_cancelled_before_it_began_is_not_run(one_lane: AsyncDatabase) -> None:
    first, gate = await held_lane(one_lane)
    cancelled = asyncio.ensure_future(one_lane.run(note("cancelled")))
    kept = asyncio.ensure_future(one_lane.run(note("kept")))
    await asyncio.sleep(0)
    cancelled.cancel()
    gate.set()
    await first
    await kept
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await one_lane.run(texts, write=False) == ["first", "kept"]


async def test_a_connection_dropped_in_a_batch_fails_its_transaction_and_the_rest_run_on_a_new_one(
    batches: list[int], one_lane: AsyncDatabase
) -> None:
    first, gate = await held_lane(one_lane)

    def dropped(connection: Connection) -> None:
        connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    runs = [asyncio.ensure_future(one_lane.run(fn)) for fn in (note("before"), dropped, note("after"))]
    await asyncio.sleep(0)
    gate.set()
    await first
    outcomes = await asyncio.gather(*runs, return_exceptions=True)
    assert batches == [1, 3]
    assert isinstance(outcomes[1], one_lane.database.errors)
    assert await one_lane.run(texts, write=False) == ["first", "before", "after"]


async def test_calls_that_open_their_own_transactions_share_the_pool_with_the_lanes(pg_url: str) -> None:
    db = await _database(pg_url, 1)  # one connection for the lane and the calls: a lane holds it for a batch only

    def through_the_pool(text: str) -> None:
        with db.database.transaction() as connection:
            note(text)(connection)

    try:
        async with asyncio.timeout(20):
            await asyncio.gather(
                *(db.run(note(f"run {i}")) for i in range(30)),
                *(db.call(through_the_pool, f"call {i}") for i in range(5)),
            )
        assert len(await db.run(texts, write=False)) == 35
    finally:
        await db.aclose()


async def test_at_most_the_pools_size_of_transactions_run_at_once(pg_url: str) -> None:
    db = await _database(pg_url, 2)
    running: set[int] = set()
    most = 0
    lock = threading.Lock()

    def counted(connection: Connection) -> None:
        nonlocal most
        with lock:
            running.add(threading.get_ident())
            most = max(most, len(running))
        connection.execute("SELECT pg_sleep(0.002)").fetchall()
        with lock:
            running.discard(threading.get_ident())

    try:
        await asyncio.gather(*(db.run(counted) for _ in range(40)))
    finally:
        await db.aclose()
    assert 1 <= most <= 2
