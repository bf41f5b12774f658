"""Load: N concurrent webchat conversations with escalations against a running `agentkit serve`, over HTTP.

Each conversation: asks two FAQ questions, asks for a person (the offline model escalates), sends two messages that
go to the human agent, then reads its history back. Afterwards it checks that every message was stored once and in
order, and that the desk holds exactly one ticket per conversation; it reports throughput and p50/p99 latency of
the message requests.

    python benchmarks/load_webchat.py --conversations 200                  # starts its own server (SQLite)
    python benchmarks/load_webchat.py --temp-postgres                      # the same on a throwaway PostgreSQL
    python benchmarks/load_webchat.py --db postgresql://...                # ... or on yours
    python benchmarks/load_webchat.py --url http://127.0.0.1:8000 --login demo:PASSWORD   # an existing server

Every conversation comes from 127.0.0.1, so the server it starts runs with ``--no-quotas`` (the webchat's
per-address limits would otherwise refuse all but the first few conversations with 429); start an existing server
for ``--url`` with ``--no-quotas`` too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ["What are your opening hours?", "How do I reset my password?", "I want to talk to a person please"]
AFTER_HANDOFF = ["It's about order A-{n}", "Thanks, I'll wait"]


@contextlib.contextmanager
def own_server(db: str | None) -> Iterator[tuple[str, str]]:
    """Start `agentkit serve examples/support_bot.py` on a free port with a fresh data folder; yield url, login."""
    with tempfile.TemporaryDirectory() as data:
        port = _free_port()
        env = {**os.environ, "AGENTKIT_MODEL": "offline", **({"AGENTKIT_DB": db} if db else {})}
        agentkit = str(Path(sys.executable).with_name("agentkit"))
        subprocess.run(
            [agentkit, "desk", "add-agent", "loadtest", "--password", "loadtest-pw", "--data", data],
            check=True,
            env=env,
            capture_output=True,
        )
        command = [
            agentkit,
            "serve",
            str(ROOT / "examples/support_bot.py"),
            "--port",
            str(port),
            "--data",
            data,
            "--log-level",
            "warning",
            "--no-quotas",  # one address drives every conversation: measure throughput, not the quotas
        ]
        server = subprocess.Popen(command, env=env, cwd=data, stdout=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(url)
            yield url, "loadtest:loadtest-pw"
        finally:
            server.terminate()
            server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(f"{url}/api/health", timeout=1.0).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not come up within {seconds} s")


async def conversation(client: httpx2.AsyncClient, n: int, latencies: list[float]) -> tuple[str, list[str]]:
    created = (await client.post("/api/conversations", json={"name": f"Load user {n}"})).raise_for_status().json()
    headers = {"X-Conversation-Token": created["token"]}
    sent = [*SCRIPT, *(text.format(n=n) for text in AFTER_HANDOFF)]
    for text in sent:
        started = time.perf_counter()
        response = await client.post(
            f"/api/conversations/{created['id']}/messages", json={"text": text}, headers=headers
        )
        latencies.append(time.perf_counter() - started)
        response.raise_for_status()
    history = (await client.get(f"/api/conversations/{created['id']}/messages", headers=headers)).json()
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


async def run(url: str, login: str, conversations: int) -> None:
    limits = httpx2.Limits(max_connections=conversations + 10, max_keepalive_connections=conversations + 10)
    latencies: list[float] = []
    async with httpx2.AsyncClient(base_url=url, timeout=120.0, limits=limits) as client:
        started = time.perf_counter()
        done = await asyncio.gather(*(conversation(client, n, latencies) for n in range(conversations)))
        elapsed = time.perf_counter() - started
        counts = await tickets_by_conversation(client, login)
    ids = [conversation_id for conversation_id, _ in done]
    doubled = {c: k for c, k in counts.items() if k != 1}
    missing = [c for c in ids if c not in counts]
    latencies.sort()
    print(
        f"{conversations} conversations, {len(latencies)} messages in {elapsed:.1f} s: "
        f"{len(latencies) / elapsed:.0f} messages/s; latency p50 {_ms(latencies, 0.50)} ms, "
        f"p99 {_ms(latencies, 0.99)} ms, max {latencies[-1] * 1000:.0f} ms"
    )
    print(
        f"every message stored once and in order: yes; tickets: {len(counts)} for {len(ids)} conversations, "
        f"{len(doubled)} doubled, {len(missing)} missing"
    )
    if doubled or missing:
        raise SystemExit(f"FAILED: doubled {doubled}, missing {missing}")


def _ms(sorted_values: list[float], q: float) -> str:
    index = min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))
    return f"{sorted_values[index] * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--login", help="NAME:PASSWORD of a desk agent on --url")
    parser.add_argument("--db", help="database URL for the server this script starts (default: SQLite)")
    parser.add_argument("--temp-postgres", action="store_true", help="start a throwaway PostgreSQL on 127.0.0.1")
    args = parser.parse_args()
    if args.url:
        asyncio.run(run(args.url, args.login, args.conversations))
        return
    with contextlib.ExitStack() as stack:
        if args.temp_postgres:
            from agentkit.testing import TemporaryPostgres

            args.db = stack.enter_context(TemporaryPostgres()).url
        url, login = stack.enter_context(own_server(args.db))
        print(f"database: {'PostgreSQL' if args.db else 'SQLite'}")
        asyncio.run(run(url, login, args.conversations))


if __name__ == "__main__":
    main()
