"""Lanes: a few threads, each taking every item waiting and doing them one after the other.

PostgreSQL's transactions through ``AsyncDatabase.run``. One executor job per transaction (its future, a wake-up of
a thread, a wake-up of the event loop, and as many threads as connections fighting for the GIL) cost as much CPU
as psycopg itself under load: 865-1,005 us a small transaction with 100 callers, against 325-535 us run alone.
Here a lane thread, once woken, takes every transaction waiting and runs them in turn, each its own, on one
connection borrowed for the batch (``PostgresDatabase.run_each``), then answers all their callers with one
wake-up of the event loop. Lanes start as transactions arrive, up to ``width`` at once, so that a transaction
waiting on a lock holds back only its own lane's batch.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from ._base import BatchOutcome
from ._group import _Item, _settle

__all__ = ["Lanes"]

ItemT = TypeVar("ItemT")
T = TypeVar("T")

_MAX_BATCH = 64  # items a lane takes at once: the first of a batch hears its answer when the last is done


class Lanes(Generic[ItemT]):
    """``await lanes.run(item)``: the item done by ``run_each`` on one of ``width`` threads, possibly with others.

    ``run_each`` does the items it is given in order and returns their outcomes; it reads ``None`` for an item
    whose caller was cancelled before the item began (it is not done), and reads each item just before doing it.
    """

    def __init__(self, run_each: Callable[[Iterable[ItemT | None]], list[BatchOutcome]], width: int) -> None:
        self.width = width
        self._run_each = run_each
        self._lock = threading.Lock()
        self._waiting: list[_Item[ItemT]] = []
        self._busy = 0  # lanes started and not yet out of work
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, item: ItemT) -> Any:
        loop = asyncio.get_running_loop()
        entry = _Item(item, loop.create_future(), loop)
        with self._lock:
            self._waiting.append(entry)
            start = self._busy < self.width
            self._busy += start
        if start:
            self._start_lane()
        return await entry.future

    def shutdown(self) -> None:
        """Let the threads go once they are out of work; the next ``run`` starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)

    def _start_lane(self) -> None:
        try:
            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(self.width, thread_name_prefix="agentkit-db-lane")
                executor = self._executor
            executor.submit(self._lane)
        except Exception as error:  # no thread to run it (the interpreter is exiting): the waiting callers hear so
            with self._lock:
                waiting, self._waiting = self._waiting, []
                self._busy -= 1
            _settle(waiting, [(False, error)] * len(waiting))

    def _lane(self) -> None:
        """On a lane's thread: batch after batch of what waits, until nothing does."""
        while True:
            with self._lock:
                batch, self._waiting = self._waiting[:_MAX_BATCH], self._waiting[_MAX_BATCH:]
                if not batch:
                    self._busy -= 1
                    return
            _settle(batch, self._outcomes(batch))

    def _outcomes(self, batch: list[_Item[ItemT]]) -> list[BatchOutcome]:
        items = _unless_cancelled(batch)
        try:
            return self._run_each(items)
        except BaseException as error:  # run_each reports failures as outcomes; this is a last resort
            return [(False, error)] * len(batch)


def _unless_cancelled(batch: Sequence[_Item[T]]) -> Iterator[T | None]:
    # Looked at just before each item begins: a caller cancelled while the batch ran is spared too.
    for entry in batch:
        yield None if entry.future.cancelled() else entry.item
