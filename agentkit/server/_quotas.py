"""Limits for anonymous webchat users, counted in the database every worker shares, so N workers still allow each
address and each conversation the same number, not N times it.

Rates are counted in fixed windows (a minute, an hour): one row per key and window, incremented in one upsert, so
two workers counting at once never lose a hit. Rows outlive their window only until the next sweep. A refused
request gets 429 with ``Retry-After``: the seconds until its window ends.

Each conversation also has an activity row: when it was last used, and how many messages the user sent. A
conversation idle for longer than ``idle_timeout`` has a dead token (start a new conversation); one that reached
``messages_per_conversation`` takes no more messages.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..desk import ApiError
from ..storage import AsyncDatabase, Component, Connection, Migration, migrate, open_database

__all__ = ["QUOTA_MIGRATIONS", "QuotaCounter", "WebchatQuotas", "address_key"]

T = TypeVar("T")

_V1 = """
CREATE TABLE IF NOT EXISTS webchat_quota_hits (
    key TEXT NOT NULL,
    window_start REAL NOT NULL,
    hits INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX IF NOT EXISTS webchat_quota_hits_expiry ON webchat_quota_hits (expires_at);
CREATE TABLE IF NOT EXISTS webchat_activity (
    conversation_id TEXT PRIMARY KEY,
    messages INTEGER NOT NULL,
    last_active_at REAL NOT NULL
);
"""

QUOTA_MIGRATIONS = Component(
    "webchat_quotas",
    (Migration(1, "webchat quota counters and conversation activity", _V1),),
)
"""The tables of the webchat's limits: a component of their own, beside ``accounts`` in the server's database."""

_HIT = (
    "INSERT INTO webchat_quota_hits (key, window_start, hits, expires_at) VALUES (?, ?, 1, ?) "
    "ON CONFLICT (key, window_start) DO UPDATE SET hits = webchat_quota_hits.hits + 1"
)
"""One hit of a key in a window: an upsert, so two workers counting at once never lose one."""
_HITS = "SELECT hits FROM webchat_quota_hits WHERE key = ? AND window_start = ?"

_SWEEP_EVERY = 60.0
_TOUCH_EVERY = 60.0  # reads refresh a conversation's activity at most this often: not one write per poll


@dataclass(frozen=True)
class WebchatQuotas:
    """What one anonymous client may do; 0 turns a limit off. Pass to ``create_app(quotas=...)``, or set with the
    ``agentkit serve --quota-*`` flags."""

    conversations_per_minute: int = 10
    """New conversations per client address (an IPv6 client: per /64 network) per minute."""
    messages_per_minute: int = 20
    """Messages per conversation per minute."""
    escalations_per_hour: int = 5
    """Handoffs to a person per client address per hour; past it, the handoff tool fails and the bot says so."""
    messages_per_conversation: int = 300
    """Messages a user may send in one conversation, in all."""
    idle_timeout: float = 24 * 3600.0
    """Seconds a conversation may go unused before its token stops working."""
    page_size: int = 100
    """The most messages one answer holds; older ones are read page by page (``before``)."""

    @classmethod
    def unlimited(cls) -> WebchatQuotas:
        """No limits (benchmarks, tests that drive many conversations from one address); pages stay bounded."""
        return cls(0, 0, 0, 0, 0.0)


@functools.lru_cache(maxsize=4096)
def address_key(host: str) -> str:
    """The client's address as quotas count it: an IPv6 address by its /64 network (one customer of a provider
    gets a whole /64, so counting single addresses would give them 2**64 quotas). Kept per address (bounded):
    parsing one costs ~9 us, asked at every webchat request, and a client sends many from the same address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address.ipv4_mapped or address) if isinstance(address, ipaddress.IPv6Address) else str(address)


class QuotaCounter:
    """The counters, on the storage layer: the server's SQLite file or the PostgreSQL every worker shares."""

    def __init__(
        self,
        url_or_path: str | os.PathLike[str] = ":memory:",
        quotas: WebchatQuotas | None = None,
        *,
        database: AsyncDatabase | None = None,
    ) -> None:
        """Counters in ``url_or_path``, or in ``database``, another store's (not closed here): on SQLite two
        database objects on one file are two writers whose commits collide on the file lock, and the loser sleeps in
        SQLite's busy handler, so the server counts in its store's database rather than opening the file again."""
        self.quotas = quotas or WebchatQuotas()
        self._owned = database is None
        if database is None:
            # On the database's own threads; on SQLite its writes are group-committed with other requests' (each
            # request's count is committed before it is answered).
            database = AsyncDatabase(open_database(url_or_path))
            database.database.open()
        try:
            migrate(database.database, [QUOTA_MIGRATIONS])
        except BaseException:
            if self._owned:
                database.database.close()
            raise
        self._next_sweep = 0.0
        self._async = database

    @property
    def _tracks_activity(self) -> bool:
        """Some limit per conversation to enforce (else no need to count its messages or its last use)."""
        return self.quotas.idle_timeout > 0 or self.quotas.messages_per_conversation > 0

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._async.run(lambda db: fn(db, *args))

    # -- rates --

    async def hit(self, key: str, limit: int, window: float, what: str) -> None:
        """Count one request against ``limit`` per ``window`` seconds; 429 with Retry-After past it."""
        if limit <= 0:
            return
        now = time.time()
        start = math.floor(now / window) * window
        hits = (await self._run(self._hit, key, start, start + window, now))()
        _refuse_past(hits, limit, start + window - now, window, what)

    def _hit(self, db: Connection, key: str, start: float, end: float, now: float) -> Callable[[], int]:
        """The count after this hit, read at commit: one statement, and on PostgreSQL one round trip."""
        if _returning(db):
            rows = db.read_at_commit(_HIT + " RETURNING hits", (key, start, end))
        else:
            db.execute(_HIT, (key, start, end))
            rows = db.read_at_commit(_HITS, (key, start))
        self._sweep(db, now)
        return lambda: int(rows()[0]["hits"])

    def _sweep(self, db: Connection, now: float) -> None:
        if now >= self._next_sweep:  # forget finished windows, so the table stays the size of the traffic
            self._next_sweep = now + _SWEEP_EVERY
            db.execute("DELETE FROM webchat_quota_hits WHERE expires_at < ?", (now,))

    # -- a user's message --

    async def message(self, conversation_id: str) -> None:
        """A user's message: counted against ``messages_per_minute`` (429 past it), then, if that admits it, as a
        use of the conversation (``used``: 403 idle, 429 past ``messages_per_conversation``). Both in one
        transaction (they were two, awaited one after the other, before every message's turn); a message refused by
        the minute's limit touches no activity, as when the second was not run: it neither counts towards the
        conversation's messages nor keeps it alive."""
        limit, what = self.quotas.messages_per_minute, "messages in this conversation"
        if limit <= 0 or not self._tracks_activity:
            await self.hit(f"messages:{conversation_id}", limit, 60.0, what)
            await self.used(conversation_id, message=True)  # each returns at once when its limits are off
            return
        now = time.time()
        start = math.floor(now / 60.0) * 60.0
        counted = await self._run(self._hit_and_message, f"messages:{conversation_id}", limit, start, conversation_id,
                                  now)  # fmt: skip
        hits, used = counted()
        _refuse_past(hits, limit, start + 60.0 - now, 60.0, what)
        assert used is not None  # admitted by the minute's count: the activity was upserted
        self._refuse_use(conversation_id, *used, now, message=True)

    def _hit_and_message(
        self, db: Connection, key: str, limit: int, start: float, conversation_id: str, now: float
    ) -> Callable[[], tuple[int, tuple[int, float] | None]]:
        """The minute's count after this hit, and the conversation's ``(messages, last use)`` if it was counted (the
        hit within ``limit``). On PostgreSQL both statements are read at commit: one round trip, and the hit's row,
        locked by its upsert, is the condition of the activity's (two workers count one quota)."""
        if not _returning(db):  # SQLite before 3.35: read as it goes (one writer thread, no round trip)
            db.execute(_HIT, (key, start, start + 60.0))
            count = int(db.execute(_HITS, (key, start)).fetchone()["hits"])
            self._sweep(db, now)
            used = self._use(db, conversation_id, True, now) if count <= limit else None
            return lambda: (count, used)
        hits = self._hit(db, key, start, start + 60.0, now)
        rows = db.read_at_commit(*self._activity_upsert(
            "SELECT CAST(? AS TEXT), 1, CAST(? AS DOUBLE PRECISION) FROM webchat_quota_hits "
            "WHERE key = ? AND window_start = ? AND hits <= ?", (conversation_id, now, key, start, limit), now,
        ))  # fmt: skip

        def read() -> tuple[int, tuple[int, float] | None]:
            found = rows()
            return hits(), ((int(found[0]["messages"]), float(found[0]["last_active_at"])) if found else None)

        return read

    # -- conversations --

    async def started(self, conversation_id: str) -> None:
        if not self._tracks_activity:
            return
        await self._run(self._write, "INSERT INTO webchat_activity VALUES (?, 0, ?)", (conversation_id, time.time()))

    async def used(self, conversation_id: str, *, message: bool) -> None:
        """The conversation is in use (a message when ``message``): 403 when it went idle too long, 429 when it
        has had all its messages."""
        if not self._tracks_activity:
            return
        now = time.time()
        if message:
            messages, last = (await self._run(self._message, conversation_id, now))()
        else:
            messages, last = await self._run(self._use, conversation_id, message, now)
        self._refuse_use(conversation_id, messages, last, now, message=message)

    def _refuse_use(self, conversation_id: str, messages: int, last: float, now: float, *, message: bool) -> None:
        idle = self.quotas.idle_timeout
        if idle > 0 and now - last > idle:
            raise ApiError(403, f"conversation {conversation_id} ended after {_span(idle)} without use; start a new "
                                "one (POST /api/conversations)")  # fmt: skip
        limit = self.quotas.messages_per_conversation
        if message and 0 < limit < messages:
            raise ApiError(429, f"conversation {conversation_id} has had its {limit} messages; start a new one")

    def _message(self, db: Connection, conversation_id: str, now: float) -> Callable[[], tuple[int, float]]:
        """A message: ``(messages, last use)`` read at commit, counted and stamped in one upsert when the
        conversation is still live (its ``last use`` is then now). On PostgreSQL one round trip, not two."""
        if not _returning(db):
            used = self._use(db, conversation_id, True, now)
            return lambda: used
        rows = db.read_at_commit(*self._activity_upsert("VALUES (?, 1, ?)", (conversation_id, now), now))
        return lambda: (int(rows()[0]["messages"]), float(rows()[0]["last_active_at"]))

    def _activity_upsert(self, source: str, params: tuple[Any, ...], now: float) -> tuple[str, tuple[Any, ...]]:
        """The upsert of a message's activity whose new row is ``source`` (a ``VALUES`` or a ``SELECT``): counted
        and stamped when the conversation is still live; it returns the row's ``messages, last_active_at``."""
        idle = self.quotas.idle_timeout
        live = "(? <= 0 OR ? - webchat_activity.last_active_at <= ?)"
        return (
            f"INSERT INTO webchat_activity (conversation_id, messages, last_active_at) {source} "
            "ON CONFLICT (conversation_id) DO UPDATE SET "
            f"messages = webchat_activity.messages + CASE WHEN {live} THEN 1 ELSE 0 END, "
            f"last_active_at = CASE WHEN {live} THEN excluded.last_active_at ELSE webchat_activity.last_active_at END "
            "RETURNING messages, last_active_at",
            (*params, idle, now, idle, idle, now, idle),
        )

    def _use(self, db: Connection, conversation_id: str, message: bool, now: float) -> tuple[int, float]:
        """``(messages, last use before this one)``; the row is written only when the conversation is still live."""
        row = db.execute(
            "SELECT messages, last_active_at FROM webchat_activity WHERE conversation_id = ?" + db.for_update(),
            (conversation_id,),
        ).fetchone()
        if row is None:  # begun before this version counted: it starts counting now
            db.execute("INSERT INTO webchat_activity VALUES (?, ?, ?)", (conversation_id, int(message), now))
            return int(message), now
        messages, last = int(row["messages"]) + int(message), float(row["last_active_at"])
        idle = self.quotas.idle_timeout
        if (idle <= 0 or now - last <= idle) and (message or now - last >= _TOUCH_EVERY):
            db.execute(
                "UPDATE webchat_activity SET messages = ?, last_active_at = ? WHERE conversation_id = ?",
                (messages, now, conversation_id),
            )
        return messages, last

    def _write(self, db: Connection, sql: str, args: tuple[Any, ...]) -> None:
        db.execute(sql, args)

    async def aclose(self) -> None:
        if self._owned:
            await self._async.aclose()


def _refuse_past(hits: int, limit: int, left: float, window: float, what: str) -> None:
    """429 with Retry-After (the ``left`` seconds of the window, at least 1) when ``hits`` went past ``limit``."""
    if hits > limit:
        wait = max(1, math.ceil(left))
        raise ApiError(429, f"too many {what} (at most {limit} per {_span(window)}); try again in {wait} s",
                       {"Retry-After": str(wait)})  # fmt: skip


def _returning(db: Connection) -> bool:
    """Whether the database answers ``RETURNING`` (PostgreSQL; SQLite from 3.35)."""
    return db.dialect == "postgresql" or sqlite3.sqlite_version_info >= (3, 35)


def _span(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds:g} s"
