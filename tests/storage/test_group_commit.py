"""Group commit on SQLite: writes that queue while a commit is in flight commit together, each durable before its
caller's await returns, in arrival order; one that fails is undone and reported to its caller alone."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, cast

import pytest

from agentkit.storage import AsyncDatabase, Connection, SqliteDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (seq INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS parents (id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS children (
    id INTEGER PRIMARY KEY,
    parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED
);
"""


def _batch_sizes(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> list[int]:
    """The size of every batch the method ``owner.name`` (a batch runner: ``(self, work) -> outcomes``) is given."""
    sizes: list[int] = []
    original = getattr(owner, name)

    def counted(self: object, work: Sequence[Callable[[Connection], Any]]) -> list[tuple[bool, Any]]:
        sizes.append(len(work))
        return cast(list[tuple[bool, Any]], original(self, work))

    monkeypatch.setattr(owner, name, counted)
    return sizes


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch SQLite databases commit (made after this fixture)."""
    return _batch_sizes(monkeypatch, SqliteDatabase, "run_batch")


@pytest.fixture
async def db(tmp_path: Path, batches: list[int]) -> AsyncIterator[AsyncDatabase]:
    database = AsyncDatabase(SqliteDatabase(str(tmp_path / "group.db")))
    await database.open()
    await database.call(database.database.script, SCHEMA)
    try:
        yield database
    finally:
        await database.aclose()


def committed(path: Path) -> list[str]:
    """What another connection sees: only what was committed."""
    with closing(sqlite3.connect(path)) as other:
        return [text for (text,) in other.execute("SELECT text FROM notes ORDER BY seq")]


def note(text: str) -> Callable[[Connection], int]:
    return lambda c: c.insert("INSERT INTO notes (text) VALUES (?)", (text,), key="seq")


async def held_writer(db: AsyncDatabase) -> tuple[asyncio.Future[int], threading.Event]:
    """A first write that holds the writer until the returned event is set: writes made meanwhile queue."""
    gate, started = threading.Event(), threading.Event()

    def first(connection: Connection) -> int:
        started.set()
        gate.wait()
        return note("first")(connection)

    pending = asyncio.ensure_future(db.run(first))
    await asyncio.to_thread(started.wait)
    return pending, gate


async def test_concurrent_writes_commit_together_in_arrival_order_and_each_is_durable_when_awaited(
    db: AsyncDatabase, tmp_path: Path, batches: list[int]
) -> None:
    first, gate = await held_writer(db)
    texts = [f"note {i}" for i in range(100)]
    queued = [asyncio.ensure_future(db.run(note(text))) for text in texts]
    await asyncio.sleep(0)  # each one is queued before its first await
    gate.set()
    seqs = await asyncio.gather(first, *queued)
    assert batches == [1, 100]  # the held write alone, then the 100 that queued behind it: two commits, not 101
    assert seqs == sorted(seqs)  # in arrival order
    assert committed(tmp_path / "group.db") == ["first", *texts]


@pytest.fixture
def batch_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread each batch of SQLite writes runs on; ask for it before ``db``."""
    threads: list[int] = []
    original = SqliteDatabase.run_batch

    def recorded(self: SqliteDatabase, work: Sequence[Callable[[Connection], Any]]) -> list[tuple[bool, Any]]:
        threads.append(threading.get_ident())
        return original(self, work)

    monkeypatch.setattr(SqliteDatabase, "run_batch", recorded)
    return threads


async def test_the_batch_that_queued_behind_another_runs_on_the_same_thread_without_a_hand_off(
    batch_threads: list[int], db: AsyncDatabase
) -> None:
    threads = batch_threads
    first, gate = await held_writer(db)
    queued = [asyncio.ensure_future(db.run(note(f"n{i}"))) for i in range(10)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, *queued)
    assert len(threads) == 2 and threads[0] == threads[1]  # the writer took the next batch itself


async def test_each_write_is_committed_before_its_await_returns(db: AsyncDatabase, tmp_path: Path) -> None:
    for i in range(5):
        await db.run(note(f"n{i}"))
        assert committed(tmp_path / "group.db")[-1] == f"n{i}"  # seen by another connection at once


async def test_a_failing_write_is_undone_and_reported_to_its_caller_only(
    db: AsyncDatabase, tmp_path: Path, batches: list[int]
) -> None:
    def half_then_fail(connection: Connection) -> None:
        note("half")(connection)
        raise ValueError("this write fails after writing a row")

    first, gate = await held_writer(db)
    before = asyncio.ensure_future(db.run(note("before")))
    failing = asyncio.ensure_future(db.run(half_then_fail))
    duplicate = asyncio.ensure_future(db.run(note("before")))  # a constraint error in the middle of the batch
    after = asyncio.ensure_future(db.run(note("after")))
    await asyncio.sleep(0)
    gate.set()
    outcomes = await asyncio.gather(first, before, failing, duplicate, after, return_exceptions=True)
    assert batches == [1, 4]  # they did share one transaction
    assert isinstance(outcomes[2], ValueError)
    assert isinstance(outcomes[3], sqlite3.IntegrityError)
    assert [isinstance(o, int) for o in (outcomes[0], outcomes[1], outcomes[4])] == [True, True, True]
    assert committed(tmp_path / "group.db") == ["first", "before", "after"]  # nothing of the failed ones


def traced(db: AsyncDatabase) -> list[str]:
    """Every statement the writer connection runs from now on."""
    statements: list[str] = []
    cast(SqliteDatabase, db.database)._require().set_trace_callback(statements.append)
    return statements


async def test_a_batch_whose_writes_all_succeed_runs_them_without_savepoints(db: AsyncDatabase) -> None:
    first, gate = await held_writer(db)
    statements = traced(db)
    queued = [asyncio.ensure_future(db.run(note(f"n{i}"))) for i in range(3)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(first, *queued)
    inserts = [f"INSERT INTO notes (text) VALUES ('n{i}')" for i in range(3)]
    assert statements[-5:] == ["BEGIN IMMEDIATE", *inserts, "COMMIT"]  # one statement per write, no SAVEPOINT
    assert not any(s.startswith(("SAVEPOINT", "RELEASE")) for s in statements)


async def test_when_a_write_fails_the_batch_is_run_again_with_savepoints_and_each_gets_the_committed_runs_value(
    db: AsyncDatabase, tmp_path: Path, batches: list[int]
) -> None:
    runs: Counter[str] = Counter()

    def counted(text: str, fail: bool = False) -> Callable[[Connection], int]:
        def write(connection: Connection) -> int:
            runs[text] += 1
            seq = note(text)(connection)
            if fail:
                raise ValueError(f"{text} fails after writing its row")
            return seq

        return write

    first, gate = await held_writer(db)
    writes = [asyncio.ensure_future(db.run(counted(t, fail=t == "bad"))) for t in ("a", "bad", "b")]
    await asyncio.sleep(0)
    gate.set()
    outcomes = await asyncio.gather(first, *writes, return_exceptions=True)
    assert batches == [1, 3] and isinstance(outcomes[2], ValueError)
    # "a" and "bad" ran in the batch without savepoints, which was rolled back when "bad" raised; "b" had not run.
    assert runs == {"a": 2, "bad": 2, "b": 1}
    with closing(sqlite3.connect(tmp_path / "group.db")) as other:
        stored = dict(other.execute("SELECT text, seq FROM notes").fetchall())
    assert stored == {"first": outcomes[0], "a": outcomes[1], "b": outcomes[3]}  # the values of the runs committed


async def test_a_batch_whose_every_write_ran_but_whose_commit_failed_is_redone_write_by_write(
    db: AsyncDatabase, tmp_path: Path
) -> None:
    runs: Counter[str] = Counter()

    def orphan(connection: Connection) -> None:
        runs["orphan"] += 1
        connection.execute("INSERT INTO children (id, parent) VALUES (1, 42)")

    first, gate = await held_writer(db)
    statements = traced(db)
    writes = [asyncio.ensure_future(db.run(fn)) for fn in (note("a"), orphan)]
    await asyncio.sleep(0)
    gate.set()
    outcomes = await asyncio.gather(first, *writes, return_exceptions=True)
    assert isinstance(outcomes[2], sqlite3.IntegrityError) and runs["orphan"] == 2  # the batch, then alone
    assert not any(s.startswith("SAVEPOINT") for s in statements)  # savepoints would not have found it
    assert committed(tmp_path / "group.db") == ["first", "a"]


async def test_when_the_shared_commit_fails_the_others_are_committed_alone_and_only_the_culprit_fails(
    db: AsyncDatabase, tmp_path: Path, batches: list[int]
) -> None:
    def orphan(connection: Connection) -> None:  # a deferred foreign key: only COMMIT finds it
        connection.execute("INSERT INTO children (id, parent) VALUES (1, 42)")

    first, gate = await held_writer(db)
    writes = [asyncio.ensure_future(db.run(fn)) for fn in (note("a"), orphan, note("b"))]
    await asyncio.sleep(0)
    gate.set()
    outcomes = await asyncio.gather(first, *writes, return_exceptions=True)
    assert isinstance(outcomes[2], sqlite3.IntegrityError)
    assert all(isinstance(o, int) for o in (outcomes[0], outcomes[1], outcomes[3])), outcomes
    assert batches == [1, 3]
    assert committed(tmp_path / "group.db") == ["first", "a", "b"]  # nothing lost
    await db.run(note("later"))  # and the writer works on
    assert committed(tmp_path / "group.db")[-1] == "later"


async def test_a_write_that_cannot_begin_fails_for_its_caller_with_the_error(tmp_path: Path) -> None:
    database = SqliteDatabase(str(tmp_path / "busy.db"))
    db = AsyncDatabase(database)
    await db.open()
    try:
        await db.call(database.script, SCHEMA)
        with closing(sqlite3.connect(tmp_path / "busy.db", timeout=0)) as other:
            other.execute("BEGIN IMMEDIATE")  # another process holds the file
            database._require().execute("PRAGMA busy_timeout = 0")  # do not wait 10 s for it
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await db.run(note("blocked"))
            other.execute("ROLLBACK")
        await db.run(note("then"))
        assert committed(tmp_path / "busy.db") == ["then"]
    finally:
        await db.aclose()


async def test_reads_and_postgresql_style_callers_still_get_their_own_transaction(db: AsyncDatabase) -> None:
    await db.run(note("x"))
    rows = await db.run(lambda c: c.execute("SELECT text FROM notes").fetchall(), write=False)
    assert [r[0] for r in rows] == ["x"]


async def test_a_transaction_whose_commit_fails_leaves_the_writer_usable(db: AsyncDatabase, tmp_path: Path) -> None:
    database = db.database

    def orphan_alone() -> None:
        with database.transaction() as connection:
            connection.execute("INSERT INTO children (id, parent) VALUES (1, 42)")

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await db.call(orphan_alone)
    await db.run(note("after a failed commit"))  # was: "cannot start a transaction within a transaction"
    assert committed(tmp_path / "group.db") == ["after a failed commit"]


async def test_a_write_on_a_closed_database_fails_for_its_caller_and_does_not_hang(tmp_path: Path) -> None:
    db = AsyncDatabase(SqliteDatabase(str(tmp_path / "closed.db")))
    await db.open()
    await db.aclose()
    try:
        with pytest.raises(RuntimeError, match="closed"):
            await db.run(note("too late"))
        with pytest.raises(RuntimeError, match="closed"):  # and the next one too: nothing is left "draining"
            await db.run(note("later still"))
    finally:
        db.shutdown()


@pytest.fixture
def read_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch of reads SQLite databases run (one hand-off to a database thread each); ask for it
    before ``db``."""
    return _batch_sizes(monkeypatch, AsyncDatabase, "_read_batch")


def texts(connection: Connection) -> list[str]:
    return [row["text"] for row in connection.execute("SELECT text FROM notes ORDER BY seq").fetchall()]


async def held_reader(db: AsyncDatabase) -> tuple[asyncio.Future[list[str]], threading.Event]:
    """A first read that holds its thread until the returned event is set: reads made meanwhile queue."""
    gate, started = threading.Event(), threading.Event()

    def first(connection: Connection) -> list[str]:
        started.set()
        gate.wait()
        return texts(connection)

    pending = asyncio.ensure_future(db.run(first, write=False))
    await asyncio.to_thread(started.wait)
    return pending, gate


async def test_reads_that_queue_while_one_runs_are_taken_together_each_with_its_own_answer(
    read_batches: list[int], db: AsyncDatabase
) -> None:
    await db.run(note("kept"))
    first, gate = await held_reader(db)
    await db.run(note("written meanwhile"))  # writes do not wait for reads

    def fails(connection: Connection) -> None:
        raise LookupError("this read fails")

    reads = [asyncio.ensure_future(db.run(fn, write=False)) for fn in (texts, fails, lambda c: len(texts(c)))]
    await asyncio.sleep(0)
    gate.set()
    await first
    outcomes = await asyncio.gather(*reads, return_exceptions=True)
    assert read_batches == [1, 3]  # the held read, then one hand-off to a thread for the three that queued
    assert outcomes[0] == ["kept", "written meanwhile"] and outcomes[2] == 2  # each sees what committed before it
    assert isinstance(outcomes[1], LookupError)  # the failing read fails alone


async def test_a_read_sees_every_write_awaited_before_it_and_reads_stay_read_only(db: AsyncDatabase) -> None:
    for i in range(5):
        await db.run(note(f"n{i}"))
        assert (await db.run(texts, write=False))[-1] == f"n{i}"
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
        await db.run(note("not in a read"), write=False)


async def test_a_read_cancelled_before_it_began_is_not_run(read_batches: list[int], db: AsyncDatabase) -> None:
    first, gate = await held_reader(db)
    ran: list[str] = []
    cancelled = asyncio.ensure_future(db.run(lambda c: ran.append("cancelled"), write=False))
    kept = asyncio.ensure_future(db.run(lambda c: ran.append("kept"), write=False))
    await asyncio.sleep(0)
    cancelled.cancel()
    gate.set()
    await first
    await kept
    assert ran == ["kept"]
    assert read_batches == [1, 1]
