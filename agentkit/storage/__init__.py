"""Storage backends shared by the runtime, HITL and the desk: SQLite (the embedded default) and PostgreSQL (several
worker processes on one database), behind one small interface. ``open_database(url)`` picks the backend;
``migrate(database, components)`` brings each component's tables to its latest schema version."""

import os

from ..exceptions import ConfigError as _ConfigError
from ._async import AsyncDatabase
from ._base import BatchOutcome, Connection, Cursor, Database, Dialect, NamedLock, TurnLocks, TurnOperation
from ._group import Batches
from ._listen import (
    DESK_CHANNEL,
    FALLBACK_POLL,
    MESSAGES_CHANNEL,
    Listening,
    Notification,
    no_notify_on_insert,
    notify_on_insert,
)
from ._migrations import Component, ComponentStatus, DatabaseTooNew, Migration, migrate, pending, status
from ._postgres import DEFAULT_POOL_SIZE, PostgresDatabase, import_psycopg
from ._sqlite import SqliteDatabase
from ._text import contains_nul
from ._url import Location, parse_url, redact

__all__ = [
    "AsyncDatabase",
    "BatchOutcome",
    "Batches",
    "Component",
    "ComponentStatus",
    "Connection",
    "Cursor",
    "DEFAULT_POOL_SIZE",
    "DESK_CHANNEL",
    "Database",
    "DatabaseTooNew",
    "Dialect",
    "FALLBACK_POLL",
    "Listening",
    "Location",
    "MESSAGES_CHANNEL",
    "Migration",
    "NamedLock",
    "Notification",
    "PostgresDatabase",
    "SqliteDatabase",
    "TurnLocks",
    "TurnOperation",
    "contains_nul",
    "import_psycopg",
    "migrate",
    "no_notify_on_insert",
    "notify_on_insert",
    "open_database",
    "parse_url",
    "pending",
    "redact",
    "status",
]


def open_database(url: str | os.PathLike[str], *, pool_size: int | None = None) -> Database:
    """The backend for ``url``, not connected yet (``database.open()`` connects). ``pool_size``: PostgreSQL's
    number of connections (default: ``$AGENTKIT_DB_POOL_SIZE``, which ``agentkit serve --db-pool-size`` sets, else 8);
    SQLite always has one writer. PostgreSQL prepares the statements of write transactions on each connection unless
    ``$AGENTKIT_DB_PREPARE`` is 0 (``agentkit serve --db-no-prepare``: behind PgBouncer in transaction mode). A
    ``postgresql://`` URL without psycopg installed is a ``ConfigError`` naming the extra to install."""
    location = parse_url(url)
    if location.backend == "sqlite":
        return SqliteDatabase(location.target)
    return PostgresDatabase(
        location.target, pool_size=pool_size or _pool_size_from_environment(), prepare=_prepare_from_environment()
    )


def _pool_size_from_environment() -> int:
    value = os.environ.get("AGENTKIT_DB_POOL_SIZE", "").strip()
    if not value:
        return DEFAULT_POOL_SIZE
    if not value.isdigit() or int(value) < 1:
        raise _ConfigError(f"AGENTKIT_DB_POOL_SIZE must be a whole number of connections, at least 1; not {value!r}")
    return int(value)


def _prepare_from_environment() -> bool:
    value = os.environ.get("AGENTKIT_DB_PREPARE", "").strip()
    if value not in ("", "0", "1"):
        raise _ConfigError(f"AGENTKIT_DB_PREPARE must be 1 (prepared statements, the default) or 0; not {value!r}")
    return value != "0"
