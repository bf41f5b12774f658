"""Writing transactions on PostgreSQL are batched (statements whose results are not read go out with the next one
that is, in one query, their parameters bound client-side): what a store relies on still holds, on both backends.
Row counts are right, values come back with their types, and a failing statement, found only when its batch is
sent, or an exception of the caller's code rolls the whole transaction back, leaving the connection fit for the
next one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentkit.storage import Database, open_database


@pytest.fixture
def database(store_url: str) -> Iterator[Database]:
    database = open_database(store_url, pool_size=1)  # one connection: the next transaction reuses it
    database.open()
    database.script("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE)")
    try:
        yield database
    finally:
        database.close()


def _keys(database: Database) -> list[str]:
    with database.transaction(write=False) as connection:
        return [row["key"] for row in connection.execute("SELECT key FROM notes ORDER BY id")]


def test_an_update_counts_the_rows_it_changed(database: Database) -> None:
    with database.transaction() as connection:
        for key in ("a", "b", "c"):
            connection.execute("INSERT INTO notes (key) VALUES (?)", (key,))
        changed = connection.execute("UPDATE notes SET key = key || '!' WHERE key <> ?", ("b",)).rowcount
        missed = connection.execute("DELETE FROM notes WHERE key = ?", ("nothing",)).rowcount
    assert (changed, missed) == (2, 0)
    assert _keys(database) == ["a!", "b", "c!"]


def test_a_failing_statement_rolls_back_everything_before_it(database: Database) -> None:
    with database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("kept",))
    with pytest.raises(database.errors), database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("lost",))
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("kept",))  # unique: fails, unread
    with database.transaction() as connection:  # the same connection, after the failure
        connection.insert("INSERT INTO notes (key) VALUES (?)", ("next",))
    assert _keys(database) == ["kept", "next"]


def test_an_exception_in_the_callers_code_rolls_back(database: Database) -> None:
    with pytest.raises(LookupError), database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("lost",))
        raise LookupError("the caller changed its mind")
    assert _keys(database) == []
    with database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("next",))
    assert _keys(database) == ["next"]


def test_a_key_inserted_at_commit_is_read_once_the_transaction_has_committed(database: Database) -> None:
    with database.transaction() as connection:
        first = connection.insert("INSERT INTO notes (key) VALUES (?)", ("first",))
        second = connection.insert_at_commit("INSERT INTO notes (key) VALUES (?)", ("second",))
    with database.transaction(write=False) as connection:
        ids = {row["key"]: row["id"] for row in connection.execute("SELECT id, key FROM notes")}
    assert (first, second()) == (ids["first"], ids["second"])


def test_rows_answer_by_column_name_and_position_whatever_the_columns(database: Database) -> None:
    with database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("a",))
        one = connection.execute("SELECT id, key FROM notes").fetchone()
        other = connection.execute("SELECT key, id, key AS again FROM notes").fetchone()
    assert (one["id"], one["key"], one[1]) == (other["id"], other["key"], other[0])
    assert (list(other.keys()), tuple(other)) == (["key", "id", "again"], ("a", one["id"], "a"))


def test_rows_read_at_commit_are_what_the_statement_saw_where_it_stood(database: Database) -> None:
    with database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("before",))
        rows = connection.read_at_commit("SELECT key FROM notes ORDER BY id")
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("after",))
        count = connection.read_at_commit("SELECT COUNT(*) AS n FROM notes WHERE key LIKE ?", ("%e%",))
    with database.transaction(write=False) as connection:  # outside a write transaction too
        everything = connection.read_at_commit("SELECT key FROM notes ORDER BY id")
    assert ([row["key"] for row in rows()], count()[0]["n"]) == (["before"], 2)
    assert [row[0] for row in everything()] == ["before", "after"]


def test_a_failing_read_at_commit_rolls_the_transaction_back(database: Database) -> None:
    with pytest.raises(database.errors), database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("lost",))
        connection.read_at_commit("SELECT no_such_column FROM notes")
    with database.transaction() as connection:  # the same connection, after the failure
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("next",))
    assert _keys(database) == ["next"]
def test_values_come_back_with_their_types_from_a_batch(database: Database) -> None:
    # Bound client-side, a bare 1.5 would be a numeric (a Decimal back), -1 after "-" a comment, a quote a syntax error.
    values = (1.5, -2.25, -1, 2**40, "it's --not a comment; nor ?", None, b"\x00\x01")
    with database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("typed",))
        row = connection.execute("SELECT ?, ?, 5-?, ?, ?, ?, ?", values).fetchone()
    assert tuple(row) == (1.5, -2.25, 6, 2**40, "it's --not a comment; nor ?", None, b"\x00\x01")
    assert type(row[0]) is float


TEXTS = ("back\\slash \\' \\\\", "it's \"quoted\" ''", "new\nline\ttab", "é ✓ 🙂", "-- no comment", "E'x'", "", "%s ?")
NUMBERS = (0, -1, 2**62, -(2**62), -0.0, 1e-05, 1e16, -2.5, 0.1 + 0.2, 1796218608.811315)


def test_texts_and_numbers_come_back_as_they_were_sent(database: Database) -> None:
    """Written as literals (PostgreSQL: the common types by agentkit itself, not psycopg), in a column of their type,
    in a statement sent twice (the second time prepared, on PostgreSQL), and after a minus."""
    database.script("CREATE TABLE IF NOT EXISTS kinds (id INTEGER PRIMARY KEY, text TEXT, whole INTEGER, part REAL)")
    for round_ in range(2):
        with database.transaction() as connection:
            for n, (text, number) in enumerate(zip(TEXTS, NUMBERS, strict=False)):
                whole, real = (number, None) if type(number) is int else (None, number)
                connection.execute("INSERT INTO kinds (id, text, whole, part) VALUES (?, ?, ?, ?)",
                                   (round_ * 100 + n, text, whole, real))  # fmt: skip
            minus = connection.execute("SELECT 5-?, 5.5-?, ?", (-1, -0.5, -0.0)).fetchone()
        with database.transaction(write=False) as connection:
            rows = connection.execute("SELECT text, whole, part FROM kinds WHERE id >= ? ORDER BY id", (round_ * 100,))
            back = [(row[0], row[1] if row[1] is not None else row[2]) for row in rows.fetchall()]
        assert back == list(zip(TEXTS, NUMBERS, strict=False))
        assert [type(number) for _, number in back] == [type(number) for number in NUMBERS[: len(TEXTS)]]
        assert tuple(minus) == (6, 6.0, 0.0)


def test_statements_ending_in_a_semicolon_or_a_comment_are_sent_apart(database: Database) -> None:
    with database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?);", ("a",))
        connection.execute("INSERT INTO notes (key) VALUES (?) -- the second", ("b",))
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("c",))
        count = connection.execute("SELECT count(*) FROM notes").fetchone()[0]
    assert count == 3
    assert _keys(database) == ["a", "b", "c"]


def test_a_statement_without_rows_reads_none_even_after_a_transaction_that_read_some(database: Database) -> None:
    # On PostgreSQL the connection's batch cursor is kept from one transaction to the next: what one read (or one
    # that failed) must not show through in the next one's results.
    with database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("a",))
        assert [row["key"] for row in connection.execute("SELECT key FROM notes")] == ["a"]
    with pytest.raises(database.errors), database.transaction() as connection:
        connection.execute("SELECT key FROM notes").fetchall()
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("a",)).fetchall()  # unique: fails
    with database.transaction() as connection:
        inserted = connection.execute("INSERT INTO notes (key) VALUES (?)", ("b",))
        nothing = connection.execute("SELECT key FROM notes WHERE key = ?", ("none",))
        assert (inserted.fetchall(), inserted.rowcount) == ([], 1)
        assert (nothing.fetchall(), nothing.fetchone()) == ([], None)
    assert _keys(database) == ["a", "b"]


def test_values_bound_in_a_batch_come_back_as_they_were_sent(database: Database) -> None:
    """Each statement's values are put between the parts of its SQL (split once at its placeholders): a ``%`` of
    the SQL stays one, and quotes, backslashes, other scripts and NULL survive the literal they become."""
    values = ["it's", "back\\slash", "100% sure", "ünïcødé ✓", "", "a;b\n;c", "?", "%s"]
    with database.transaction() as connection:
        for value in values:
            connection.execute("INSERT INTO notes (key) VALUES (? || '')", (value,))
        connection.execute("INSERT INTO notes (key) VALUES (?)", (None,))
        at_commit = connection.read_at_commit(
            "SELECT key, '5%' AS literal FROM notes WHERE key LIKE ? OR key = ? ORDER BY id", ("100%", "%s")
        )
    assert _keys(database) == [*values, None]
    assert [(row["key"], row["literal"]) for row in at_commit()] == [("100% sure", "5%"), ("%s", "5%")]


def test_a_statement_given_the_wrong_number_of_values_fails_its_transaction(database: Database) -> None:
    with pytest.raises(database.errors), database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("lost",))
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("one", "two"))
    with database.transaction() as connection:
        connection.execute("INSERT INTO notes (key) VALUES (?)", ("next",))
    assert _keys(database) == ["next"]


@pytest.mark.postgres
def test_a_batch_is_sent_in_the_connections_client_encoding(pg_url: str) -> None:
    """The SQL between the values is encoded as psycopg encodes a query: in the connection's client encoding."""
    import psycopg

    from agentkit.storage._pg_batch import Batch, Queue
    from agentkit.storage._postgres import pg_row

    with psycopg.connect(pg_url, autocommit=True, row_factory=pg_row, client_encoding="LATIN1") as raw:
        batch = Batch(Queue(raw))
        read = batch.add("SELECT 'café ' || %s AS said", ("über",))
        batch.add("COMMIT", read=False)
        batch.send()
        assert read.fetchone()["said"] == "café über"
