"""Two stores on one SQLite file in one process (``agentkit serve`` opens its accounts, its quotas and its labelling
queue on ``server.sqlite3``), while another process (``agentkit desk add-agent``) opens and closes the same file.

Opening the second store used to open and close a descriptor of the file, which drops every POSIX lock the process
holds on it: the other process then took itself for the last user, deleted the -wal and -shm files, and the server's
next read failed with "disk I/O error"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from agentkit.storage import SqliteDatabase

OTHER_PROCESS = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT * FROM t').fetchall(); c.close()"
)


def test_a_second_store_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    path = str(tmp_path / "server.sqlite3")
    first, second = SqliteDatabase(path), SqliteDatabase(path)
    try:
        first.open()
        with first.transaction() as db:
            db.execute("CREATE TABLE t (x INTEGER)")
        second.open()
        subprocess.run([sys.executable, "-c", OTHER_PROCESS, path], check=True, timeout=60)
        assert Path(path + "-shm").exists()  # the other process saw it was not alone
        with first.transaction() as db:
            db.execute("INSERT INTO t VALUES (1)")
        with second.transaction(write=False) as db:
            assert db.execute("SELECT COUNT(*) AS n FROM t").fetchone()["n"] == 1
    finally:
        second.close()
        first.close()
    assert oct(Path(path).stat().st_mode)[-3:] == "600"
