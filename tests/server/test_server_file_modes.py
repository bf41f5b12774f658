"""Data at rest: the data folder is its owner's alone (0700) and every database file in it (the -wal and -shm files
too) is 0600, after ``agentkit serve`` and after ``agentkit desk add-agent``; ``serve`` names what it finds looser."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit.cli import _serve, main
from agentkit.storage import open_database

from .server_helpers import read_banner

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "support_bot.py"
AGENTKIT = [sys.executable, "-c", "from agentkit.cli import main; raise SystemExit(main())"]


def _modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder.parent)): stat.S_IMODE(p.stat().st_mode) for p in (folder, *folder.rglob("*"))}


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask many machines have (files 0644, folders 0755): what the server must not rely on."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_serve_makes_a_private_data_folder_and_private_files(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTKIT_")}
    command = f"umask 022 && exec {' '.join(map(repr, AGENTKIT))} serve {EXAMPLE} --port 0 --log-level warning"
    process = subprocess.Popen(["sh", "-c", command], cwd=tmp_path, env={**env, "PYTHONUNBUFFERED": "1"},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    assert process.stdout is not None
    try:
        lines = read_banner(process)
        modes = _modes(tmp_path / ".agentkit")  # while it runs: the -wal and -shm files exist
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    assert modes[".agentkit"] == 0o700
    files = {name: mode for name, mode in modes.items() if name != ".agentkit"}
    assert any(name.endswith("-wal") for name in files) and any(name.endswith(".sqlite3") for name in files)
    assert files == dict.fromkeys(files, 0o600), files
    assert "WARNING" not in "\n".join(lines)  # nothing loose to report on a fresh folder


def test_desk_add_agent_makes_a_private_folder_and_database(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "data"
    assert main(["desk", "add-agent", "ana", "--password", "a long passphrase", "--data", str(data)]) == 0
    modes = _modes(data)
    assert modes["data"] == 0o700
    assert modes["data/server.sqlite3"] == 0o600
    assert all(mode == 0o600 for name, mode in modes.items() if name != "data"), modes


def test_every_sqlite_file_and_its_wal_is_0600_whatever_the_umask(tmp_path: Path, loose_umask: None) -> None:
    database = open_database(tmp_path / "deep" / "folder" / "store.db")
    database.open()
    try:
        database.script("CREATE TABLE t (x INTEGER)")
        with database.transaction() as db:
            db.execute("INSERT INTO t VALUES (1)")
        modes = _modes(tmp_path / "deep")
    finally:
        database.close()
    assert modes["deep"] == 0o700 and modes["deep/folder"] == 0o700
    assert {name for name in modes if name.endswith(("-wal", "-shm"))}, modes
    assert all(mode == 0o600 for name, mode in modes.items() if "store.db" in name), modes
    assert stat.S_IMODE(os.umask(0o022)) == 0o022  # the umask is given back


def test_serve_names_a_loose_folder_and_loose_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / "server.sqlite3").write_bytes(b"")
    (data / "server.sqlite3").chmod(0o644)
    (data / "secret_key").write_text("x")
    (data / "secret_key").chmod(0o600)
    _serve._warn_loose_modes(data)
    out = capsys.readouterr().out
    assert f"{data} has mode 0755" in out and f"chmod 700 {data}" in out
    assert "server.sqlite3 has mode 0644" in out and "chmod 600" in out
    assert "secret_key" not in out
