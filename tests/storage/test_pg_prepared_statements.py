"""PostgreSQL's batched write transactions send a statement prepared on their connection (``EXECUTE agk_N(...)``)
once it has been seen there: the results are those of the statement as SQL text, a statement PostgreSQL will not
prepare goes as text, and nothing that happens to the connection (a failing transaction, a ROLLBACK, statements
deallocated or made stale behind its back, the connection replaced) fails a transaction for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from agentkit.exceptions import ConfigError
from agentkit.storage import Database, PostgresDatabase, _pg_prepared, open_database
from agentkit.storage._pg_batch import _Link

pytestmark = pytest.mark.postgres

SCHEMA = """CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, price REAL,
                                              stock INTEGER, note TEXT, blob BYTEA)"""
INSERT = "INSERT INTO items (name, price, stock, note, blob) VALUES (?, ?, ?, ?, ?)"


@pytest.fixture
def database(pg_url: str) -> Iterator[PostgresDatabase]:
    database = PostgresDatabase(pg_url, pool_size=1)  # one connection: what one transaction prepared, the next has
    database.open()
    database.script(SCHEMA)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every query sent: by psycopg's cursors, and by the batches straight through libpq."""
    sent: list[str] = []
    original, original_run = psycopg.Cursor.execute, _Link.run

    def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(query.decode() if isinstance(query, bytes) else str(query))
        return original(self, query, *args, **kwargs)

    def run(self: _Link, query: bytes) -> Any:
        sent.append(query.decode())
        return original_run(self, query)

    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    monkeypatch.setattr(_Link, "run", run)
    return sent


def prepared(database: Database) -> list[str]:
    """The statements prepared on the pool's one connection, as ``PREPARE name AS ...`` (each shows the query that
    prepared it, with the others prepared in the same round trip)."""
    with database.transaction(write=False) as connection:
        raw = connection.raw  # type: ignore[attr-defined]  # not prepared itself
        rows = raw.execute("SELECT name, statement FROM pg_prepared_statements ORDER BY name").fetchall()
    return [next(part for part in row[1].split("\n;\n") if part.startswith(f"PREPARE {row[0]} ")) for row in rows]


def add(database: Database, name: str, price: float | None = 1.5, stock: int | None = 3) -> int:
    with database.transaction() as connection:
        return connection.insert(INSERT, (name, price, stock, f"it's {name}", b"\x00" + name.encode()))


def test_a_statement_goes_as_execute_once_prepared_and_reads_back_the_same(
    database: PostgresDatabase, queries: list[str]
) -> None:
    def shop(connection: Any, name: str) -> tuple[Any, ...]:
        key = connection.insert(INSERT, (name, 2.25, 2**40, None, b"\x01"))
        changed = connection.execute("UPDATE items SET stock = stock - ? WHERE id = ?", (1, key)).rowcount
        row = connection.execute("SELECT name, price, stock, note, blob FROM items WHERE id = ?", (key,)).fetchone()
        at_commit = connection.insert_at_commit(INSERT, (f"{name} too", -0.5, -7, "x", None))
        read = connection.read_at_commit("SELECT count(*) AS n FROM items WHERE price > ?", (0.0,))
        return changed, tuple(row), at_commit, read

    results, sent = [], []
    for name in ("first", "second", "third"):
        queries.clear()
        with database.transaction() as connection:
            changed, row, at_commit, read = shop(connection, name)
        results.append((changed, row, type(row[1]), at_commit() > 0, [tuple(r) for r in read()]))
        sent.append(list(queries))
    for n, (result, name) in enumerate(zip(results, ("first", "second", "third"), strict=True), 1):
        assert result == (1, (name, 2.25, 2**40 - 1, None, b"\x01"), float, True, [(n,)])
    # The first: its first statement (sent while the connection is idle) prepared first, the types of its parameters
    # read in the same round trip; the others (sent in its open transaction) as text, and prepared together at the
    # connection's next idle moment, the second's BEGIN. The third prepares nothing. In the second and the third,
    # every statement goes as EXECUTE.
    statements = [[part.split()[0] for query in queries for part in query.split("\n;\n")] for queries in sent]
    assert statements[0] == ["PREPARE", "SELECT", "BEGIN", "EXECUTE", "UPDATE", "SELECT", "EXECUTE", "SELECT", "COMMIT"]
    assert statements[1] == ["PREPARE", "PREPARE", "PREPARE", "SELECT", *statements[2]]  # one round trip
    assert statements[2] == ["BEGIN", "EXECUTE", "EXECUTE", "EXECUTE", "EXECUTE", "EXECUTE", "COMMIT"]
    assert len(prepared(database)) == 4  # the INSERT (twice in a transaction), UPDATE, SELECT, count


def test_a_value_that_would_mean_something_else_to_the_prepared_parameter_goes_as_a_literal(
    database: PostgresDatabase,
) -> None:
    # PostgreSQL types these parameters text, integer, text: as EXECUTE's arguments 1.5 would read back '1.5', and
    # 2**40 would not fit; as literals they are a float8 and a bigint.
    for _ in range(2):
        with database.transaction() as connection:
            row = connection.execute("SELECT ?, 5 - ?, ?", (1.5, 2**40, "text")).fetchone()
            small = connection.execute("SELECT ?, 5 - ?, ?", ("a", 2, None)).fetchone()
        assert (tuple(row), type(row[0]), tuple(small)) == ((1.5, 5 - 2**40, "text"), float, ("a", 3, None))


def test_a_statement_postgresql_will_not_prepare_goes_as_text(database: PostgresDatabase, queries: list[str]) -> None:
    for value in ("a", None, "b"):
        with database.transaction() as connection:
            assert connection.execute("SELECT ? IS NULL", (value,)).fetchone()[0] is (value is None)
    assert sum(query.startswith("PREPARE") for query in queries) == 1  # tried once, by the database
    assert not prepared(database)


def test_a_read_outside_a_write_transaction_is_prepared_too(database: PostgresDatabase, queries: list[str]) -> None:
    key = add(database, "a", price=None)
    rows = []
    for _ in range(3):
        queries.clear()
        with database.transaction(write=False) as connection:
            rows.append(connection.execute("SELECT name, price, stock FROM items WHERE id = ?", (key,)).fetchall())
            rows.append(connection.read_at_commit("SELECT blob FROM items WHERE stock > ?", (2,))())
    assert [[tuple(row) for row in each] for each in rows] == [[("a", None, 3)], [(b"\x00a",)]] * 3
    assert [query.split()[0] for query in queries] == ["EXECUTE", "EXECUTE"]
    with database.transaction(write=False) as connection:  # a value the parameter does not take: bound by the server
        assert connection.execute("SELECT name FROM items WHERE id = ?", ("1",)).fetchall()[0][0] == "a"
        assert connection.execute("SELECT name FROM items WHERE stock > ?", (2**70,)).fetchall() == []
        assert connection.execute("SELECT name FROM items WHERE stock > ?", (2.5,)).fetchall()[0][0] == "a"


def test_select_star_and_returning_star_are_not_prepared(database: PostgresDatabase) -> None:
    for name in ("a", "b"):
        with database.transaction() as connection:
            connection.execute("INSERT INTO items (name) VALUES (?) RETURNING *", (name,)).fetchall()
            connection.execute("SELECT * FROM items WHERE name = ?", (name,)).fetchall()
            connection.execute("SELECT count(*) FROM items WHERE name = ?", (name,)).fetchall()
    assert [statement.split(" AS ", 1)[1] for statement in prepared(database)] == [
        "SELECT count(*) FROM items WHERE name = $1"
    ]


def test_transactions_after_a_failing_one_and_a_rollback_still_find_their_statements(
    database: PostgresDatabase,
) -> None:
    add(database, "a")
    for _ in range(6):  # psycopg prepares a read it has run 5 times, and then deallocates all after a ROLLBACK
        with database.transaction(write=False) as connection:
            connection.execute("SELECT name FROM items WHERE id = ?", (1,)).fetchall()
    with pytest.raises(psycopg.errors.UniqueViolation), database.transaction() as connection:
        connection.execute("INSERT INTO items (name) VALUES (?)", ("a",))  # fails: rolled back
        connection.execute("UPDATE items SET stock = ? WHERE name = ?", (1, "a"))  # a new shape, never run
    with pytest.raises(LookupError), database.transaction() as connection:
        connection.execute("UPDATE items SET stock = ? WHERE name = ?", (2, "a")).rowcount  # noqa: B018
        raise LookupError("rolled back after a statement was sent")
    add(database, "b")
    with database.transaction() as connection:
        assert connection.execute("UPDATE items SET stock = ? WHERE name = ?", (9, "b")).rowcount == 1
    assert len(prepared(database)) == 4  # the INSERT of add, the read, the INSERT that failed, the UPDATE


def test_statements_deallocated_behind_its_back_cost_a_transaction_nothing(database: PostgresDatabase) -> None:
    add(database, "a")
    with database.transaction(write=False) as connection:
        connection.execute("DEALLOCATE ALL")
    assert add(database, "b") == 2  # its EXECUTE failed, and it was sent again
    add(database, "c")
    assert len(prepared(database)) == 1


def test_a_column_whose_type_changed_under_a_prepared_select_costs_a_transaction_nothing(
    database: PostgresDatabase, pg_url: str
) -> None:
    def note_of(name: str) -> Any:
        with database.transaction() as connection:
            connection.lock_conversation(name)
            return connection.execute("SELECT note FROM items WHERE name = ?", (name,)).fetchone()[0]

    add(database, "a")
    assert note_of("a") == "it's a"
    with psycopg.connect(pg_url, autocommit=True) as other:  # another worker's migration
        other.execute("ALTER TABLE items ALTER COLUMN note TYPE VARCHAR(100)")
    assert note_of("a") == "it's a"  # "cached plan must not change result type": sent again
    assert note_of("a") == "it's a"


def test_a_replaced_connection_prepares_its_statements_anew(database: PostgresDatabase, pg_url: str) -> None:
    add(database, "a")
    with database.transaction(write=False) as connection:
        backend = connection.raw.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[attr-defined]
    with psycopg.connect(pg_url, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (backend,))
    with pytest.raises(psycopg.OperationalError):  # the pool finds out when it is used: this one fails
        add(database, "b")
    assert add(database, "c") > 0
    assert add(database, "d") > 0
    assert len(prepared(database)) == 1


def test_past_the_cap_a_connection_sends_new_statements_as_text(
    database: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pg_prepared, "_MAX_PREPARED", 3)  # BEGIN is one (never prepared)
    for _ in range(2):
        with database.transaction() as connection:
            for limit in range(1, 5):
                assert len(connection.execute(f"SELECT id FROM items LIMIT {limit}").fetchall()) == 0
    assert len(prepared(database)) == 2


def test_without_prepare_every_statement_goes_as_text(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_DB_PREPARE", "0")
    database = open_database(pg_url, pool_size=1)
    database.open()
    try:
        database.script(SCHEMA)
        for name in ("a", "b"):
            add(database, name)
        assert prepared(database) == []
    finally:
        database.close()


def test_a_wrong_prepare_setting_names_itself(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_DB_PREPARE", "sometimes")
    with pytest.raises(ConfigError, match="AGENTKIT_DB_PREPARE"):
        open_database(pg_url)


def test_one_statement_postgresql_will_not_prepare_among_others_costs_them_one_round_trip(
    database: PostgresDatabase, queries: list[str]
) -> None:
    for value in (None, "a", "b"):
        with database.transaction() as connection:
            connection.execute("UPDATE items SET note = ? WHERE name = ?", (value, "x"))
            connection.execute("SELECT ? IS NULL", (value,))
            connection.execute("DELETE FROM items WHERE name = ?", ("x",))
    assert sum(query.startswith("PREPARE") for query in queries) == 2  # all three; then the two it can
    assert re.sub(r"agk_\d+", "agk_N", queries[-1]).split("\n;\n") == [
        "BEGIN", "EXECUTE agk_N('b', 'x')", "SELECT 'b' IS NULL", "EXECUTE agk_N('x')", "COMMIT"
    ]
    # The UPDATE was prepared by the first round trip too, before the failure: it stays, under a name never used again.
    assert sorted(statement.split(" AS ", 1)[1] for statement in prepared(database)) == [
        "DELETE FROM items WHERE name = $1",
        "UPDATE items SET note = $1 WHERE name = $2",
        "UPDATE items SET note = $1 WHERE name = $2",
    ]


def test_a_statement_on_a_table_its_batch_creates_is_prepared_after_it(
    database: PostgresDatabase, queries: list[str]
) -> None:
    with database.transaction() as connection:  # one query: the table does not exist before it runs
        connection.execute("CREATE TABLE later (id BIGINT PRIMARY KEY, note TEXT)")
        connection.execute("INSERT INTO later (id, note) VALUES (?, ?)", (1, "one"))
    for key in (2, 3):
        with database.transaction() as connection:
            connection.execute("INSERT INTO later (id, note) VALUES (?, ?)", (key, "more"))
    # The first goes as text, no PREPARE before it; the INSERT is prepared before the second.
    assert [query.split()[0] for query in queries] == ["BEGIN", "PREPARE", "BEGIN", "BEGIN"]
    assert [statement.split(" AS ", 1)[1] for statement in prepared(database)] == [
        "INSERT INTO later (id, note) VALUES ($1, $2)"
    ]
    assert all(query.startswith("BEGIN\n;\nEXECUTE agk_") for query in queries[2:4])
