"""Closing a SQLite database while another thread is in the middle of a read.

sqlite3 crashes the whole process (SIGSEGV) when a connection is closed while another thread runs a statement on it;
a full test run once died that way in the desk's event poll as a store closed. ``close`` now waits for the read in
flight, and a read that starts after the close gets a clear error.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agentkit.storage import open_database


def test_close_waits_for_a_read_in_flight_and_later_reads_get_a_clear_error(tmp_path: Path) -> None:
    db = open_database(tmp_path / "store.db")
    db.open()
    with db.transaction() as connection:
        connection.execute("CREATE TABLE numbers (n INTEGER)")
        for n in range(5):
            connection.execute("INSERT INTO numbers VALUES (?)", (n,))
    reading, closing = threading.Event(), threading.Event()
    rows: list[int] = []

    def read() -> None:
        with db.transaction(write=False) as connection:
            raw = connection.raw  # type: ignore[attr-defined]

            def step(n: int) -> int:  # runs inside the statement: the close is called while it is in flight
                reading.set()
                closing.wait(timeout=5)
                return n

            raw.create_function("step", 1, step)
            rows.extend(row[0] for row in connection.execute("SELECT step(n) FROM numbers ORDER BY n").fetchall())

    reader = threading.Thread(target=read)
    reader.start()
    assert reading.wait(timeout=30)
    closer = threading.Thread(target=db.close)
    closer.start()
    closer.join(timeout=0.2)
    assert closer.is_alive(), "close did not wait for the read in flight"
    closing.set()
    closer.join(timeout=30)
    reader.join(timeout=30)
    assert not closer.is_alive() and not reader.is_alive()
    assert rows == [0, 1, 2, 3, 4]
    with pytest.raises(RuntimeError, match="is closed"):
        with db.transaction(write=False):
            pass


def test_a_thread_that_read_before_the_close_and_reads_again_gets_a_clear_error(tmp_path: Path) -> None:
    db = open_database(tmp_path / "store.db")
    db.open()
    with db.transaction(write=False) as connection:
        assert connection.execute("SELECT 1").fetchone()[0] == 1
    db.close()
    with pytest.raises(RuntimeError, match="is closed"):
        with db.transaction(write=False):
            pass
