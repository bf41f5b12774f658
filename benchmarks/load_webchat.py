"""Load: N concurrent webchat conversations with escalations against a running `agentkit serve`, over HTTP.

Each conversation: asks two FAQ questions, asks for a person (the offline model escalates), sends two messages that
go to the human agent, then reads its history back. Afterwards it checks that every message was stored once and in
order, and that the desk holds exactly one ticket per conversation; it reports throughput and p50/p99 latency of
the message requests.

    python benchmarks/load_webchat.py --conversations 200                  # starts its own server (SQLite)
    python benchmarks/load_webchat.py --temp-postgres                      # the same on a throwaway PostgreSQL
    python benchmarks/load_webchat.py --db postgresql://...                # ... or on yours
    python benchmarks/load_webchat.py --url http://127.0.0.1:8000 --login demo:PASSWORD   # an existing server
    python benchmarks/load_webchat.py --url http://127.0.0.1:8000 --server-pid 4242       # ... and its CPU
    python benchmarks/load_webchat.py --compare      # one run: the floors, SQLite, PostgreSQL, 2 workers on it
    python benchmarks/load_webchat.py --compare --only floor,sqlite       # some of them (the floor: for ratios)
    python benchmarks/load_webchat.py --compare --rounds 5    # 5 rounds in turn, then each ratio's median and range
    python benchmarks/load_webchat.py --compare --client httpx2 --client-processes 1   # the client of before

The client must not be what it measures: on a 2-core machine every CPU second it spends is taken from the server.
So the conversations are split across ``--client-processes`` processes (default 2; conversation n in process
n % K), each with its own event loop, and each speaks HTTP/1.1 through a lean keep-alive client on asyncio streams
(benchmarks/_http11.py): about 0.3 ms of CPU per message against httpx2's 2.2 ms (``--client httpx2``), which
with one process held the floor at ~450 messages/s with the client at 100 % of a core and the floor's server at
45 %. Each run reports, for its measured window (all client processes started to the last one done), the CPU per
message of the server's processes (with PostgreSQL's postmaster and backends for the PostgreSQL runs) and of the
client, how busy each was (CPU over wall time, % of one core per process), and how the servers' main threads (their
event loops) spent it, sampled from /proc: running, blocked on the disk (an fsync), or idle. A side whose process
is near 100 % (for a server: running + on disk) is the one that limits the run; the other has room to spare.
"Per message" divides by the five measured messages; the client's creating the conversation and reading its history
back are counted in.

With several workers (``--workers 2`` on one PostgreSQL) a conversation's messages go to the workers in turn, as
a round-robin load balancer would send them: order and one ticket per escalation must hold across processes.

Every conversation comes from 127.0.0.1, so the server it starts runs with ``--no-quotas`` (the webchat's
per-address limits would otherwise refuse all but the first few conversations with 429); start an existing server
for ``--url`` with ``--no-quotas`` too. With ``--quota-*`` flags in ``--serve-args`` it keeps the limits instead (the
flags' values, the defaults for the rest), to measure what they cost: give limits no run reaches, e.g.
``--serve-args '--quota-conversations-per-minute 100000 --quota-escalations-per-hour 100000'``.

The client closes a connection that has been idle for 1 s (httpx's default: 5 s), and the servers it starts (the
floor and `agentkit serve`) keep an idle one open for 30 s (their default: 5 s). With both at 5 s, a request sent on
a connection idle for about 5 s races the server's close and fails with ``ReadError`` (the server resets a
connection it closed when data arrives): that race is what ended the 200-conversation runs in disconnects, first
with two workers (a conversation's connection to one sits idle while the other answers), then, once group commit
made answers come in bursts, with one (the single client process, on a loaded machine, reads an answer seconds
after the server sent it, so "idle" on the server's clock includes the client's lag). A load balancer in front of
workers must likewise close idle upstream connections before the workers do (see the README). The server's
default stays 5 s: browsers retry a request that fails on a reused connection, and a short keep-alive bounds what
idle clients hold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its helpers are sibling scripts, not a package
from _cpu import StateSampler, postmaster_pid, tree_cpu_seconds  # noqa: E402
from _http11 import LeanClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ["What are your opening hours?", "How do I reset my password?", "I want to talk to a person please"]
AFTER_HANDOFF = ["It's about order A-{n}", "Thanks, I'll wait"]
KINDS = ("question", "question", "handoff", "relay", "relay")  # what each message of a conversation is, in order
APART = ("create", "history")  # timed and reported by kind, not counted in the messages' throughput and p50/p99
LOGIN_PASSWORD = "loadtest-password"  # the desk asks for 12 characters or more


@contextlib.contextmanager
def own_server(
    db: str | None, workers: int = 1, extra: Sequence[str] = (), pids: list[int] | None = None
) -> Iterator[tuple[list[str], str]]:
    """Start `agentkit serve examples/support_bot.py` (``workers`` processes, which need ``db``) on free ports with a
    fresh data folder; yield their URLs and the desk login. ``pids``: filled with the servers' process ids."""
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "AGENTKIT_MODEL": "offline", **({"AGENTKIT_DB": db} if db else {})}
        agentkit = str(Path(sys.executable).with_name("agentkit"))
        subprocess.run(  # the password on stdin: --password is deprecated (it shows in ps)
            [agentkit, "desk", "add-agent", "loadtest", "--password-stdin", "--data", data],
            input=f"{LOGIN_PASSWORD}\n", text=True, check=True, env=env, capture_output=True,
        )
        ports = [_free_port() for _ in range(workers)]
        commands = [
            [agentkit, "serve", str(ROOT / "examples/support_bot.py"), "--port", str(port), "--data", data,
             "--log-level", "warning", *_no_quotas(extra), "--timeout-keep-alive", str(SERVER_KEEPALIVE_SECONDS),
             *extra]
            for port in ports
        ]  # fmt: skip
        with _processes(commands, env, data, pids) as urls:
            yield urls, f"loadtest:{LOGIN_PASSWORD}"


def _no_quotas(extra: Sequence[str]) -> list[str]:
    """``--no-quotas`` (one address drives every conversation), unless ``extra`` sets some limit itself."""
    return [] if any(arg.startswith("--quota-") for arg in extra) else ["--no-quotas"]


@contextlib.contextmanager
def floor_server(pids: list[int] | None = None, postgres: str | None = None) -> Iterator[tuple[list[str], str]]:
    """The floor (benchmarks/floor_server.py) on a free port with a fresh data folder; on SQLite, or on the
    PostgreSQL database at ``postgres``."""
    with tempfile.TemporaryDirectory() as data:
        port = _free_port()
        command = [sys.executable, str(ROOT / "benchmarks/floor_server.py"), "--port", str(port), "--data", data,
                   "--timeout-keep-alive", str(SERVER_KEEPALIVE_SECONDS)]  # fmt: skip
        command += ["--postgres", postgres] if postgres else []
        with _processes([command], dict(os.environ), data, pids) as urls:
            yield urls, ""


@contextlib.contextmanager
def _processes(
    commands: list[list[str]], env: dict[str, str], cwd: str, pids: list[int] | None = None
) -> Iterator[list[str]]:
    servers = [subprocess.Popen(c, env=env, cwd=cwd, stdout=subprocess.DEVNULL) for c in commands]
    if pids is not None:
        pids.extend(server.pid for server in servers)
    try:
        urls = [f"http://127.0.0.1:{c[c.index('--port') + 1]}" for c in commands]
        for url in urls:
            _wait_until_up(url)
        yield urls
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, seconds: float = 120.0) -> None:  # a loaded machine starts slowly
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(f"{url}/api/health", timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not come up within {seconds} s")


@dataclass
class Result:
    """One server's run: its messages, the measured window and the CPU each side spent in it (seconds)."""

    name: str
    messages: int
    seconds: float
    latencies: list[float]
    client_cpu: float
    client_processes: int
    server_cpu: float | None = None  # the web server's processes (None: not started here, --url)
    server_processes: int = 1
    postgres_cpu: float | None = None  # the throwaway PostgreSQL's postmaster and backends
    loop_states: dict[str, float] = field(default_factory=dict)  # see Window
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # latencies by kind (KINDS, APART)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def quantile(self, q: float) -> float:
        return _quantile(self.latencies, q)

    def kinds(self) -> str:
        """p50/p99 of each kind of request: which of them makes the tail."""
        return "; ".join(
            f"{kind} p50 {_ms(_quantile(latencies, 0.5))} / p99 {_ms(_quantile(latencies, 0.99))} ms ({len(latencies)})"
            for kind in (*dict.fromkeys(KINDS), *APART)
            if (latencies := self.by_kind.get(kind))
        )

    def per_message(self, cpu: float | None) -> str:
        return "-" if cpu is None else f"{cpu * 1000 / self.messages:.2f} ms"

    def loop_state(self) -> str:
        """How the servers' main threads (event loops) spent the window, sampled: running (or waiting for a core),
        blocked on the disk (fsync), the rest idle. Running + disk near 100 %: the server's loop limits the run."""
        if not self.loop_states:
            return "-"
        return f"{100 * self.loop_states['R']:.0f} % running, {100 * self.loop_states['D']:.0f} % on disk"

    def busy(self, cpu: float | None, processes: int) -> str:
        """CPU over wall time, per process, in % of one core: near 100 % is a process that limits the run."""
        return "-" if cpu is None else f"{100 * cpu / self.seconds / processes:.0f} %"


def _quantile(latencies: Sequence[float], q: float) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Watched:
    """The processes whose CPU a run reports: the web server's (with their children) and PostgreSQL's, if any."""

    servers: Sequence[int] = ()
    postgres: int | None = None

    def cpu(self) -> tuple[float | None, float | None]:
        server = tree_cpu_seconds(self.servers) if self.servers else None
        return server, (tree_cpu_seconds([self.postgres]) if self.postgres else None)


async def conversation(
    clients: Sequence[Client], n: int, latencies: list[float], by_kind: dict[str, list[float]] | None = None
) -> tuple[str, list[str]]:
    """One conversation; with several workers its messages go to them in turn (a round-robin balancer). Each
    message's latency goes to ``latencies``; with ``by_kind``, each request's to its kind's list too."""
    by_kind = {} if by_kind is None else by_kind
    first = clients[n % len(clients)]
    started = time.perf_counter()
    created = (await first.post("/api/conversations", json={"name": f"Load user {n}"})).raise_for_status().json()
    by_kind.setdefault("create", []).append(time.perf_counter() - started)
    headers = {"X-Conversation-Token": created["token"]}
    sent = [*SCRIPT, *(text.format(n=n) for text in AFTER_HANDOFF)]
    for i, text in enumerate(sent):
        client = clients[(n + i) % len(clients)]
        started = time.perf_counter()
        response = await client.post(
            f"/api/conversations/{created['id']}/messages", json={"text": text}, headers=headers
        )
        latencies.append(time.perf_counter() - started)
        by_kind.setdefault(KINDS[i], []).append(latencies[-1])
        response.raise_for_status()
    started = time.perf_counter()
    history = (await first.get(f"/api/conversations/{created['id']}/messages", headers=headers)).json()
    by_kind.setdefault("history", []).append(time.perf_counter() - started)
    stored = [m["text"] for m in history["messages"] if m["role"] == "user"]
    assert stored == sent, f"conversation {n}: stored {stored}, sent {sent}"
    return created["id"], sent


async def tickets_by_conversation(client: httpx2.AsyncClient, login: str) -> tuple[dict[str, int], list[str]]:
    """How many tickets each conversation has, and the conversations whose ticket does not hold the user's
    messages after the handoff once each and in order (``AFTER_HANDOFF``: they reach the desk relayed)."""
    name, _, password = login.partition(":")
    session = (await client.post("/api/desk/login", json={"name": name, "password": password})).raise_for_status()
    headers = {"X-CSRF-Token": session.json().get("csrf_token") or ""}
    tickets = (await client.get("/api/desk/tickets", headers=headers)).raise_for_status().json()
    counts: dict[str, int] = {}
    for ticket in tickets["tickets"]:
        counts[ticket["conversation_id"]] = counts.get(ticket["conversation_id"], 0) + 1
    relayed = await asyncio.gather(*(_relayed(client, ticket["id"], headers) for ticket in tickets["tickets"]))
    prefix, last = AFTER_HANDOFF[0].split("{")[0], AFTER_HANDOFF[1]
    wrong = [ticket["conversation_id"] for ticket, texts in zip(tickets["tickets"], relayed, strict=True)
             if len(texts) != 2 or not texts[0].startswith(prefix) or texts[1] != last]  # fmt: skip
    return counts, wrong


async def _relayed(client: httpx2.AsyncClient, ticket_id: str, headers: dict[str, str]) -> list[str]:
    ticket = (await client.get(f"/api/desk/tickets/{ticket_id}", headers=headers)).raise_for_status().json()
    return [m["text"] for m in ticket["thread"] if m["author"] == "user"]


@dataclass
class ClientOptions:
    """How the load is driven: ``kind`` "lean" (benchmarks/_http11.py) or "httpx2", from ``processes`` processes."""

    kind: str = "lean"
    processes: int = 2


def run(
    name: str, urls: Sequence[str], login: str, conversations: int, client: ClientOptions, watched: Watched
) -> Result:
    """Drive ``conversations`` at once from ``client.processes`` processes; check order (every server) and one
    ticket each (when ``login``); report throughput, latency and the CPU of both sides."""
    window = drive(urls, conversations, client, watched)
    failed = [failure for outcome in window.outcomes for failure in outcome["failures"]]
    if failed:
        kinds = dict(Counter(failed))
        raise SystemExit(f"FAILED: {name}: {len(failed)} of {conversations} conversations failed: {kinds}")
    latencies = [latency for outcome in window.outcomes for latency in outcome["latencies"]]
    by_kind: dict[str, list[float]] = {}
    for outcome in window.outcomes:
        for kind, kind_latencies in outcome["by_kind"].items():
            by_kind.setdefault(kind, []).extend(kind_latencies)
    result = Result(name, len(latencies), window.seconds, latencies, window.client_cpu, len(window.outcomes),
                    window.server_cpu, len(watched.servers) or 1, window.postgres_cpu, window.loop_states,
                    by_kind)  # fmt: skip
    print(
        f"{name}: {conversations} conversations, {result.messages} messages in {result.seconds:.1f} s: "
        f"{result.rate:.0f} messages/s; latency p50 {_ms(result.quantile(0.5))} ms, "
        f"p99 {_ms(result.quantile(0.99))} ms, max {_ms(max(latencies))} ms; every message stored once and in order"
    )
    print(f"  {cpu_summary(result)}")
    print(f"  by kind: {result.kinds()}")
    if login:
        check_tickets(urls[0], login, [chat for outcome in window.outcomes for chat in outcome["done"]])
    return result


def cpu_summary(result: Result) -> str:
    busy, each = result.busy(result.server_cpu, result.server_processes), result.server_processes > 1
    server = "server: not started here" if result.server_cpu is None else (
        f"server {result.per_message(result.server_cpu)}/message ({busy} of a core{' per process' if each else ''}; "
        f"main thread {result.loop_state()})"
    )  # fmt: skip
    postgres = "" if result.postgres_cpu is None else f", PostgreSQL {result.per_message(result.postgres_cpu)}/message"
    total = sum(cpu or 0.0 for cpu in (result.server_cpu, result.postgres_cpu, result.client_cpu))
    return (
        f"CPU in the window: {server}{postgres}, client {result.per_message(result.client_cpu)}/message "
        f"({result.client_processes} process(es), {result.busy(result.client_cpu, result.client_processes)} of a "
        f"core each); {total / result.seconds:.2f} of the machine's {os.cpu_count()} cores in all"
    )


def check_tickets(url: str, login: str, conversation_ids: list[str]) -> None:
    counts, wrong = asyncio.run(_tickets(url, login))
    doubled = {c: k for c, k in counts.items() if k != 1}
    missing = [c for c in conversation_ids if c not in counts]
    print(f"  tickets: {len(counts)} for {len(conversation_ids)} conversations, {len(doubled)} doubled, "
          f"{len(missing)} missing; {len(wrong)} without the relayed messages once and in order")  # fmt: skip
    if doubled or missing or wrong:
        raise SystemExit(f"FAILED: doubled {doubled}, missing {missing}, relayed wrongly {wrong}")


async def _tickets(url: str, login: str) -> tuple[dict[str, int], list[str]]:
    async with httpx2.AsyncClient(base_url=url, timeout=120.0) as client:
        return await tickets_by_conversation(client, login)


@dataclass
class Window:
    """The measured window: from the moment every client process starts to the last one's end."""

    outcomes: list[dict[str, Any]]  # each client process's
    seconds: float
    client_cpu: float
    server_cpu: float | None
    postgres_cpu: float | None
    loop_states: dict[str, float]  # the servers' main threads: share of samples running (R), on disk (D)


def drive(urls: Sequence[str], conversations: int, client: ClientOptions, watched: Watched) -> Window:
    """The conversations split across ``client.processes`` processes (conversation n in process n % K), each with
    its own event loop, started together once all have made their clients."""
    context = multiprocessing.get_context("fork")  # the children share this module as loaded (a script, or a test's)
    processes = max(1, min(client.processes, conversations))
    barrier = context.Barrier(processes + 1)
    pipes, children = [], []
    sys.stdout.flush()  # or a child flushes the parent's buffered lines again when it exits
    for k in range(processes):
        receive, send = context.Pipe(duplex=False)
        numbers = list(range(k, conversations, processes))
        child = context.Process(target=_client_process, args=(urls, client.kind, numbers, barrier, send), daemon=True)
        child.start()
        send.close()
        pipes.append(receive)
        children.append(child)
    try:
        barrier.wait(timeout=300)
        (server, postgres), started = watched.cpu(), time.monotonic()
        with StateSampler(watched.servers) as states:
            outcomes = [_outcome(pipe) for pipe in pipes]
        server_after, postgres_after = watched.cpu()
    finally:
        _reap(children)
    crashed = [outcome["crashed"] for outcome in outcomes if "crashed" in outcome]
    if crashed:
        raise SystemExit(f"FAILED: a client process failed: {crashed[0]}")
    return Window(
        outcomes, max(outcome["ended"] for outcome in outcomes) - started, sum(outcome["cpu"] for outcome in outcomes),
        None if server is None or server_after is None else server_after - server,
        None if postgres is None or postgres_after is None else postgres_after - postgres,
        {state: share for state in "RD" if (share := states.share(state)) is not None},
    )  # fmt: skip


def _client_process(
    urls: Sequence[str], kind: str, numbers: list[int], barrier: Any, pipe: multiprocessing.connection.Connection
) -> None:
    try:
        outcome = asyncio.run(_client_conversations(urls, kind, numbers, barrier))
    except BaseException as error:  # reported to the parent, which fails the run with it
        barrier.abort()
        outcome = {"crashed": f"{type(error).__name__}: {error}"}
    pipe.send(outcome)
    pipe.close()


async def _client_conversations(urls: Sequence[str], kind: str, numbers: list[int], barrier: Any) -> dict[str, Any]:
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    async with contextlib.AsyncExitStack() as stack:
        clients = [await _clients(stack, urls, kind) for _ in numbers]  # made before the clock starts
        barrier.wait(timeout=300)
        cpu = time.process_time()  # this process, all its threads
        outcomes = await asyncio.gather(
            *(conversation(clients[i], n, latencies, by_kind) for i, n in enumerate(numbers)), return_exceptions=True
        )
        ended, cpu = time.monotonic(), time.process_time() - cpu
    return {
        "latencies": latencies, "by_kind": by_kind, "ended": ended, "cpu": cpu,
        "done": [outcome[0] for outcome in outcomes if not isinstance(outcome, BaseException)],
        "failures": [f"{type(error).__name__}: {error}"[:160] for error in outcomes if isinstance(error, Exception)],
    }  # fmt: skip


def _outcome(pipe: multiprocessing.connection.Connection) -> dict[str, Any]:
    try:
        return dict(pipe.recv())
    except EOFError:
        return {"crashed": "a client process exited without its results"}


def _reap(children: Sequence[multiprocessing.process.BaseProcess]) -> None:
    for child in children:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
            child.join()


# The client closes idle connections long before the servers do: see the module's docstring.
CLIENT_KEEPALIVE_SECONDS = 1.0
SERVER_KEEPALIVE_SECONDS = 30


_TLS = ssl.create_default_context()  # made once: each client would load the CA bundle (~0.1 s of CPU) again
Client = httpx2.AsyncClient | LeanClient


async def _clients(stack: contextlib.AsyncExitStack, urls: Sequence[str], kind: str = "lean") -> list[Client]:
    """A conversation's clients, one per server: each conversation on connections of its own, used one request
    after the other."""
    if kind == "lean":
        return [
            await stack.enter_async_context(LeanClient(url, timeout=120.0, keepalive_expiry=CLIENT_KEEPALIVE_SECONDS))
            for url in urls
        ]
    limits = httpx2.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS)
    return [
        await stack.enter_async_context(httpx2.AsyncClient(base_url=url, timeout=120.0, verify=_TLS, limits=limits))
        for url in urls
    ]


def report(floor: Result, others: Sequence[Result]) -> None:
    """The table of the README: each against the floor of the same run, with the CPU each side spent per message
    and how busy it was (near 100 % of a core: that side limits the run)."""
    print("\n| | messages/s | p50 | p99 | throughput vs floor | p99 vs floor | server CPU/msg | server busy "
          "| server loop | client CPU/msg | client busy |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in (floor, *others):
        server_cpu = None if result.server_cpu is None else result.server_cpu + (result.postgres_cpu or 0.0)
        print(
            f"| {result.name} | {result.rate:.0f} | {_ms(result.quantile(0.5))} ms | {_ms(result.quantile(0.99))} ms | "
            f"{result.rate / floor.rate:.2f}x | {result.quantile(0.99) / floor.quantile(0.99):.1f}x | "
            f"{result.per_message(server_cpu)} | {result.busy(result.server_cpu, result.server_processes)} | "
            f"{result.loop_state()} | {result.per_message(result.client_cpu)} | "
            f"{result.busy(result.client_cpu, result.client_processes)} |"
        )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--login", help="NAME:PASSWORD of a desk agent on --url")
    parser.add_argument("--db", help="database URL for the server this script starts (default: SQLite)")
    parser.add_argument("--temp-postgres", action="store_true", help="start a throwaway PostgreSQL on 127.0.0.1")
    parser.add_argument("--workers", type=int, default=1, help="agentkit serve processes on one --db (PostgreSQL)")
    parser.add_argument("--compare", action="store_true",
                        help="the floors (SQLite, PostgreSQL), SQLite, PostgreSQL and 2 workers, one run")
    parser.add_argument("--only", type=_servers, default=list(SERVERS), metavar="floor,floorpg,sqlite,pg,pg2",
                        help="with --compare: only these servers (ratios are printed when a floor is one)")
    parser.add_argument("--rounds", type=_positive, default=1, metavar="N",
                        help="with --compare: N rounds of the servers in turn, then the median and range of each "
                             "ratio (a round of 200 conversations lasts about a second: one round is noisy)")
    parser.add_argument("--serve-args", default="", help="extra arguments for agentkit serve, e.g. '--db-pool-size 8'")
    parser.add_argument("--client", choices=("lean", "httpx2"), default="lean",
                        help="the HTTP client: lean (benchmarks/_http11.py, the least CPU per request) or httpx2")
    parser.add_argument("--client-processes", type=_positive, default=ClientOptions.processes, metavar="K",
                        help=f"client processes sharing the conversations (default {ClientOptions.processes})")
    parser.add_argument("--server-pid", type=int, action="append", default=[], metavar="PID",
                        help="with --url: the server's process (repeat for workers), to report its CPU")
    args = parser.parse_args()
    extra, client = args.serve_args.split(), ClientOptions(args.client, args.client_processes)
    if args.url:
        run("server", [args.url], args.login, args.conversations, client, Watched(args.server_pid))
        return
    if args.compare:
        compare(args.conversations, extra, args.only, client, args.rounds)
        return
    with contextlib.ExitStack() as stack:
        watched = Watched([])
        if args.temp_postgres:
            from agentkit.testing import TemporaryPostgres

            postgres = stack.enter_context(TemporaryPostgres())
            args.db, watched.postgres = postgres.url, postmaster_pid(postgres.port)
        urls, login = stack.enter_context(own_server(args.db, args.workers, extra, watched.servers))
        name = f"agentkit serve, {'PostgreSQL' if args.db else 'SQLite'}, {args.workers} worker(s)"
        run(name, urls, login, args.conversations, client, watched)


SERVERS = ("floor", "floorpg", "sqlite", "pg", "pg2")
FLOORS = ("floor", "floorpg")  # the ratios are against the first of them that runs


def compare(
    conversations: int,
    extra: Sequence[str],
    only: Sequence[str] = SERVERS,
    client: ClientOptions | None = None,
    rounds: int = 1,
) -> None:
    """The floors (on SQLite, on PostgreSQL) and ``agentkit serve`` on SQLite, PostgreSQL and 2 PostgreSQL workers,
    one after the other, by the same client; ``only`` picks some of them (the ratios need a floor). ``rounds``: all
    of them that many times in turn, each round's table against its own floor, then ``summary``."""
    client = client or ClientOptions()
    with_floor = any(floor in only for floor in FLOORS)  # the floors run first
    by_round: list[list[Result]] = []
    for number in range(1, rounds + 1):
        if rounds > 1:
            print(f"\n## round {number} of {rounds}")
        results = [_measure(server, conversations, extra, client) for server in SERVERS if server in only]
        if with_floor:
            report(results[0], results[1:])
        by_round.append(results)
    if rounds > 1 and with_floor:
        summary(by_round)


def summary(by_round: Sequence[Sequence[Result]]) -> None:
    """Each server's throughput and p99 against the floor of its own round: median and range over the rounds. On a
    shared 2-core machine runs of the same code spread by ±20 %: the median of rounds run in turn says more than
    any one of them."""
    print(f"\n| over {len(by_round)} rounds | throughput vs floor: median (range) | p99 vs floor: median (range) |")
    print("|---|---:|---:|")
    for column in range(1, len(by_round[0])):
        rates = [results[column].rate / results[0].rate for results in by_round]
        p99s = [results[column].quantile(0.99) / results[0].quantile(0.99) for results in by_round]
        print(
            f"| {by_round[0][column].name} | {statistics.median(rates):.2f}x ({min(rates):.2f}-{max(rates):.2f}x) | "
            f"{statistics.median(p99s):.1f}x ({min(p99s):.1f}-{max(p99s):.1f}x) |"
        )


def _measure(server: str, conversations: int, extra: Sequence[str], client: ClientOptions) -> Result:
    from agentkit.testing import TemporaryPostgres

    watched = Watched([])
    if server == "floor":
        with floor_server(watched.servers) as (urls, login):
            return run("floor (Starlette + one SQLite insert)", urls, login, conversations, client, watched)
    if server == "floorpg":
        with TemporaryPostgres() as postgres, floor_server(watched.servers, postgres.url) as (urls, login):
            watched.postgres = postmaster_pid(postgres.port)
            return run("floor, PostgreSQL (Starlette + one psycopg insert on threads)", urls, login, conversations,
                       client, watched)  # fmt: skip
    if server == "sqlite":
        with own_server(None, 1, extra, watched.servers) as (urls, login):
            return run("`agentkit serve`, SQLite", urls, login, conversations, client, watched)
    workers = 2 if server == "pg2" else 1
    with TemporaryPostgres() as postgres, own_server(postgres.url, workers, extra, watched.servers) as (urls, login):
        watched.postgres = postmaster_pid(postgres.port)
        name = f"`agentkit serve`, PostgreSQL{', 2 workers' if workers == 2 else ''}"
        return run(name, urls, login, conversations, client, watched)


def _servers(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown server(s) {unknown}: pick from {','.join(SERVERS)}")
    return names


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: give a whole number, 1 or more")
    return int(value)


if __name__ == "__main__":
    main()
