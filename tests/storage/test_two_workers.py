"""Two worker processes on one PostgreSQL database, as two ``agentkit serve`` workers behind a load balancer.

Each worker is a real OS process (``two_workers_script.py``) with its own Agent, store connections and desk, on the
same database. They get messages of one conversation interleaved and at the same time, and escalate the same
conversations at once. What a user would notice: every message stored once, each turn whole (a user message, then
its reply), each worker's messages in the order it accepted them, and one ticket per escalation.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from agentkit.desk import LocalDesk
from agentkit.runtime import ChatMessage, Store
from agentkit.runtime._messages import load_visible

pytestmark = pytest.mark.postgres

SCRIPT = Path(__file__).with_name("two_workers_script.py")


class Worker:
    """A worker process and the JSON lines it prints."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process

    @classmethod
    async def start(cls, url: str, name: str) -> Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(SCRIPT), url, name,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        worker = cls(name, process)
        try:
            # Starting takes long on a loaded machine (an import, the migrations, the desk's tables).
            assert await worker.read(seconds=120) == {"ready": name}
        except BaseException:
            await worker.stop()  # no process or pipe is left to the garbage collector
            raise
        return worker

    async def send(self, **command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()

    async def read(self, seconds: float = 20) -> dict[str, Any]:
        assert self.process.stdout is not None
        async with asyncio.timeout(seconds):
            line = await self.process.stdout.readline()
        if not line:
            raise AssertionError(f"worker {self.name} exited: {await self._stderr()}")
        record = dict(json.loads(line))
        assert "error" not in record, f"worker {self.name}: {record['error']}"
        return record

    async def quit(self) -> list[str]:
        """Stop the worker once its tasks are done; the violations its model saw."""
        await self.send(op="quit")
        report = await self.read()
        async with asyncio.timeout(20):
            code = await self.process.wait()
        assert code == 0, await self._stderr()
        return list(report["violations"])

    async def _stderr(self) -> str:
        assert self.process.stderr is not None
        return (await self.process.stderr.read()).decode()

    async def stop(self) -> None:
        """Kill the process if it still runs, and reap it (which closes its pipes)."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()


@pytest.fixture
async def workers(pg_url: str) -> AsyncIterator[tuple[Worker, Worker]]:
    # Both at once, as a deployment starts them: both create the tables, which must not collide.
    started = await asyncio.gather(Worker.start(pg_url, "a"), Worker.start(pg_url, "b"), return_exceptions=True)
    ready = [worker for worker in started if isinstance(worker, Worker)]
    try:
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        yield ready[0], ready[1]
    finally:
        for worker in ready:
            await worker.stop()


async def follow(url: str, conversation_id: str, count: int) -> list[ChatMessage]:
    """What a reader that polls for new messages (``seq`` after the last it saw) gets, while the workers write."""
    store = Store(url)
    await store.open()
    seen: list[ChatMessage] = []
    try:
        async with asyncio.timeout(30):
            while len(seen) < count:
                seen += await store.run(
                    partial(load_visible, conversation_id=conversation_id, after=seen[-1].id if seen else 0)
                )
                await asyncio.sleep(0.002)
    finally:
        await store.aclose()
    return seen


async def test_one_conversation_on_two_workers_keeps_its_order(pg_url: str, workers: tuple[Worker, Worker]) -> None:
    a, b = workers
    reader = asyncio.create_task(follow(pg_url, "order", 2 * 50))
    # Interleaved: the two workers take turns, each waiting for the other's reply to be stored.
    interleaved = [f"turn {i:02}" for i in range(10)]
    for position, text in enumerate(interleaved):
        worker = (a, b)[position % 2]
        await worker.send(op="say", cid="order", text=text)
        assert (await worker.read())["replies"] == [f"echo {text}"]
    # Concurrent: twenty messages to each, all at once.
    bursts = {a: [f"a {i:02}" for i in range(20)], b: [f"b {i:02}" for i in range(20)]}
    for first, second in zip(bursts[a], bursts[b], strict=True):
        await asyncio.gather(a.send(op="say", cid="order", text=first), b.send(op="say", cid="order", text=second))
    accepted = {w: [await w.read() for _ in range(20)] for w in (a, b)}
    violations = await a.quit() + await b.quit()
    seen = await reader

    store = Store(pg_url)
    await store.open()
    history = await store.run(lambda c: load_visible(c, "order"))
    await store.aclose()

    users = [m.text for m in history if m.role == "user"]
    assert sorted(users) == sorted(interleaved + bursts[a] + bursts[b])  # each message once: no loss, no duplicate
    assert [(m.role, m.text) for m in history] == [pair for u in users for pair in (("user", u), ("bot", f"echo {u}"))]
    assert users[:10] == interleaved
    for worker, sent in bursts.items():
        assert [u for u in users if u in sent] == sent  # in the order this worker accepted them
        ids = [record["ids"] for record in sorted(accepted[worker], key=lambda r: sent.index(r["said"]))]
        assert all(len(i) == 1 for i in ids) and [i[0] for i in ids] == sorted(i[0] for i in ids)
    assert [m.id for m in history] == sorted(m.id for m in history)
    assert [(m.id, m.text) for m in seen] == [(m.id, m.text) for m in history]  # the poller skipped none
    assert violations == []  # no model call saw another worker's turn cut into its own


async def test_two_workers_escalating_one_conversation_open_one_ticket(
    pg_url: str, workers: tuple[Worker, Worker]
) -> None:
    a, b = workers
    direct = [f"direct-{i}" for i in range(6)]  # start_hitl from both at once, outside any turn
    for cid in direct:
        await asyncio.gather(a.send(op="escalate", cid=cid), b.send(op="escalate", cid=cid))
    asked = [f"asked-{i}" for i in range(4)]  # the user asks both workers for a person at once
    for cid in asked:
        await asyncio.gather(
            a.send(op="say", cid=cid, text=f"{cid}: a person please (a)"),
            b.send(op="say", cid=cid, text=f"{cid}: a person please (b)"),
        )
    results = [await w.read() for w in (a, b) for _ in range(len(direct) + len(asked))]
    assert await a.quit() + await b.quit() == []

    statuses: dict[str, list[str]] = {cid: [] for cid in direct}
    for result in results:
        if "escalated" in result:
            statuses[result["escalated"]].append(result["status"])
    assert all(sorted(s) == ["already_escalated", "opened"] for s in statuses.values()), statuses
    async with LocalDesk(pg_url) as desk:
        tickets = await desk.tickets()
    assert sorted(t.conversation_id for t in tickets) == sorted(direct + asked)  # exactly one ticket each
    for ticket in (t for t in tickets if t.conversation_id in asked):
        # The first message escalated; the other, handled after it, went to the human on that ticket.
        said = [line.text for line in ticket.transcript] + [m.text for m in ticket.messages if m.author == "user"]
        assert sorted(said) == sorted(f"{ticket.conversation_id}: a person please ({w})" for w in "ab")
