"""``AsyncDatabase``: the one way async code calls a ``Database``, whose drivers block.

One executor policy for every store (the agent's, the desk's, the accounts): each database gets threads of its
own, as many as it can run transactions at once (``database.concurrency``: one for SQLite, the pool size for
PostgreSQL). A burst of calls on one store then queues in its executor instead of taking every thread of the event
loop's default executor from the others, and a call never waits for a connection on a thread that holds none.

On SQLite, writes through ``run`` are group-committed (``_group``): those that arrive while a commit is in flight
commit together, in one transaction and one fsync, and each caller's await returns once that commit is done. Reads
(``write=False``) that arrive while the thread is busy are likewise taken together, each still in a read
transaction of its own: one hand-off to the thread for all of them instead of one each (an executor job, its
future and a wake-up of the event loop per read: ~250 us of CPU per read under load).

On PostgreSQL, transactions through ``run`` go to a few lanes (``_lanes``): threads that each take every
transaction waiting and run them one after the other, each its own, answered with one wake-up of the event loop
per batch; ``call`` keeps the executor.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from ._base import Connection, Database
from ._group import BatchOutcome, GroupCommit
from ._lanes import Lanes
from ._migrations import Component, migrate
from ._postgres import PostgresDatabase, Transaction
from ._sqlite import SqliteDatabase
from ._url import redact

__all__ = ["AsyncDatabase"]

T = TypeVar("T")

LANES = 2
"""PostgreSQL: threads running ``run``'s transactions (at most the pool's size). Two, not four: a lane takes every
transaction waiting, so fewer lanes make bigger batches, and fewer threads take the GIL from the event loop. Measured
in session 11 (``benchmarks/load_webchat.py --compare --only floor,pg --rounds 2 --conversations 200``, 1, 2 and 4
lanes alternated, four runs each): 4 lanes 0.46-0.50x the floor, server 0.69-0.85 + PostgreSQL 0.42-0.50 ms of CPU
per message; 2 lanes 0.53-0.59x, 0.63-0.74 + 0.35-0.44 ms; 1 lane 0.54-0.56x, 0.54-0.65 + 0.31-0.38 ms, but one
lane would hold every transaction behind one waiting on a lock or a slow round trip."""


class AsyncDatabase:
    """``await db.run(fn)``: ``fn(connection)`` in one transaction on one of the database's threads;
    ``await db.call(fn, *args)``: any blocking call there. The threads start with the first call."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._executor: ThreadPoolExecutor | None = None
        self._starting = threading.Lock()
        self._group: GroupCommit | None = None
        self._reads: GroupCommit | None = None  # SQLite's reads, taken together too (see the module's docstring)
        self._lanes: Lanes[Transaction] | None = None
        if isinstance(database, SqliteDatabase):
            spare = database.concurrency > 1  # a thread may keep draining: others serve the rest
            self._group = GroupCommit(database.run_batch, self._threads, keep_thread=spare)
            self._reads = GroupCommit(self._read_batch, self._threads, keep_thread=spare)
        elif isinstance(database, PostgresDatabase):
            self._lanes = Lanes(database.run_each, min(LANES, database.concurrency))

    async def open(self) -> None:
        """Connect (``database.open``), so that a wrong URL fails here; the migrations are the caller's."""
        await self.call(self.database.open)

    async def call(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads(), fn, *args)

    async def run(self, fn: Callable[[Connection], T], *, write: bool = True) -> T:
        """``fn(connection)`` in a transaction; an exception rolls everything back. ``write=False``: it only reads.
        On SQLite a write may share its transaction with others (group commit); ``fn``'s own exception still undoes
        only what ``fn`` did, and if the shared commit fails ``fn`` may be run a second time, alone."""
        if write and self._group is not None:
            return await self._group.run(fn)
        if not write and self._reads is not None:
            return await self._reads.run(fn)
        if self._lanes is not None:
            return cast(T, await self._lanes.run((fn, write)))
        return await self.call(self._transaction, fn, write)

    async def migrate(self, *components: Component) -> None:
        """Bring the components' tables to their latest schema version."""
        await self.call(migrate, self.database, components)

    async def aclose(self) -> None:
        """Close the connections, then let the threads go; ``open`` may be called again."""
        if self._executor is None:
            self.database.close()
            return
        await self.call(self.database.close)
        self.shutdown()

    def shutdown(self) -> None:
        with self._starting:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)
        if self._lanes is not None:
            self._lanes.shutdown()

    def _transaction(self, fn: Callable[[Connection], T], write: bool) -> T:
        with self.database.transaction(write=write) as connection:
            return fn(connection)

    def _read_batch(self, work: Sequence[Callable[[Connection], Any]]) -> list[BatchOutcome]:
        """Reads that waited together, one after the other, each in its own read transaction: each sees what was
        committed when it began, and one that raises fails alone."""
        outcomes: list[BatchOutcome] = []
        for fn in work:
            try:
                outcomes.append((True, self._transaction(fn, False)))
            except Exception as error:
                outcomes.append((False, error))
        return outcomes

    def _threads(self) -> ThreadPoolExecutor:
        with self._starting:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.database.concurrency, thread_name_prefix="agentkit-db")
            return self._executor

    def __repr__(self) -> str:
        return f"AsyncDatabase({redact(self.database.url)!r})"
