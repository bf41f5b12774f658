"""In a lane, a writing transaction that asks for no result before its COMMIT goes to PostgreSQL with the next
statements sent: a run of them is one round trip. What each caller was promised still holds: every transaction is
its own (one that fails is rolled back alone, wherever it stood in the query, and the ones after it run), a
transaction that reads sees what those before it committed, and keys and rows read at commit are there."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import psycopg
import pytest

from agentkit.storage import AsyncDatabase, Connection, PostgresDatabase
from agentkit.storage._pg_batch import _Link

pytestmark = pytest.mark.postgres

SCHEMA = "CREATE TABLE IF NOT EXISTS notes (seq INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL UNIQUE)"


@pytest.fixture
async def one_lane(pg_url: str) -> AsyncIterator[AsyncDatabase]:
    """A pool of one connection: one lane, so that a transaction held on it makes the others queue."""
    db = AsyncDatabase(PostgresDatabase(pg_url, pool_size=1))
    await db.open()
    await db.call(db.database.script, SCHEMA)
    try:
        yield db
    finally:
        await db.aclose()


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every query psycopg sends from a lane's thread (one round trip each), but those that prepare a statement: two,
    the first time a connection sends it while idle (tests/storage/test_pg_prepared_statements.py)."""
    sent: list[str] = []
    original, original_run = psycopg.Cursor.execute, _Link.run

    def record(query: Any) -> None:
        if threading.current_thread().name.startswith("agentkit-db-lane") and not _a_prepare(query):
            sent.append(str(query))

    def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        record(query)
        return original(self, query, *args, **kwargs)

    def run(self: _Link, query: bytes) -> Any:  # a batch, straight through libpq
        record(query)
        return original_run(self, query)

    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    monkeypatch.setattr(_Link, "run", run)
    return sent


def _a_prepare(query: Any) -> bool:
    """A statement's PREPARE, or the look at the types of its parameters that follows it."""
    text = query.decode() if isinstance(query, bytes) else str(query)
    return text.startswith("PREPARE ") or "FROM pg_prepared_statements" in text


def blind(text: str) -> Callable[[Connection], None]:
    """A transaction that reads nothing: an insert whose result nobody asks for."""
    return lambda c: c.execute("INSERT INTO notes (text) VALUES (?)", (text,)) and None


def texts(connection: Connection) -> list[str]:
    return [row["text"] for row in connection.execute("SELECT text FROM notes ORDER BY seq").fetchall()]


async def queued_behind_a_held_one(db: AsyncDatabase, fns: list[Any]) -> list[Any]:
    """``fns`` run as one batch of the lane (they queue while a first transaction holds it); their outcomes."""
    gate, started = threading.Event(), threading.Event()

    def first(connection: Connection) -> None:
        started.set()
        gate.wait()

    held = asyncio.ensure_future(db.run(first))
    await asyncio.to_thread(started.wait)
    runs = [asyncio.ensure_future(db.run(fn, write=write)) for fn, write in fns]
    await asyncio.sleep(0)
    gate.set()
    await held
    return await asyncio.gather(*runs, return_exceptions=True)


async def test_transactions_that_read_nothing_go_to_the_server_together(
    one_lane: AsyncDatabase, queries: list[str]
) -> None:
    await queued_behind_a_held_one(one_lane, [(blind("a"), True)])  # the lane's connection and cursor are made
    queries.clear()
    outcomes = await queued_behind_a_held_one(one_lane, [(blind(text), True) for text in "bcde"])
    assert outcomes == [None] * 4
    assert len(queries) == 2  # the held one, then the four: one round trip, where each used to take one
    assert queries[1].count("COMMIT") == 4
    assert await one_lane.run(texts, write=False) == ["a", "b", "c", "d", "e"]


async def test_one_that_fails_among_them_fails_alone_and_those_after_it_run(
    one_lane: AsyncDatabase, queries: list[str]
) -> None:
    duplicate = blind("a")  # a unique violation, found only on the server
    outcomes = await queued_behind_a_held_one(one_lane, [(blind("a"), True), (duplicate, True), (blind("b"), True)])
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], psycopg.errors.UniqueViolation)
    assert await one_lane.run(texts, write=False) == ["a", "b"]
    assert len(queries) == 5  # the held one; the three together; the ROLLBACK; "b" again; the read


async def test_keys_and_rows_at_commit_are_there_for_the_ones_before_a_failure(one_lane: AsyncDatabase) -> None:
    def keyed(text: str) -> Callable[[Connection], Callable[[], int]]:
        return lambda c: c.insert_at_commit("INSERT INTO notes (text) VALUES (?)", (text,), key="seq")

    def counted(connection: Connection) -> Callable[[], list[Any]]:
        blind("counted")(connection)
        return connection.read_at_commit("SELECT COUNT(*) FROM notes")

    outcomes = await queued_behind_a_held_one(
        one_lane, [(keyed("a"), True), (counted, True), (blind("a"), True), (keyed("b"), True)]
    )
    assert isinstance(outcomes[2], psycopg.errors.UniqueViolation)
    first_key, count, last_key = cast(int, outcomes[0]()), outcomes[1](), cast(int, outcomes[3]())
    assert [row[0] for row in count] == [2]  # a, counted: what it saw where it stood
    assert first_key < last_key
    assert await one_lane.run(texts, write=False) == ["a", "counted", "b"]


async def test_a_transaction_that_reads_sees_what_those_waiting_before_it_committed(one_lane: AsyncDatabase) -> None:
    def reads_then_writes(connection: Connection) -> list[str]:
        seen = texts(connection)
        blind("after the read")(connection)
        return seen

    outcomes = await queued_behind_a_held_one(
        one_lane, [(blind("a"), True), (blind("a"), True), (reads_then_writes, True), (texts, False)]
    )
    assert isinstance(outcomes[1], psycopg.errors.UniqueViolation)  # failed in the query the read sent
    assert outcomes[2] == ["a"]  # ... and the read was sent again, after it, and saw what committed
    assert outcomes[3] == ["a", "after the read"]


async def test_a_value_psycopg_cannot_send_fails_its_own_transaction_only(one_lane: AsyncDatabase) -> None:
    def unsendable(connection: Connection) -> None:
        connection.execute("INSERT INTO notes (text) VALUES (?)", (object(),))

    outcomes = await queued_behind_a_held_one(one_lane, [(blind("a"), True), (unsendable, True), (blind("b"), True)])
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], psycopg.ProgrammingError)
    assert await one_lane.run(texts, write=False) == ["a", "b"]


async def test_a_dropped_connection_fails_the_transaction_that_dropped_it_and_the_next_run_on_a_new_one(
    one_lane: AsyncDatabase,
) -> None:
    def dropped(connection: Connection) -> None:  # reads nothing: it waits, and goes with the next one's read
        connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    def reads(connection: Connection) -> list[str]:
        blind("read after")(connection)
        return texts(connection)

    outcomes = await queued_behind_a_held_one(one_lane, [(blind("a"), True), (dropped, True), (reads, True)])
    assert outcomes[0] is None
    assert isinstance(outcomes[1], one_lane.database.errors)
    assert outcomes[2] == ["a", "read after"]


def reads_then_writes(text: str) -> Callable[[Connection], list[str]]:
    """A transaction that reads (its statements so far go out: it is open, holding its locks), then writes."""

    def transaction(connection: Connection) -> list[str]:
        seen = texts(connection)
        blind(text)(connection)
        return seen

    return transaction


async def test_the_commit_of_one_that_read_goes_with_the_next_one_and_no_later(
    one_lane: AsyncDatabase, queries: list[str]
) -> None:
    await queued_behind_a_held_one(one_lane, [(blind("warm"), True)])
    queries.clear()
    outcomes = await queued_behind_a_held_one(
        one_lane, [(reads_then_writes("read"), True), (blind("a"), True), (blind("b"), True)]
    )
    assert outcomes == [["warm"], None, None]
    # the held one; the read; its insert and COMMIT with "a" (not held open through "b" too); "b" at the end
    assert len(queries) == 4, queries
    assert queries[2].count("COMMIT") == 2 and "SELECT" not in queries[2]
    assert await one_lane.run(texts, write=False) == ["warm", "read", "a", "b"]


async def test_one_that_raises_after_one_left_open_fails_alone(one_lane: AsyncDatabase) -> None:
    def raises_before_sending(connection: Connection) -> None:
        blind("undone")(connection)
        raise LookupError("raised before anything of it was sent")

    def raises_after_reading(connection: Connection) -> None:
        reads_then_writes("undone too")(connection)
        raise LookupError("raised with its transaction open")

    outcomes = await queued_behind_a_held_one(
        one_lane,
        [(reads_then_writes("a"), True), (raises_before_sending, True), (reads_then_writes("b"), True),
         (raises_after_reading, True), (blind("c"), True)],
    )  # fmt: skip
    assert outcomes[0] == [] and outcomes[2] == ["a"] and outcomes[4] is None
    assert isinstance(outcomes[1], LookupError) and isinstance(outcomes[3], LookupError)
    assert await one_lane.run(texts, write=False) == ["a", "b", "c"]
