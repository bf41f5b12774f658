"""The state a refused request must leave alone: the row count of every table of every SQLite file of a test."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

# Bookmarks the agent's background work moves on its own (how far it has read the desk's events): not state a
# request adds to.
BACKGROUND_TABLES = {"hitl_cursors"}


def row_counts(folder: Path) -> dict[str, int]:
    """``{"file.sqlite3:table": rows}`` for every SQLite database under ``folder`` (WAL included: read live)."""
    counts: dict[str, int] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.endswith(("-wal", "-shm")) or path.suffix not in (".db", ".sqlite3"):
            continue
        with closing(sqlite3.connect(path)) as db:
            tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in (t for t in tables if t not in BACKGROUND_TABLES):
                counts[f"{path.name}:{table}"] = db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
    return counts
