"""Load: N concurrent webchat conversations with escalations against a running `agentkit serve`, over HTTP.

Each conversation: asks two FAQ questions, asks for a person (the offline model escalates), sends two messages that
go to the human agent, then reads its history back. Afterwards it checks that every message was stored once and in
order, and that the desk holds exactly one ticket per conversation; it reports throughput and p50/p99 latency of
the message requests.

    python benchmarks/load_webchat.py --conversations 200                  # starts its own server (SQLite)
    python benchmarks/load_webchat.py --temp-postgres                      # the same on a throwaway PostgreSQL
    python benchmarks/load_webchat.py --db postgresql://...                # ... or on yours
    python benchmarks/load_webchat.py --url http://127.0.0.1:8000 --login demo:PASSWORD   # an existing server
    python benchmarks/load_webchat.py --compare      # one run: the floor, SQLite, PostgreSQL, 2 workers on it
    python benchmarks/load_webchat.py --compare --only floor,sqlite       # some of them (the floor: for ratios)

With several workers (``--workers 2`` on one PostgreSQL) a conversation's messages go to the workers in turn, as
a round-robin load balancer would send them: order and one ticket per escalation must hold across processes.

Every conversation comes from 127.0.0.1, so the server it starts runs with ``--no-quotas`` (the webchat's
per-address limits would otherwise refuse all but the first few conversations with 429); start an existing server
for ``--url`` with ``--no-quotas`` too.

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
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ["What are your opening hours?", "How do I reset my password?", "I want to talk to a person please"]
AFTER_HANDOFF = ["It's about order A-{n}", "Thanks, I'll wait"]
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
             "--log-level", "warning", "--no-quotas", "--timeout-keep-alive", str(SERVER_KEEPALIVE_SECONDS),
             *extra]  # one address drives every conversation
            for port in ports
        ]  # fmt: skip
        with _processes(commands, env, data, pids) as urls:
            yield urls, f"loadtest:{LOGIN_PASSWORD}"


@contextlib.contextmanager
def floor_server() -> Iterator[tuple[list[str], str]]:
    """The floor (benchmarks/floor_server.py) on a free port with a fresh data folder."""
    with tempfile.TemporaryDirectory() as data:
        port = _free_port()
        command = [sys.executable, str(ROOT / "benchmarks/floor_server.py"), "--port", str(port), "--data", data,
                   "--timeout-keep-alive", str(SERVER_KEEPALIVE_SECONDS)]  # fmt: skip
        with _processes([command], dict(os.environ), data) as urls:
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
    name: str
    messages: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def conversation(
    clients: Sequence[httpx2.AsyncClient], n: int, latencies: list[float]
) -> tuple[str, list[str]]:
    """One conversation; with several workers its messages go to them in turn (a round-robin balancer)."""
    first = clients[n % len(clients)]
    created = (await first.post("/api/conversations", json={"name": f"Load user {n}"})).raise_for_status().json()
    headers = {"X-Conversation-Token": created["token"]}
    sent = [*SCRIPT, *(text.format(n=n) for text in AFTER_HANDOFF)]
    for i, text in enumerate(sent):
        client = clients[(n + i) % len(clients)]
        started = time.perf_counter()
        response = await client.post(
            f"/api/conversations/{created['id']}/messages", json={"text": text}, headers=headers
        )
        latencies.append(time.perf_counter() - started)
        response.raise_for_status()
    history = (await first.get(f"/api/conversations/{created['id']}/messages", headers=headers)).json()
    stored = [m["text"] for m in history["messages"] if m["role"] == "user"]
    assert stored == sent, f"conversation {n}: stored {stored}, sent {sent}"
    return created["id"], sent


async def tickets_by_conversation(client: httpx2.AsyncClient, login: str) -> dict[str, int]:
    name, _, password = login.partition(":")
    session = (await client.post("/api/desk/login", json={"name": name, "password": password})).raise_for_status()
    csrf = session.json().get("csrf_token")
    tickets = (await client.get("/api/desk/tickets", headers={"X-CSRF-Token": csrf or ""})).raise_for_status().json()
    counts: dict[str, int] = {}
    for ticket in tickets["tickets"]:
        counts[ticket["conversation_id"]] = counts.get(ticket["conversation_id"], 0) + 1
    return counts


async def run(name: str, urls: Sequence[str], login: str, conversations: int) -> Result:
    """Drive ``conversations`` at once; check order (every server) and one ticket each (when ``login``)."""
    latencies: list[float] = []
    async with contextlib.AsyncExitStack() as stack:
        clients = [await _clients(stack, urls) for _ in range(conversations)]  # made before the clock starts
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(conversation(clients[n], n, latencies) for n in range(conversations)), return_exceptions=True
        )
        elapsed = time.perf_counter() - started
    failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    if failed:
        kinds = Counter(f"{type(error).__name__}: {error}"[:160] for error in failed)
        raise SystemExit(f"FAILED: {name}: {len(failed)} of {conversations} conversations failed: {dict(kinds)}")
    done = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    counts = None
    if login:
        async with httpx2.AsyncClient(base_url=urls[0], timeout=120.0) as client:
            counts = await tickets_by_conversation(client, login)
    result = Result(name, len(latencies), elapsed, latencies)
    print(
        f"{name}: {conversations} conversations, {result.messages} messages in {elapsed:.1f} s: "
        f"{result.rate:.0f} messages/s; latency p50 {_ms(result.quantile(0.5))} ms, "
        f"p99 {_ms(result.quantile(0.99))} ms, max {_ms(max(latencies))} ms; every message stored once and in order"
    )
    if counts is not None:
        ids = [conversation_id for conversation_id, _ in done]
        doubled = {c: k for c, k in counts.items() if k != 1}
        missing = [c for c in ids if c not in counts]
        print(f"  tickets: {len(counts)} for {len(ids)} conversations, {len(doubled)} doubled, {len(missing)} missing")
        if doubled or missing:
            raise SystemExit(f"FAILED: doubled {doubled}, missing {missing}")
    return result


# The client closes idle connections long before the servers do: see the module's docstring.
CLIENT_KEEPALIVE_SECONDS = 1.0
SERVER_KEEPALIVE_SECONDS = 30


_TLS = ssl.create_default_context()  # made once: each client would load the CA bundle (~0.1 s of CPU) again


async def _clients(stack: contextlib.AsyncExitStack, urls: Sequence[str]) -> list[httpx2.AsyncClient]:
    """A conversation's clients, one per server: each conversation on connections of its own, used one request
    after the other."""
    limits = httpx2.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS)
    return [
        await stack.enter_async_context(httpx2.AsyncClient(base_url=url, timeout=120.0, verify=_TLS, limits=limits))
        for url in urls
    ]


def report(floor: Result, others: Sequence[Result]) -> None:
    """The table of the README: each against the floor of the same run."""
    print("\n| | messages/s | p50 | p99 | throughput vs floor | p99 vs floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for result in (floor, *others):
        print(
            f"| {result.name} | {result.rate:.0f} | {_ms(result.quantile(0.5))} ms | {_ms(result.quantile(0.99))} ms | "
            f"{result.rate / floor.rate:.2f}x | {result.quantile(0.99) / floor.quantile(0.99):.1f}x |"
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
    parser.add_argument("--compare", action="store_true", help="the floor, SQLite, PostgreSQL and 2 workers, one run")
    parser.add_argument("--only", type=_servers, default=list(SERVERS), metavar="floor,sqlite,pg,pg2",
                        help="with --compare: only these servers (ratios are printed when the floor is one)")
    parser.add_argument("--serve-args", default="", help="extra arguments for agentkit serve, e.g. '--db-pool-size 8'")
    args = parser.parse_args()
    extra = args.serve_args.split()
    if args.url:
        asyncio.run(run("server", [args.url], args.login, args.conversations))
        return
    if args.compare:
        compare(args.conversations, extra, args.only)
        return
    with contextlib.ExitStack() as stack:
        if args.temp_postgres:
            from agentkit.testing import TemporaryPostgres

            args.db = stack.enter_context(TemporaryPostgres()).url
        urls, login = stack.enter_context(own_server(args.db, args.workers, extra))
        name = f"agentkit serve, {'PostgreSQL' if args.db else 'SQLite'}, {args.workers} worker(s)"
        asyncio.run(run(name, urls, login, args.conversations))


SERVERS = ("floor", "sqlite", "pg", "pg2")


def compare(conversations: int, extra: Sequence[str], only: Sequence[str] = SERVERS) -> None:
    """The floor and ``agentkit serve`` on SQLite, PostgreSQL and 2 PostgreSQL workers, one after the other, by the
    same client; ``only`` picks some of them (the ratios need the floor)."""
    results = [_measure(server, conversations, extra) for server in SERVERS if server in only]
    if "floor" in only:  # the floor runs first
        report(results[0], results[1:])


def _measure(server: str, conversations: int, extra: Sequence[str]) -> Result:
    from agentkit.testing import TemporaryPostgres

    if server == "floor":
        with floor_server() as (urls, login):
            return asyncio.run(run("floor (Starlette + one SQLite insert)", urls, login, conversations))
    if server == "sqlite":
        with own_server(None, 1, extra) as (urls, login):
            return asyncio.run(run("`agentkit serve`, SQLite", urls, login, conversations))
    workers = 2 if server == "pg2" else 1
    with TemporaryPostgres() as postgres, own_server(postgres.url, workers, extra) as (urls, login):
        name = f"`agentkit serve`, PostgreSQL{', 2 workers' if workers == 2 else ''}"
        return asyncio.run(run(name, urls, login, conversations))


def _servers(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in SERVERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown server(s) {unknown}: pick from {','.join(SERVERS)}")
    return names


if __name__ == "__main__":
    main()
