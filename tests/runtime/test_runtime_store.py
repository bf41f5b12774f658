"""The SQLite store: URLs, one transaction per call (rolled back on error), off the event loop."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from agentkit.exceptions import ConfigError
from agentkit.runtime import Store, parse_store_url


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite://:memory:", ":memory:"),
        ("sqlite://", ":memory:"),
        ("sqlite:///bot.db", "bot.db"),
        ("sqlite:////tmp/bot.db", "/tmp/bot.db"),
        ("data/bot.db", "data/bot.db"),
    ],
)
def test_store_urls(url: str, path: str) -> None:
    assert parse_store_url(url) == path


def test_postgres_is_refused_with_what_to_use_instead() -> None:
    with pytest.raises(ConfigError, match="PostgreSQL is not available"):
        parse_store_url("postgresql://localhost/bot")


async def test_a_failing_call_rolls_back_and_the_work_runs_off_the_event_loop(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/sub/dir/bot.db")
    await store.open()
    await store.script("CREATE TABLE t (x INTEGER)")
    threads: list[str] = []

    def insert_then_fail(connection: sqlite3.Connection) -> None:
        threads.append(threading.current_thread().name)
        connection.execute("INSERT INTO t VALUES (1)")
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await store.run(insert_then_fail)
    count = await store.run(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    await store.aclose()
    assert count == 0
    assert threads[0].startswith("agentkit-store") and threads[0] != threading.main_thread().name


async def test_a_closed_store_says_so() -> None:
    store = Store()
    with pytest.raises(RuntimeError, match="is not open"):
        await store.run(lambda c: None)
