"""CPU seconds of process trees, read from /proc (Linux): what a benchmark's server (its workers, PostgreSQL's
postmaster and backends) spent during the measured window, to say whether the server or the client limited a run.

A tree's CPU is the sum, over its live processes, of their own time (all threads, user + system) and of their
reaped children's: a backend that exits during the window is counted in its parent's children's time, so nothing
is lost or counted twice between two readings.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children), or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the name, in parentheses, may hold spaces
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / _TICKS


def tree_cpu_seconds(roots: Iterable[int]) -> float:
    """CPU seconds used so far by the processes ``roots`` and all their descendants."""
    stats = {pid: stat for pid in _pids() if (stat := _stat(pid)) is not None}
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, seen, todo = 0.0, set(), [pid for pid in roots if pid in stats]
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            total += stats[pid][1]
            todo.extend(children.get(pid, []))
    return total


def postmaster_pid(port: int) -> int:
    """The PostgreSQL server listening on ``port`` (started as ``postgres ... -p PORT``)."""
    for pid in _pids():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if argv and Path(argv[0].decode()).name == "postgres" and _port_of(argv) == str(port):
            return pid
    raise RuntimeError(f"no PostgreSQL server process found for port {port}")


def _port_of(argv: list[bytes]) -> str | None:
    for flag, value in zip(argv, argv[1:], strict=False):
        if flag == b"-p":
            return value.decode()
    return None


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


class StateSampler:
    """Samples, from a thread, the state of processes' main threads (an event loop's): R running or waiting for a
    core, D in uninterruptible sleep (a disk write, an fsync), anything else idle. CPU seconds cannot tell a loop
    blocked on fsync from an idle one; these can. ``every``: seconds between samples (a /proc read each, ~20 µs)."""

    def __init__(self, pids: Sequence[int], every: float = 0.002) -> None:
        self._pids, self._every = list(pids), every
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="state-sampler", daemon=True)

    def __enter__(self) -> StateSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self._every):
            for pid in self._pids:
                with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                    text = Path(f"/proc/{pid}/stat").read_text()
                    self.counts[text[text.rindex(")") + 2]] += 1

    def share(self, state: str) -> float | None:
        """The fraction of samples in ``state`` ("R", "D"), or None with no samples."""
        total = sum(self.counts.values())
        return self.counts[state] / total if total else None
