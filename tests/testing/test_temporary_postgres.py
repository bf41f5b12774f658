"""``TemporaryPostgres`` does not outlive its owner: a process killed with SIGKILL (no ``finally``, no ``atexit``)
leaves no server behind, neither the postmaster nor its backends, and no data folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

_OWNER = """
import time
import psycopg
from agentkit.testing import TemporaryPostgres
server = TemporaryPostgres().start()
with psycopg.connect(server.url) as connection:  # a backend, held open until the owner dies
    pid = (server._folder / "data" / "postmaster.pid").read_text().split()[0]
    print(pid, server._folder, flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Running (an exited process nobody has reaped yet, a zombie, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _until(check: Callable[[], bool], seconds: float) -> None:
    """Wait for ``check()`` to hold (a generous bound: the server stops within a second or two)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{check} did not come true within {seconds} s"
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")
def test_the_server_goes_away_when_its_owner_is_killed() -> None:
    pid: int | None = None
    with subprocess.Popen([sys.executable, "-c", _OWNER], stdout=subprocess.PIPE, text=True) as owner:
        try:
            assert owner.stdout is not None
            line = owner.stdout.readline()  # the owner prints once its server runs (or exits on failure)
            assert line, f"the owner failed to start its server (exit {owner.wait()})"
            pid, folder = int(line.split()[0]), Path(line.split()[1])
            backends = _children(pid)
            assert _alive(pid) and backends and folder.exists()
            owner.send_signal(signal.SIGKILL)
            owner.wait()
            _until(lambda: not _alive(pid) and not any(map(_alive, backends)) and not folder.exists(), 60)
        finally:
            if owner.poll() is None:
                owner.kill()
            if pid is not None and _alive(pid):
                os.kill(pid, signal.SIGQUIT)  # the test failed: leave no server running
