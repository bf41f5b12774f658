"""CPU per webchat message, by kind, in one process: where a handoff's CPU goes (issue 12).

Runs ``examples/support_bot.py`` as ``agentkit serve --no-quotas`` builds it, its app called directly as ASGI (no
sockets, no HTTP client: the process's CPU is nearly all the server's), ``--conversations`` at once, message by
message of ``load_webchat.py``'s script (two questions, the handoff, two messages to the person): every
conversation sends its first message together, then its second, and so on. For each kind it reports the CPU per
message of the process, of the event loop's thread and of the other threads (the storage lanes), read from
``/proc/self/task`` (10 ms ticks: use a few hundred conversations); ``--profile`` adds cProfile's top functions of
the event loop's thread during the handoffs, ``--spy`` attaches py-spy to the process during each round's
handoffs only.

    python benchmarks/handoff_cpu.py --temp-postgres --conversations 200 --rounds 6
    python benchmarks/handoff_cpu.py --conversations 200 --rounds 6 --profile          # SQLite
    python benchmarks/handoff_cpu.py --temp-postgres --spy "$(which py-spy) /tmp/spy"   # /tmp/spy.* (raw stacks)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ["What are your opening hours?", "How do I reset my password?", "I want to talk to a person please",
          "It's about order A-1", "Thanks, I'll wait"]  # fmt: skip
KINDS = ["question", "question", "handoff", "relay", "relay"]


def thread_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of each thread of this process, by native thread id."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            with open(f"/proc/self/task/{task}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
            seconds[int(task)] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


class Client:
    """The cheapest client: each request one call of the ASGI app, its answer gathered (no cookies, no URL parsing),
    so that the process's CPU is nearly all the server's."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def post(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        body = json.dumps(payload).encode()
        raw = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
        raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": raw, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}  # fmt: skip
        sent = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # a disconnect never comes
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, json.loads(b"".join(chunks) or b"null")


@contextlib.asynccontextmanager
async def spied(out: str | None) -> Any:
    """py-spy (``--spy PY_SPY OUT``) attached to this process for the block: the GIL holder's stacks, raw."""
    if out is None:
        yield
        return
    spy, path = out.split(" ", 1)
    command = [spy, "record", "--gil", "--nonblocking", "-r", "500", "-f", "raw", "-t", "-o",
               f"{path}.{time.monotonic_ns()}", "-p", str(os.getpid())]  # fmt: skip
    process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await asyncio.sleep(1.0)  # attached
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        await process.wait()


async def one_round(
    client: Client, n: int, profile: cProfile.Profile | None, spy: str | None = None
) -> list[dict[str, float]]:
    created = await asyncio.gather(*(client.post("/api/conversations", {"name": f"u{i}"}) for i in range(n)))
    conversations = [(c["id"], {"X-Conversation-Token": c["token"]}) for _, c in created]
    loop_thread = threading.get_native_id()
    figures = []
    for kind, text in zip(KINDS, SCRIPT, strict=True):
        async with spied(spy if kind == "handoff" else None):
            before, cpu_before = thread_cpu(), time.process_time()
            if profile is not None and kind == "handoff":
                profile.enable()
            responses = await asyncio.gather(
                *(client.post(f"/api/conversations/{cid}/messages", {"text": text}, h)
                  for cid, h in conversations)  # fmt: skip
            )
            if profile is not None and kind == "handoff":
                profile.disable()
            after, cpu_after = thread_cpu(), time.process_time()
        assert all(status == 200 for status, _ in responses), [r for r in responses if r[0] != 200][:3]
        delta = {t: after[t] - before.get(t, 0.0) for t in after}
        loop = delta.get(loop_thread, 0.0)
        others = sum(delta.values()) - loop
        figures.append({"process": (cpu_after - cpu_before) / n * 1000, "loop": loop / n * 1000,
                        "others": others / n * 1000})  # fmt: skip
    return figures


async def main(args: argparse.Namespace, data: str) -> None:
    sys.path.insert(0, str(ROOT))
    from agentkit.cli._load import load_module
    from agentkit.cli._serve import fixed_templates, long_lived_heap, prompt_thread_handoffs
    from agentkit.server import DatabaseServerStore, WebchatQuotas, create_app

    agent = load_module(str(ROOT / "examples/support_bot.py")).agent
    store = DatabaseServerStore(args.db or f"{data}/server.sqlite3")
    app = create_app(agent, secret_key="x" * 32, store=store, quotas=WebchatQuotas.unlimited(), manage_agent=False,
                     poll_interval=3600)  # fmt: skip
    profile = cProfile.Profile() if args.profile else None
    client = Client(app)
    try:
        async with agent:
            with fixed_templates(), long_lived_heap(), prompt_thread_handoffs():
                await one_round(client, args.conversations, None)  # warm-up: prepared statements, caches
                rounds = [await one_round(client, args.conversations, profile, args.spy) for _ in range(args.rounds)]
    finally:
        await store.aclose()
    print(f"{args.conversations} conversations, {args.rounds} rounds; ms of CPU per message (process = loop + others)")
    for i, kind in enumerate(KINDS):
        cells = "  ".join(f"{r[i]['process']:.2f} = {r[i]['loop']:.2f} + {r[i]['others']:.2f}" for r in rounds)
        print(f"  {i + 1}. {kind:9} {cells}")
    if profile is not None:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top * 2)
        print(out.getvalue())


@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[str | None]:
    if not args.temp_postgres:
        yield args.db
        return
    from agentkit.testing import TemporaryPostgres

    with TemporaryPostgres() as server:
        yield server.url


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", help="postgresql://... (default: SQLite files in a temporary folder)")
    parser.add_argument("--temp-postgres", action="store_true", help="on a throwaway PostgreSQL")
    parser.add_argument("--profile", action="store_true", help="cProfile the event loop's thread in the handoffs")
    parser.add_argument("--spy", help="'PY_SPY OUT': py-spy's raw stacks of each round's handoffs, to OUT.*")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, database(args) as url:
        args.db = url
        os.environ["AGENTKIT_DATA"] = data
        os.environ.setdefault("AGENTKIT_MODEL", "offline")
        if url:
            os.environ["AGENTKIT_DB"] = url
        else:
            os.environ.pop("AGENTKIT_DB", None)
        asyncio.run(main(args, data))


if __name__ == "__main__":
    cli()
