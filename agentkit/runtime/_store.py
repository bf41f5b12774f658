"""The agent's SQLite store: one connection, used from one worker thread, one transaction per call.

Conversations, messages, HITL sessions, processed webhook events and the outbox all live here, so a state change
and the messages it causes commit together. Every call runs on a single worker thread: sqlite3 blocks, and the
event loop must not. ``BEGIN IMMEDIATE`` takes the write lock up front, so two processes on one file (a server and
``agentkit hitl redeliver``) never interleave a read-then-write.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from ..exceptions import ConfigError

__all__ = ["Store", "parse_store_url"]

T = TypeVar("T")
MEMORY = ":memory:"


def parse_store_url(url: str | Path) -> str:
    """The sqlite3 path for ``url``: ``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``sqlite://:memory:``.

    A plain path (no scheme) is taken as a file path.
    """
    if isinstance(url, Path):
        return str(url)
    if url in ("sqlite://", "sqlite://:memory:", "sqlite:///:memory:", MEMORY):
        return MEMORY
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    if url.startswith(("postgres://", "postgresql://")):
        raise ConfigError(f"store {url!r}: PostgreSQL is not available in this build; use 'sqlite:///path/to/agent.db'")
    if "://" in url:
        raise ConfigError(f"store {url!r} is not a store URL; use 'sqlite:///path/to/agent.db' or 'sqlite://:memory:'")
    return url


class Store:
    """``await store.run(fn)`` calls ``fn(connection)`` on the store's thread inside one transaction."""

    def __init__(self, url: str | Path = "sqlite://:memory:") -> None:
        self.url = str(url)
        self.path = parse_store_url(url)
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None

    @property
    def is_open(self) -> bool:
        return self._connection is not None

    async def open(self) -> None:
        if self._executor is not None:
            return
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentkit-store")
        self._connection = await self._call(self._connect)

    def _connect(self) -> sqlite3.Connection:
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we write BEGIN/COMMIT ourselves. check_same_thread=False: the worker thread is the
        # only user, but it is not the thread that runs close() when the executor is already gone.
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10.0)
        connection.row_factory = sqlite3.Row
        if self.path != MEMORY:
            connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA foreign_keys=ON")
        return connection

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in a transaction on the store's thread; an exception rolls everything back."""
        return await self._call(self._transaction, fn)

    def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        connection = self._require()
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = fn(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return result

    async def script(self, sql: str) -> None:
        """Run DDL (``CREATE TABLE IF NOT EXISTS ...``) outside a transaction."""
        await self._call(lambda: self._require().executescript(sql))

    async def aclose(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.get_running_loop().run_in_executor(executor, connection.close)
        executor.shutdown(wait=True)

    def _require(self) -> sqlite3.Connection:
        if self._connection is None:
            raise RuntimeError("the store is closed")
        return self._connection

    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        if self._executor is None:
            raise RuntimeError(f"store {self.url!r} is not open; call `await store.open()` (Agent does it)")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
