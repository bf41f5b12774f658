"""The store: one transaction per call (rolled back on error), off the event loop; on both backends."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from agentkit.exceptions import ConfigError
from agentkit.runtime import Store
from agentkit.storage import Connection


def test_postgresql_without_psycopg_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what `import psycopg` finds when it is not installed
    with pytest.raises(ConfigError, match=r"pip install 'agentkit\[postgres\]'") as raised:
        Store("postgresql://bot:secret@127.0.0.1:5432/bot")
    assert "secret" not in str(raised.value)


async def test_a_failing_call_rolls_back_and_the_work_runs_off_the_event_loop(store_url: str) -> None:
    store = Store(store_url)
    await store.open()
    await store.script("CREATE TABLE t (x INTEGER)")
    threads: list[str] = []

    def insert_then_fail(connection: Connection) -> None:
        threads.append(threading.current_thread().name)
        connection.execute("INSERT INTO t VALUES (1)")
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await store.run(insert_then_fail)
    count = await store.run(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    await store.aclose()
    assert count == 0
    assert threads[0].startswith("agentkit-db") and threads[0] != threading.main_thread().name


async def test_a_sqlite_store_makes_its_folder(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/sub/dir/bot.db")
    await store.open()
    await store.aclose()
    assert (tmp_path / "sub" / "dir" / "bot.db").is_file()


async def test_a_closed_store_says_so() -> None:
    store = Store()
    with pytest.raises(RuntimeError, match="is not open"):
        await store.run(lambda c: None)
