"""The migrations framework on SQLite and PostgreSQL: applied in order, once, in one transaction, by one of several
openers at a time; a failing migration leaves nothing behind; a database newer than the code is refused."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agentkit.cli import main
from agentkit.desk import DESK_MIGRATIONS, LocalDesk
from agentkit.exceptions import ConfigError
from agentkit.hitl import HITL_MIGRATIONS
from agentkit.runtime import RUNTIME_MIGRATIONS, Agent, Conversation, HandlerContext
from agentkit.server import ACCOUNTS_MIGRATIONS, DatabaseServerStore
from agentkit.storage import Component, Database, DatabaseTooNew, Migration, migrate, open_database, status

NOTES_V1 = Migration(1, "notes", "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT)")
NOTES_V2 = Migration(2, "notes: when", "ALTER TABLE notes ADD COLUMN at REAL; CREATE INDEX notes_at ON notes (at)")


def opened(url: str) -> Database:
    database = open_database(url)
    database.open()
    return database


def versions(database: Database) -> list[tuple[str, int]]:
    with database.transaction(write=False) as connection:
        rows = connection.execute("SELECT component, version FROM agentkit_migrations ORDER BY 1, 2")
        return [(str(r[0]), int(r[1])) for r in rows]


def test_migrations_apply_in_order_and_once(store_url: str) -> None:
    database = opened(store_url)
    try:
        applied = migrate(database, [Component("notes", (NOTES_V1,))])
        assert [(name, m.version) for name, m in applied] == [("notes", 1)]
        with database.transaction() as connection:
            connection.execute("INSERT INTO notes (text) VALUES (?)", ("kept",))
        applied = migrate(database, [Component("notes", (NOTES_V1, NOTES_V2))])
        assert [(name, m.version) for name, m in applied] == [("notes", 2)]
        assert migrate(database, [Component("notes", (NOTES_V1, NOTES_V2))]) == []
        with database.transaction() as connection:
            connection.execute("UPDATE notes SET at = ?", (1.5,))
            assert [tuple(r) for r in connection.execute("SELECT text, at FROM notes")] == [("kept", 1.5)]
        assert versions(database) == [("notes", 1), ("notes", 2)]
    finally:
        database.close()


def test_a_failing_migration_leaves_the_database_as_it_was(store_url: str) -> None:
    broken = Migration(2, "half done", "CREATE TABLE extra (x INTEGER); ALTER TABLE no_such_table ADD COLUMN y TEXT")
    database = opened(store_url)
    try:
        migrate(database, [Component("notes", (NOTES_V1,))])
        with pytest.raises(database.errors):
            migrate(database, [Component("notes", (NOTES_V1, broken))])
        assert versions(database) == [("notes", 1)]
        assert [s.current for s in status(database, [Component("notes", (NOTES_V1, broken))])] == [1]
        with database.transaction() as connection:  # the first statement of the failed migration was undone too
            connection.execute("CREATE TABLE extra (x INTEGER)")
    finally:
        database.close()


def test_two_openers_at_once_apply_each_migration_once(store_url: str) -> None:
    component = Component("notes", (NOTES_V1, NOTES_V2))
    databases = [opened(store_url) for _ in range(4)]
    results: list[object] = []
    start = threading.Barrier(len(databases))

    def open_and_migrate(database: Database) -> None:
        start.wait()
        try:
            results.append([m.version for _, m in migrate(database, [component])])
        except Exception as error:  # reported below: none is expected
            results.append(error)

    threads = [threading.Thread(target=open_and_migrate, args=(d,)) for d in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(map(str, results)) == ["[1, 2]", "[]", "[]", "[]"]
        assert versions(databases[0]) == [("notes", 1), ("notes", 2)]
    finally:
        for database in databases:
            database.close()


def test_the_numbering_has_no_gaps() -> None:
    with pytest.raises(ConfigError, match=r"numbered 1, 2, 3, \.\.\.; got \[1, 3\]"):
        Component("notes", (NOTES_V1, Migration(3, "skips 2", "")))


async def test_every_store_records_its_component_when_it_creates_its_tables(store_url: str) -> None:
    async def silent(ctx: HandlerContext) -> None:
        return None

    async with Agent("bot", "offline", store=store_url, conversation=Conversation(handler=silent)) as agent:
        await agent.receive("c1", "hello")
    await LocalDesk(store_url).aclose()
    await DatabaseServerStore(store_url).aclose()
    database = opened(store_url)
    try:
        assert versions(database) == [
            ("accounts", 1), ("accounts", 2), ("desk", 1), ("desk", 2), ("desk", 3), ("desk", 4),
            ("desk", 5), ("runtime", 1), ("runtime", 2), ("runtime", 3),
        ]  # fmt: skip
        components = [RUNTIME_MIGRATIONS, HITL_MIGRATIONS, DESK_MIGRATIONS, ACCOUNTS_MIGRATIONS]
        assert [(s.component.name, s.current) for s in status(database, components)] == [
            ("runtime", 3), ("hitl", 0), ("desk", 5), ("accounts", 2),
        ]  # fmt: skip
    finally:
        database.close()


async def test_a_database_newer_than_the_code_is_refused(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    await LocalDesk(store_url).aclose()
    database = opened(store_url)
    with database.transaction() as connection:
        connection.execute(
            "INSERT INTO agentkit_migrations (component, version, description, applied_at) VALUES ('desk', 7, 'x', 0)"
        )
    before = versions(database)
    database.close()

    with pytest.raises(DatabaseTooNew) as refused:
        LocalDesk(store_url)
    message = str(refused.value)
    assert "component 'desk' at schema version 7" in message and "knows versions up to 5" in message
    assert "pip install -U agentkit" in message
    assert (refused.value.component, refused.value.found, refused.value.known) == ("desk", 7, 5)

    assert main(["db", "upgrade", store_url]) == 2
    assert "component 'desk' at schema version 7" in capsys.readouterr().err
    database = opened(store_url)
    try:
        assert versions(database) == before
    finally:
        database.close()


def test_db_status_names_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "status", str(tmp_path / "nothing.sqlite3")]) == 2
    assert "no database at" in capsys.readouterr().err
    assert main(["db", "status", str(tmp_path)]) == 2
    assert "holds no SQLite files" in capsys.readouterr().err
