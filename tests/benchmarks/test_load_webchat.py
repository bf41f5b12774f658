"""``benchmarks/load_webchat.py`` at a small scale: it starts the servers it compares, drives conversations, and its
own checks (order, one ticket per escalation) pass; the client never outlives the servers' keep-alive."""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from agentkit.server import ConnectionOptions

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks/load_webchat.py"


def load_benchmark(path: Path = SCRIPT) -> ModuleType:
    """A benchmark script as a module (they are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_client_drops_idle_connections_long_before_the_servers_close_them() -> None:
    # Equal timeouts made a request on a connection idle ~5 s race the server's close (ReadError at 200 conversations);
    # the servers' side counts the loaded client's lag in reading answers as idle time too.
    benchmark = load_benchmark()
    assert benchmark.CLIENT_KEEPALIVE_SECONDS < ConnectionOptions().timeout_keep_alive / 2
    assert benchmark.SERVER_KEEPALIVE_SECONDS >= 20 * benchmark.CLIENT_KEEPALIVE_SECONDS
    servers: list[list[str]] = []
    benchmark._processes = lambda commands, *rest: servers.append(commands) or contextlib.nullcontext(["url"])
    for started in (benchmark.floor_server(), benchmark.own_server(None)):
        with started:
            pass
    assert [command[command.index("--timeout-keep-alive") + 1] for [command] in servers] == ["30", "30"]


def test_the_server_runs_without_quotas_unless_the_serve_args_set_some() -> None:
    """One address drives every conversation: ``--no-quotas`` by default; ``--quota-*`` flags in ``--serve-args``
    keep the limits (``--no-quotas`` would override them), to measure what they cost."""
    benchmark = load_benchmark()
    servers: list[list[str]] = []
    benchmark._processes = lambda commands, *rest: servers.append(commands) or contextlib.nullcontext(["url"])
    for extra in ((), ("--db-pool-size", "8"), ("--quota-conversations-per-minute", "100000")):
        with benchmark.own_server(None, extra=extra):
            pass
    assert ["--no-quotas" in command for [command] in servers] == [True, True, False]
    assert servers[-1][0][-2:] == ["--quota-conversations-per-minute", "100000"]


def test_compare_on_some_servers_runs_end_to_end_with_its_checks(tmp_path: Path) -> None:
    done = _compare(tmp_path, "floor,sqlite")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "floor (Starlette + one SQLite insert): 3 conversations, 15 messages" in done.stdout
    assert "`agentkit serve`, SQLite: 3 conversations, 15 messages" in done.stdout
    assert "tickets: 3 for 3 conversations, 0 doubled, 0 missing" in done.stdout
    assert "| `agentkit serve`, SQLite |" in done.stdout  # the table against the floor
    kinds = [line for line in done.stdout.splitlines() if line.startswith("  by kind: ")]
    assert len(kinds) == 2  # the floor's and agentkit serve's: which kind of request makes the tail
    for line in kinds:  # each kind once, with its count: two questions, the handoff, two relays per conversation
        counts = {part.split(" p50 ")[0]: part.rsplit("(", 1)[1].rstrip(")") for part in line[11:].split("; ")}
        assert counts == {"question": "6", "handoff": "3", "relay": "6", "create": "3", "history": "3"}, line
    assert "PostgreSQL" not in done.stdout


def test_rounds_run_the_servers_in_turn_then_give_each_ratio_s_median_and_range(tmp_path: Path) -> None:
    done = _compare(tmp_path, "floor,sqlite", "--rounds", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.index("## round 1 of 2") < out.index("## round 2 of 2")
    assert out.count("floor (Starlette + one SQLite insert): 3 conversations") == 2  # each round its own floor
    assert out.count("`agentkit serve`, SQLite: 3 conversations") == 2
    tables = [line for line in out.splitlines() if line.startswith("| `agentkit serve`, SQLite |")]
    assert len(tables) == 3  # each round's table, then the summary's row
    ratios = [float(line.split(" | ")[4].rstrip("x")) for line in tables[:2]]  # each round: vs its own floor
    summary = tables[2].split(" | ")
    assert out.index("| over 2 rounds |") < out.index(tables[2])
    median, spread = summary[1].split(" (")
    assert float(median.rstrip("x")) == pytest.approx(sum(ratios) / 2, abs=0.01)  # the median of two: their mean
    assert spread == f"{min(ratios):.2f}-{max(ratios):.2f}x)"


def test_an_unknown_server_name_is_refused_with_the_names_to_pick_from() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--compare", "--only", "floor,mysql"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "unknown server(s) ['mysql']: pick from floor,floorpg,sqlite,pg,pg2" in done.stderr


@pytest.mark.postgres
def test_the_postgresql_floor_stores_every_message_and_is_the_table_s_reference(tmp_path: Path) -> None:
    done = _compare(tmp_path, "floorpg,pg")
    assert done.returncode == 0, done.stdout + done.stderr
    floor = "floor, PostgreSQL (Starlette + one psycopg insert on threads)"
    assert f"{floor}: 3 conversations, 15 messages" in done.stdout  # read back in order: the client checks it
    assert "`agentkit serve`, PostgreSQL: 3 conversations, 15 messages" in done.stdout
    floor_cpu = done.stdout.split(f"{floor}: ")[1].splitlines()[1]
    assert ", PostgreSQL " in floor_cpu and " ms/message" in floor_cpu  # the database's backends are counted too
    assert f"| {floor} | " in done.stdout and "| 1.00x | 1.0x |" in done.stdout  # the table against this floor
    assert "SQLite" not in done.stdout


def _compare(folder: Path, servers: str, *more: str) -> subprocess.CompletedProcess[str]:
    """``load_webchat.py --compare --only SERVERS`` with 3 conversations (and ``more`` arguments), run in ``folder``."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--compare", "--only", servers, "--conversations", "3", *more],
        capture_output=True, text=True, timeout=300, cwd=folder,
    )  # fmt: skip
