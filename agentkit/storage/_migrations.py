"""Schema migrations: an ordered list per component, a table that records what was applied, applied on open.

A component is a set of tables that one part of agentkit owns (``runtime``: conversations and messages; ``hitl``:
sessions, events, the outbox; ``desk``: tickets; ``accounts``: desk accounts, bot and webchat tokens). Its
migrations are numbered 1, 2, 3, ...; migration 1 is the schema agentkit 0.1.0 created, word for word, with
``IF NOT EXISTS``, so a 0.1.0 database (its tables, no ``agentkit_migrations``) is adopted at version 1 rather than
created again. An applied migration is never edited: a change is a new migration at the end of the list.

``migrate`` runs in one transaction that first takes the schema lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: an
advisory transaction lock), so two workers opening one database at once apply each migration once; the second
finds it recorded. DDL is transactional on both backends: a migration that fails leaves the database as it was.
A database newer than the code (a version this code has no migration for) is refused: ``DatabaseTooNew``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..exceptions import ConfigError
from ._base import Connection, Database, NamedLock
from ._postgres import ddl
from ._url import redact

__all__ = ["Component", "ComponentStatus", "DatabaseTooNew", "Migration", "migrate", "pending", "status"]

TABLE = "agentkit_migrations"
_TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    applied_at REAL NOT NULL,
    PRIMARY KEY (component, version)
)"""
ADOPTED = " (adopted: the tables were there already)"


class DatabaseTooNew(ConfigError):
    """The database holds a component at a version this agentkit has no migration for: a newer agentkit wrote it."""

    def __init__(self, url: str, component: str, found: int, known: int) -> None:
        super().__init__(
            f"the database {redact(url)!r} has component {component!r} at schema version {found}, but this agentkit "
            f"knows versions up to {known}: a newer agentkit upgraded it. Run that newer agentkit (pip install -U "
            "agentkit), or a copy of the data from before the upgrade; a database is never downgraded"
        )
        self.component, self.found, self.known = component, found, known


@dataclass(frozen=True)
class Migration:
    """One step of a component's schema. ``sql``: DDL in SQLite's words (PostgreSQL gets it translated), any
    number of statements separated by ``;``. ``run``: Python for what SQL cannot say (a data rewrite), called in
    the same transaction after ``sql``."""

    version: int
    description: str
    sql: str = ""
    run: Callable[[Connection], None] | None = None


@dataclass(frozen=True)
class Component:
    """A component's migrations, in order: versions 1, 2, 3, ... with no gap. ``tables``: the tables of
    migration 1, whose presence without a record means a 0.1.0 database, adopted at version 1."""

    name: str
    migrations: tuple[Migration, ...]
    tables: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        versions = [m.version for m in self.migrations]
        if versions != list(range(1, len(versions) + 1)):
            raise ConfigError(f"component {self.name!r}: migrations must be numbered 1, 2, 3, ...; got {versions}")

    @property
    def latest(self) -> int:
        return len(self.migrations)


@dataclass(frozen=True)
class ComponentStatus:
    """Where one component of one database stands. ``current``: 0 when it has none of its tables yet;
    ``recorded``: False for a 0.1.0 database that has the tables but no record of them (it is adopted on open)."""

    component: Component
    current: int
    recorded: bool

    @property
    def present(self) -> bool:
        return self.current > 0

    @property
    def pending(self) -> tuple[Migration, ...]:
        return self.component.migrations[self.current :]


def migrate(database: Database, components: Sequence[Component]) -> list[tuple[str, Migration]]:
    """Bring ``components`` to their latest version in one transaction; returns what was applied (or adopted).
    Blocking: call it on a store thread."""
    with database.transaction() as connection:
        connection.lock(NamedLock.SCHEMA)
        _execute(connection, _TABLE_SQL)
        applied: list[tuple[str, Migration]] = []
        for component in components:
            applied += _upgrade(connection, database.url, component)
        return applied


def status(database: Database, components: Sequence[Component]) -> list[ComponentStatus]:
    """Where each component stands, without changing anything. Blocking."""
    with database.transaction(write=False) as connection:
        recorded = _recorded(connection)
        found = [_status(connection, c, recorded) for c in components]
    for item in found:
        _check_not_newer(database.url, item)
    return found


def pending(statuses: Sequence[ComponentStatus]) -> list[tuple[str, Migration]]:
    """What ``migrate`` would apply to the components that are present (an absent one is created by its code)."""
    return [(s.component.name, m) for s in statuses if s.present for m in s.pending]


def _upgrade(connection: Connection, url: str, component: Component) -> list[tuple[str, Migration]]:
    found = _status(connection, component, _recorded(connection))
    _check_not_newer(url, found)
    applied = []
    if found.present and not found.recorded:  # 0.1.0: the tables of migration 1 are there, unrecorded
        first = component.migrations[0]
        _execute(connection, first.sql)  # IF NOT EXISTS throughout: completes what is missing, changes nothing else
        _record(connection, component.name, first.version, first.description + ADOPTED)
        applied.append((component.name, first))
    for migration in component.migrations[found.current :]:
        _execute(connection, migration.sql)
        if migration.run is not None:
            migration.run(connection)
        _record(connection, component.name, migration.version, migration.description)
        applied.append((component.name, migration))
    return applied


def _status(connection: Connection, component: Component, recorded: dict[str, int]) -> ComponentStatus:
    if component.name in recorded:
        return ComponentStatus(component, recorded[component.name], True)
    adopted = bool(component.tables) and all(_has_table(connection, t) for t in component.tables)
    return ComponentStatus(component, 1 if adopted else 0, False)


def _check_not_newer(url: str, found: ComponentStatus) -> None:
    if found.current > found.component.latest:
        raise DatabaseTooNew(url, found.component.name, found.current, found.component.latest)


def _recorded(connection: Connection) -> dict[str, int]:
    if not _has_table(connection, TABLE):
        return {}
    rows = connection.execute(f"SELECT component, MAX(version) FROM {TABLE} GROUP BY component").fetchall()
    return {str(row[0]): int(row[1]) for row in rows}


def _record(connection: Connection, component: str, version: int, description: str) -> None:
    connection.execute(
        f"INSERT INTO {TABLE} (component, version, description, applied_at) VALUES (?, ?, ?, ?)",
        (component, version, description, time.time()),
    )


def _has_table(connection: Connection, name: str) -> bool:
    if connection.dialect == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:  # the schema first on the search path, where unqualified names are created
        sql = "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
    return connection.execute(sql, (name,)).fetchone() is not None


def _execute(connection: Connection, sql: str) -> None:
    """Each statement on its own: sqlite3 runs one per call (``executescript`` would commit the transaction)."""
    for statement in split_statements(sql):
        connection.execute(ddl(statement) if connection.dialect == "postgresql" else statement)


def split_statements(sql: str) -> list[str]:
    """``sql`` cut at each ``;`` outside quotes; empty statements dropped."""
    statements: list[str] = []
    current: list[str] = []
    quote = ""
    for char in sql:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";":
            statements.append("".join(current))
            current = []
            continue
        current.append(char)
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]
