"""The agent's store: SQLite (the default) or PostgreSQL, by URL; one transaction per call, off the event loop.

Conversations, messages, HITL sessions, processed webhook events and the outbox all live here, so a state change
and the messages it causes commit together. Calls run on the store's worker threads: the drivers block, and the
event loop must not: the storage layer's ``AsyncDatabase`` gives the store threads of its own, one per connection.

Several processes can share one PostgreSQL database: ``hold(conversation_id)`` keeps a conversation's turns to one
process at a time, and inside each transaction the SQL takes the locks its reads-then-writes need. The turn locks
that conversations take and give back at the same moment go to PostgreSQL together, one round trip per lane
(``Batches``), as group commit does for SQLite's writes; and a worker alone on the database takes none there, until
another worker comes (``agentkit.storage._pg_alone``: the newcomer waits for the hand-over).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any, Literal, TypeVar

from ..storage import (
    AsyncDatabase,
    Batches,
    Component,
    Connection,
    TurnLocks,
    TurnOperation,
    open_database,
    parse_url,
    redact,
)

__all__ = ["Store"]

T = TypeVar("T")
_NOTHING_TO_HOLD: AbstractAsyncContextManager[None] = nullcontext()  # stateless: one for every block
_WAIT_THREADS = 16  # turn locks waited for in the database at once (each on a thread and a connection of its own)
_DECIDED_WAIT = 1.0  # seconds a turn waits on a thread for the turn locks to know whether the worker is alone
_UNDECIDED_LIMIT = 30.0  # seconds before such a turn fails


class Store:
    """``await store.run(fn)`` calls ``fn(connection)`` on a store thread inside one transaction.

    ``url``: ``sqlite:///path.db``, ``sqlite://:memory:``, a path, or ``postgresql://user:pw@host:5432/db``
    (needs ``pip install 'agentkit[postgres]'``). ``pool_size``: PostgreSQL connections (default 8).
    """

    def __init__(self, url: str | Path = "sqlite://:memory:", *, pool_size: int | None = None) -> None:
        self.url = str(url)
        self.path = parse_url(url).target
        self.database = open_database(url, pool_size=pool_size)
        self._db = AsyncDatabase(self.database)
        self._open = False
        self._turns: TurnLocks | None = None
        self._turn_executor: ThreadPoolExecutor | None = None
        self._wait_executor: ThreadPoolExecutor | None = None
        self._lanes: list[Batches[TurnOperation]] = []

    @property
    def is_open(self) -> bool:
        return self._open

    async def open(self) -> None:
        if self._open:
            return
        try:
            await self._db.open()
        except BaseException:
            self._db.shutdown()
            raise
        self._open = True
        self._turns = turns = self.database.turn_locks()
        if turns is None:
            return
        # A thread per connection the turn locks live on
        self._turn_executor = ThreadPoolExecutor(turns.width, thread_name_prefix="agentkit-turns")
        self._wait_executor = ThreadPoolExecutor(_WAIT_THREADS, thread_name_prefix="agentkit-turn-waits")
        self._lanes = [_lane_batches(turns, lane, self._turn_threads) for lane in range(turns.width)]
        try:  # may wait for a worker alone to hand over (on a wait thread: the turn threads close it)
            await asyncio.get_running_loop().run_in_executor(self._wait_executor, turns.open)
        except BaseException:
            await self.aclose()
            raise

    async def run(self, fn: Callable[[Connection], T], *, write: bool = True) -> T:
        """Run ``fn`` in a transaction on a store thread; an exception rolls everything back."""
        self._require_open()
        return await self._db.run(fn, write=write)

    async def migrate(self, *components: Component) -> None:
        """Bring the components' tables to their latest schema version (see ``agentkit.storage``)."""
        self._require_open()
        await self._db.migrate(*components)

    async def script(self, sql: str) -> None:
        """Run DDL (``CREATE TABLE IF NOT EXISTS ...``, in SQLite's words: PostgreSQL gets it translated)."""
        self._require_open()
        await self._db.call(self.database.script, sql)

    def hold(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        """Keep the conversation to this process for the ``async with`` block: on PostgreSQL, another process
        holding it is waited for, in the database (a worker alone there keeps it in process: the agent's own lock
        does). On SQLite there is one process to a store, and nothing to do (not even an async generator's block:
        every message takes one)."""
        turns = self._turns
        if turns is None:
            return _NOTHING_TO_HOLD
        return self._held(turns, conversation_id)

    @asynccontextmanager
    async def _held(self, turns: TurnLocks, conversation_id: str) -> AsyncIterator[None]:
        await self._acquire_turn(turns, conversation_id)
        try:
            yield
        finally:
            # A store closed meanwhile has let go of every lock already; a turn of a worker alone held none.
            if self._turns is turns and not turns.let_go_alone(conversation_id):
                await asyncio.shield(self._on_lane(turns, "release", conversation_id))

    async def _acquire_turn(self, turns: TurnLocks, conversation_id: str) -> None:
        if (alone := turns.take_alone(conversation_id)) is None:
            alone = await self._take_once_decided(turns, conversation_id)
        if alone:
            return
        while not await self._try_turn(turns, conversation_id):
            if await self._wait_turn(turns, conversation_id):
                return

    async def _take_once_decided(self, turns: TurnLocks, conversation_id: str) -> bool:
        """The turn locks do not know yet whether this worker is alone (their connection is being made again):
        wait, a while; then the turn fails, as it would on a database that is down."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + _UNDECIDED_LIMIT
        while (alone := turns.take_alone(conversation_id)) is None:
            if self._wait_executor is None or self._turns is not turns:
                raise self._closed()
            if loop.time() > give_up:
                raise RuntimeError(f"store {redact(self.url)!r}: the turn locks' connection to the database is down")
            await loop.run_in_executor(self._wait_executor, turns.wait_decided, _DECIDED_WAIT)
        return alone

    async def _wait_turn(self, turns: TurnLocks, conversation_id: str) -> bool:
        """Another process holds the conversation: wait in the database (on a thread apart, as a wait can last a
        whole turn), woken as soon as it lets go. Cancelled, the wait is interrupted, and a lock taken meanwhile is
        given back."""
        if self._wait_executor is None:
            raise self._closed()
        attempt = asyncio.get_running_loop().run_in_executor(self._wait_executor, turns.wait, conversation_id)
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            await self._on_turn_thread(turns.interrupt, conversation_id)
            if await attempt:
                await self._on_lane(turns, "release", conversation_id)
            raise

    async def _try_turn(self, turns: TurnLocks, conversation_id: str) -> bool:
        attempt = asyncio.ensure_future(self._on_lane(turns, "take", conversation_id))
        try:
            return bool(await asyncio.shield(attempt))
        except asyncio.CancelledError:
            if await attempt:  # taken just as we were cancelled: give it back, or it stays held
                await self._on_lane(turns, "release", conversation_id)
            raise

    async def aclose(self) -> None:
        if not self._open:
            return
        self._open = False
        turns, self._turns = self._turns, None
        turn_executor, self._turn_executor = self._turn_executor, None
        wait_executor, self._wait_executor = self._wait_executor, None
        self._lanes = []
        if turns is not None and turn_executor is not None:
            await asyncio.get_running_loop().run_in_executor(turn_executor, turns.close)  # interrupts the waits too
            turn_executor.shutdown(wait=True)
        if wait_executor is not None:
            wait_executor.shutdown(wait=False, cancel_futures=True)
        await self._db.aclose()

    async def _on_turn_thread(self, fn: Callable[[str], T], conversation_id: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._turn_threads(), fn, conversation_id)

    async def _on_lane(self, turns: TurnLocks, kind: Literal["take", "release"], conversation_id: str) -> Any:
        """A take (True if taken) or a release, with the others of its lane that wait at the same moment."""
        if not self._lanes:
            raise self._closed()
        return await self._lanes[turns.lane(conversation_id)].run((kind, conversation_id))

    def _turn_threads(self) -> ThreadPoolExecutor:
        if self._turn_executor is None:
            raise self._closed()
        return self._turn_executor

    def _closed(self) -> RuntimeError:
        return RuntimeError(f"store {redact(self.url)!r} is closed")

    def _require_open(self) -> None:
        if not self._open:
            raise RuntimeError(f"store {redact(self.url)!r} is not open; call `await store.open()` (Agent does it)")


def _lane_batches(turns: TurnLocks, lane: int, threads: Callable[[], ThreadPoolExecutor]) -> Batches[TurnOperation]:
    return Batches(lambda operations: turns.run_lane(lane, operations), threads)
