"""SQLite, from the standard library: one connection, one transaction at a time (``BEGIN IMMEDIATE``)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from ._base import Connection, Cursor, Database, NamedLock
from ._group import BatchOutcome

__all__ = ["MEMORY", "SqliteDatabase", "private_files"]

MEMORY = ":memory:"
READERS = 3  # reader connections (threads) of a file database, beside its one writer
_UMASK_LOCK = threading.Lock()


@contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created inside the block are their owner's alone (umask 077). The umask is the process's:
    one block at a time, so two threads cannot restore each other's value."""
    with _UMASK_LOCK:
        previous = os.umask(0o077)
        try:
            yield
        finally:
            os.umask(previous)


class SqliteConnection(Connection):
    dialect = "sqlite"
    serialized = True

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        return self.raw.execute(sql, tuple(params))

    def insert(self, sql: str, params: Sequence[object], key: str = "id") -> int:
        # ``key`` is the table's INTEGER PRIMARY KEY, which in SQLite is the rowid.
        return cast(int, self.raw.execute(sql, tuple(params)).lastrowid)

    # BEGIN IMMEDIATE already runs one writing transaction at a time, across processes: nothing more to lock.

    def lock_conversation(self, conversation_id: str) -> None:
        return None

    def lock(self, name: NamedLock) -> None:
        return None

    def for_update(self, *, skip_locked: bool = False) -> str:
        return ""


class SqliteDatabase(Database):
    """The file at ``path`` (its folder is created), or ``":memory:"``.

    One writer connection serves every thread, behind a lock: sqlite3 allows one transaction per connection, and
    ``BEGIN IMMEDIATE`` takes the write lock up front, so two processes on one file (a server and ``agentkit hitl
    redeliver``) never interleave a read-then-write. Read-only transactions (``write=False``) of a file database
    run apart, each thread on a reader connection of its own: in WAL mode they see the last commit and never wait
    for the writer (nor it for them). ``":memory:"`` has the one connection only (a second would be another
    database).
    """

    errors = (sqlite3.Error,)

    def __init__(self, path: str) -> None:
        self.path = path
        self.url = "sqlite://:memory:" if path == MEMORY else f"sqlite:///{path}"
        self.concurrency = 1 if path == MEMORY else 1 + READERS
        self._lock = threading.Lock()
        self._raw: sqlite3.Connection | None = None
        self._local = threading.local()
        self._readers: list[_Reader] = []
        self._readers_lock = threading.Lock()

    def same_as(self, other: Database) -> bool:
        """The same file (``":memory:"`` is never another's: each is a database of its own)."""
        if not isinstance(other, SqliteDatabase) or MEMORY in (self.path, other.path):
            return False
        return os.path.realpath(self.path) == os.path.realpath(other.path)

    def open(self) -> None:
        with self._lock:
            if self._raw is None:
                self._raw = self._connect()

    def _connect(self) -> sqlite3.Connection:
        if self.path == MEMORY:
            return self._configure(sqlite3.connect(self.path, isolation_level=None, check_same_thread=False))
        # The files hold password hashes, transcripts and users' details: readable by their owner alone. SQLite
        # gives its -wal, -shm and -journal files the database file's mode, and the umask covers the rest.
        with private_files():
            Path(self.path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _create_private(self.path)
            # isolation_level=None: we write BEGIN/COMMIT ourselves. check_same_thread=False: the lock, not the
            # thread, keeps one user at a time.
            raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
            _enable_wal(raw)
            return self._configure(raw)

    @staticmethod
    def _configure(raw: sqlite3.Connection) -> sqlite3.Connection:
        raw.row_factory = sqlite3.Row
        raw.execute("PRAGMA foreign_keys=ON")
        return raw

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Connection]:
        if not write and self.path != MEMORY:
            reader = self._reader()
            with reader.in_use:  # ``close`` waits for it: closing a connection in the middle of a query crashes
                if reader.closed:
                    raise RuntimeError(f"the database {self.url!r} is closed")
                reader.raw.execute("BEGIN")
                try:
                    yield SqliteConnection(reader.raw)
                finally:
                    reader.raw.execute("COMMIT")  # a read-only transaction: nothing to undo either way
            return
        with self._lock:
            raw = self._require()
            raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield SqliteConnection(raw)
                raw.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (a deferred constraint, an I/O error) leaves the transaction open: end it, or
                # every later write on this connection fails with "cannot start a transaction within a transaction".
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
                raise

    def run_batch(self, work: Sequence[Callable[[Connection], Any]]) -> list[BatchOutcome]:
        """Each ``fn(connection)`` of ``work``, in order, in one write transaction: one commit (one fsync) for all.

        One that raises is undone alone and gets ``(False, its exception)``; the others get ``(True, value)`` once
        the COMMIT is done. The writes first run one after the other with no savepoint: a SAVEPOINT and a RELEASE
        per write are two statements more on the one writer thread, which under load waits for the GIL before
        each, and writes nearly never fail. If one does, that transaction is rolled back and the batch is run
        again, each write in a savepoint of its own (``_in_savepoints``). When the transaction as a whole fails
        after it began (a deferred constraint at COMMIT, an I/O error that made SQLite roll everything back),
        nothing of it was committed and each write is run again in a transaction of its own, so that only the
        culprit fails. A write may therefore run more than once, each run but the last rolled back (and its
        value dropped). When it cannot begin (another process holds the file past the busy timeout), every write
        gets that error."""
        with self._lock:
            raw = self._require()
            try:
                raw.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                return [(False, error)] * len(work)
            connection, every_write_ran = SqliteConnection(raw), False
            try:
                values = [fn(connection) for fn in work]
                every_write_ran = True
                raw.execute("COMMIT")
                return [(True, value) for value in values]
            except BaseException as error:
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
                if len(work) == 1 or not isinstance(error, Exception):
                    return [(False, error)] * len(work)
            # A write raised: the batch again, with savepoints, still under the lock (no transaction comes in
            # between). When every write ran and the COMMIT failed, savepoints would not help: straight to alone.
            outcomes = None if every_write_ran else _in_savepoints(raw, work)
        return outcomes if outcomes is not None else [self._alone(fn) for fn in work]

    def _alone(self, fn: Callable[[Connection], Any]) -> BatchOutcome:
        try:
            with self.transaction() as connection:
                return True, fn(connection)
        except Exception as error:
            return False, error

    def script(self, sql: str) -> None:
        with self._lock:
            self._require().executescript(sql)

    def close(self) -> None:
        with self._lock, self._readers_lock:
            raw, self._raw = self._raw, None
            readers, self._readers = self._readers, []
            self._local = threading.local()
        if raw is not None:
            raw.close()
        for reader in readers:
            reader.close()

    def _reader(self) -> _Reader:
        """This thread's reader connection (made on first use; the database must be open)."""
        reader: _Reader | None = getattr(self._local, "reader", None)
        if reader is None:
            self._require()
            raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
            raw.row_factory = sqlite3.Row
            raw.execute("PRAGMA query_only=ON")
            reader = _Reader(raw)
            with self._readers_lock:  # not the writer's lock: a reader never waits for a write transaction
                self._readers.append(reader)
            self._local.reader = reader
        return reader

    def _require(self) -> sqlite3.Connection:
        if self._raw is None:
            raise RuntimeError(f"the database {self.url!r} is closed")
        return self._raw


class _Reader:
    """A thread's read-only connection. ``in_use`` is held for each of its transactions, so that ``close``, called
    from another thread, waits for the query in flight: sqlite3 crashes the process (SIGSEGV) when a connection is
    closed while another thread runs a statement on it."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.in_use = threading.Lock()
        self.closed = False

    def close(self) -> None:
        with self.in_use:
            self.closed = True
            self.raw.close()


def _in_savepoints(raw: sqlite3.Connection, work: Sequence[Callable[[Connection], Any]]) -> list[BatchOutcome] | None:
    """``work`` in one transaction, each write in a savepoint of its own: one that raises is undone alone. None when
    the transaction as a whole failed (it is rolled back: nothing of it was committed)."""
    try:
        raw.execute("BEGIN IMMEDIATE")
        outcomes = [_in_savepoint(raw, fn) for fn in work]
        raw.execute("COMMIT")
        return outcomes
    except BaseException as error:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        if not isinstance(error, Exception):
            return [(False, error)] * len(work)
        return None


def _in_savepoint(raw: sqlite3.Connection, fn: Callable[[Connection], Any]) -> BatchOutcome:
    raw.execute("SAVEPOINT batched")
    try:
        value = fn(SqliteConnection(raw))
    except Exception as error:
        if not raw.in_transaction:  # SQLite rolled back the whole transaction: the batch fails, and is redone
            raise
        raw.execute("ROLLBACK TO batched")
        raw.execute("RELEASE batched")
        return False, error
    raw.execute("RELEASE batched")
    return True, value


def _create_private(path: str) -> None:
    """Create the database file 0600 when it is missing, and never touch an existing one: closing a descriptor of a
    file drops every POSIX lock this process holds on it, the SHARED locks of its open SQLite connections included.
    Without them another process that closes its last connection believes it is alone, checkpoints and deletes the
    -wal and -shm files under this process's feet ("disk I/O error", and commits made meanwhile are lost)."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _enable_wal(raw: sqlite3.Connection, attempts: int = 50) -> None:
    """Switch a file database to WAL. SQLite may refuse the switch with "database is locked" without waiting on
    its busy timeout while another connection opens the same new file, so wait a little and try again."""
    for attempt in range(attempts):
        try:
            raw.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
