"""Group commit: writes that arrive while a commit is in flight wait for it, then commit together, in one transaction.

On a file database every commit is an fsync (WAL, ``synchronous=FULL``): several milliseconds, on the one writer, for
each write. Under load many conversations write at once, and committing them one by one makes them queue behind
each other's fsyncs. ``GroupCommit`` keeps the writes in arrival order; one thread at a time takes all that are
waiting and runs them in one transaction (``SqliteDatabase.run_batch``: one that fails is undone alone, the batch
being run again with a savepoint per write, and only its caller hears of it), and answers every caller once the
COMMIT is done: nothing is acknowledged before it is durable.

The mechanism is ``Batches``: any blocking work whose items are cheaper done together than one by one (the turn
locks of PostgreSQL take and give back several conversations' locks in one round trip) uses it the same way.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from ._base import BatchOutcome, Connection

__all__ = ["BatchOutcome", "Batches", "GroupCommit"]

T = TypeVar("T")
ItemT = TypeVar("ItemT")

MAX_BATCH = 256  # items in one batch: for a group commit, bounds how long the writer's lock is held at once


@dataclass(frozen=True, slots=True)
class _Item(Generic[ItemT]):
    item: ItemT
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


def _settle_all(settled: list[tuple[asyncio.Future[Any], BatchOutcome]]) -> None:
    for future, (ok, value) in settled:
        if future.done():  # the caller was cancelled meanwhile (its item may still have been done, as before)
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


def _settle(batch: Sequence[_Item[Any]], outcomes: Sequence[BatchOutcome]) -> None:
    """Answer the callers: one wake-up of each event loop per batch, not one per item."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], BatchOutcome]]] = {}
    for entry, outcome in zip(batch, outcomes, strict=True):
        by_loop.setdefault(entry.loop, []).append((entry.future, outcome))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_all, settled)
        except RuntimeError:  # its event loop is closed: nobody is waiting for the answers any more
            pass


class Batches(Generic[ItemT]):
    """``await batches.run(item)``: the item done by ``run_batch``, possibly with others, before it returns.

    ``run_batch`` does a list of items (on one of ``executor``'s threads, one batch at a time) and returns their
    outcomes in order. Items that arrive while a batch is in flight wait for it, then go together, in arrival
    order."""

    def __init__(
        self,
        run_batch: Callable[[Sequence[ItemT]], list[BatchOutcome]],
        executor: Callable[[], Executor],
        *,
        keep_thread: bool = False,
    ) -> None:
        self._run_batch = run_batch
        self._executor = executor
        self._keep_thread = keep_thread
        self._lock = threading.Lock()
        self._waiting: list[_Item[ItemT]] = []
        self._draining = False

    async def run(self, item: ItemT) -> Any:
        loop = asyncio.get_running_loop()
        entry = _Item(item, loop.create_future(), loop)
        with self._lock:
            self._waiting.append(entry)
            start, self._draining = not self._draining, True
        if start:
            self._start_draining()
        return await entry.future

    def _start_draining(self) -> None:
        try:
            self._executor().submit(self._drain)
        except Exception as error:  # no thread to run it (the database is closing): each waiting caller hears so
            with self._lock:
                waiting, self._waiting, self._draining = self._waiting, [], False
            _settle(waiting, [(False, error)] * len(waiting))

    def _drain(self) -> None:
        """On an executor thread: one batch of what waits. Then, if more waits, the next batch: on this thread
        (``keep_thread``: no hand-off to another thread, which under load waits for the GIL first), or queued behind
        whatever else waits for the threads (a read on a one-thread ``:memory:`` database is not starved)."""
        more = True
        while more:
            with self._lock:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            # A caller cancelled before its item began is not done, as with a thread pool's queued call.
            batch = [entry for entry in batch if not entry.future.cancelled()]
            if batch:
                _settle(batch, self._outcomes(batch))
            with self._lock:
                more = bool(self._waiting)
                self._draining = more
            if more and not self._keep_thread:
                self._start_draining()
                return

    def _outcomes(self, batch: list[_Item[ItemT]]) -> list[BatchOutcome]:
        try:
            return self._run_batch([entry.item for entry in batch])
        except BaseException as error:  # run_batch reports failures as outcomes; this is a last resort
            return [(False, error)] * len(batch)


class GroupCommit(Batches[Callable[[Connection], Any]]):
    """``await group.run(fn)``: ``fn(connection)`` committed, possibly with other writes, before it returns.

    ``run_batch`` runs a list of writes in one transaction and returns their outcomes in order; ``executor``
    gives the threads it runs on (one at a time runs batches: the writer is one connection anyway)."""

    async def run(self, item: Callable[[Connection], T]) -> T:
        return cast(T, await super().run(item))
