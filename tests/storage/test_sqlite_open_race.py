"""Two connections opening one new SQLite file at once: switching to WAL must not fail with "database is locked".

Without the retry in ``_enable_wal`` half of such openings failed (147 of 300 trials on the dev machine); it made
``make test`` red once on a fresh clone.
"""

from __future__ import annotations

import threading
from pathlib import Path

from agentkit.storage._sqlite import SqliteDatabase


def open_two_at_once(path: Path) -> list[BaseException]:
    databases = [SqliteDatabase(str(path)), SqliteDatabase(str(path))]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def open_one(database: SqliteDatabase) -> None:
        start.wait()
        try:
            database.open()
        except BaseException as error:  # noqa: BLE001 - collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=open_one, args=(d,)) for d in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for database in databases:
        database.close()
    return errors


def test_opening_a_new_file_twice_at_once_never_fails(tmp_path: Path) -> None:
    failures = [error for n in range(40) for error in open_two_at_once(tmp_path / f"db{n}.sqlite3")]
    assert failures == []
