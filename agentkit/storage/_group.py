"""Group commit: writes that arrive while a commit is in flight wait for it, then commit together, in one transaction.

On a file database every commit is an fsync (WAL, ``synchronous=FULL``): several milliseconds, on the one writer, for
each write. Under load many conversations write at once, and committing them one by one makes them queue behind
each other's fsyncs. ``GroupCommit`` keeps the writes in arrival order; one thread at a time takes all that are
waiting and runs them in one transaction (``SqliteDatabase.run_batch``: each write in a savepoint of its own, so one
that fails is undone alone and only its caller hears of it), and answers every caller once the COMMIT is done:
nothing is acknowledged before it is durable.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from ._base import Connection

__all__ = ["BatchOutcome", "GroupCommit"]

T = TypeVar("T")
BatchOutcome = tuple[bool, Any]
"""``(True, value)`` for a write that committed, ``(False, exception)`` for one that did not."""
BatchRunner = Callable[[Sequence[Callable[[Connection], Any]]], list[BatchOutcome]]

MAX_BATCH = 256  # writes in one transaction: bounds how long the writer's lock is held at once


@dataclass(frozen=True, slots=True)
class _Write:
    fn: Callable[[Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop

    def settle(self, outcome: BatchOutcome) -> None:
        try:
            self.loop.call_soon_threadsafe(_settle, self.future, outcome)
        except RuntimeError:  # its event loop is closed: nobody is waiting for the answer any more
            pass


def _settle(future: asyncio.Future[Any], outcome: BatchOutcome) -> None:
    if future.done():  # the caller was cancelled meanwhile (its write may still have committed, as before)
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class GroupCommit:
    """``await group.run(fn)``: ``fn(connection)`` committed, possibly with other writes, before it returns.

    ``run_batch`` runs a list of writes in one transaction and returns their outcomes in order; ``executor``
    gives the threads it runs on (one at a time runs batches: the writer is one connection anyway)."""

    def __init__(self, run_batch: BatchRunner, executor: Callable[[], Executor]) -> None:
        self._run_batch = run_batch
        self._executor = executor
        self._lock = threading.Lock()
        self._waiting: list[_Write] = []
        self._draining = False

    async def run(self, fn: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        write = _Write(fn, loop.create_future(), loop)
        with self._lock:
            self._waiting.append(write)
            start, self._draining = not self._draining, True
        if start:
            self._start_draining()
        return cast(T, await write.future)

    def _start_draining(self) -> None:
        try:
            self._executor().submit(self._drain)
        except Exception as error:  # no thread to run it (the database is closing): each waiting caller hears so
            with self._lock:
                waiting, self._waiting, self._draining = self._waiting, [], False
            for write in waiting:
                write.settle((False, error))

    def _drain(self) -> None:
        """On a database thread: commit what waits, one batch. Then, if more waits, queue the next batch behind
        whatever else waits for the threads (a read on a one-thread ``:memory:`` database is not starved)."""
        with self._lock:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
        # A caller cancelled before its write began is not written, as with a thread pool's queued call.
        batch = [write for write in batch if not write.future.cancelled()]
        if batch:
            for write, outcome in zip(batch, self._outcomes(batch), strict=True):
                write.settle(outcome)
        with self._lock:
            more = bool(self._waiting)
            self._draining = more
        if more:
            self._start_draining()

    def _outcomes(self, batch: list[_Write]) -> list[BatchOutcome]:
        try:
            return self._run_batch([write.fn for write in batch])
        except BaseException as error:  # run_batch reports failures as outcomes; this is a last resort
            return [(False, error)] * len(batch)
