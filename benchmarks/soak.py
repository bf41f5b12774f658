"""Soak: 1,000 webchat conversations and 10,000 messages against one `agentkit serve`, a bounded number at a time,
while the server's memory (RSS, read from /proc) is sampled.

Half the conversations only ask the bot questions (ten turns each). The other half ask two, ask for a person (the
offline model escalates), write twice to the person, who claims the ticket, replies and closes it in the desk,
then ask the bot five more questions: every part of a handoff's life, a thousand times over. Afterwards every
conversation's history is read back and must hold the user's messages once each and in order, each escalating
conversation must have exactly one ticket (closed) and the others none.

Memory is "flat" when RSS at the end is within ``--rss-bound`` MB of RSS after the warm-up (the first 10 % of the
conversations: imports, caches, pools and the allocator's arenas are filled by then). Anything the server keeps
per conversation or per message grows with the 900 conversations and 9,000 messages after the warm-up: the default
bound, 16 MB, is under 2 KB per message, less than one stored message, its turn and its ticket event take, so a
leak of any of them shows.

    python benchmarks/soak.py                                   # SQLite
    python benchmarks/soak.py --temp-postgres                   # a throwaway PostgreSQL
    python benchmarks/soak.py --conversations 100 --concurrency 10    # a shorter one
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ssl
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

QUESTIONS = [
    "What are your opening hours?", "How do I reset my password?", "Do you ship abroad?",
    "What payment methods do you accept?", "Can I change my delivery address?",
]  # fmt: skip
HANDOFF = "I want to talk to a person please"
MESSAGES_PER_CONVERSATION = 10


@dataclass
class Memory:
    """RSS samples of one process: (seconds since start, conversations done, RSS in MB)."""

    pid: int
    samples: list[tuple[float, int, float]] = field(default_factory=list)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for process {self.pid}")

    def at(self, done: int) -> float:
        """RSS at the first sample taken once ``done`` conversations had finished."""
        return next(rss for _, finished, rss in self.samples if finished >= done)


def script(n: int) -> tuple[list[str], bool]:
    """Conversation ``n``'s ten messages, and whether it escalates (every other one does)."""
    asked = [QUESTIONS[(n + i) % len(QUESTIONS)] for i in range(MESSAGES_PER_CONVERSATION)]
    if n % 2:
        return asked, False
    return [*asked[:2], HANDOFF, f"It's about order A-{n}", "Thanks, I'll wait", *asked[5:]], True


@dataclass
class Soak:
    client: httpx2.AsyncClient
    desk: httpx2.AsyncClient
    csrf: str
    memory: Memory
    done: int = 0
    chats: dict[int, tuple[str, str]] = field(default_factory=dict)  # n -> (conversation id, token)

    async def conversation(self, n: int) -> None:
        created = (await self.client.post("/api/conversations", json={"name": f"Soak user {n}"})).raise_for_status()
        chat_id, token = created.json()["id"], created.json()["token"]
        self.chats[n] = (chat_id, token)
        sent, escalates = script(n)
        for i, text in enumerate(sent):
            if escalates and i == 5:
                await self.person_answers_and_closes(chat_id)
            await self.say(chat_id, token, text)
        self.done += 1

    async def say(self, chat_id: str, token: str, text: str) -> None:
        response = await self.client.post(
            f"/api/conversations/{chat_id}/messages", json={"text": text}, headers={"X-Conversation-Token": token}
        )
        response.raise_for_status()

    async def person_answers_and_closes(self, chat_id: str) -> None:
        ticket = await self.ticket_of(chat_id)
        headers = {"X-CSRF-Token": self.csrf}
        for action, body in (("claim", {}), ("reply", {"text": "Hi, Ana here. Sorted!"}), ("close", None)):
            url = f"/api/desk/tickets/{ticket}/{action}"
            (await self.desk.post(url, json=body, headers=headers)).raise_for_status()

    async def ticket_of(self, chat_id: str) -> str:
        """The open ticket of the conversation (the desk may open it just after the handoff's answer)."""
        for _ in range(600):
            open_tickets = (await self.desk.get("/api/desk/tickets", params={"status": "open"})).raise_for_status()
            found = [t["id"] for t in open_tickets.json()["tickets"] if t["conversation_id"] == chat_id]
            if found:
                return str(found[0])
            await asyncio.sleep(0.1)
        raise AssertionError(f"no open ticket for {chat_id} after its handoff")

    async def sample_memory(self, every: float) -> None:
        started = time.monotonic()
        while True:
            self.memory.samples.append((time.monotonic() - started, self.done, self.memory.rss_mb()))
            await asyncio.sleep(every)


async def bounded(jobs: Sequence[int], concurrency: int, work: Soak) -> None:
    """``concurrency`` conversations at a time, the next starting as soon as one ends."""
    queue = list(reversed(jobs))

    async def worker() -> None:
        while queue:
            await work.conversation(queue.pop())

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())


async def check(soak: Soak, conversations: int) -> tuple[int, int]:
    """Every message once and in order; one closed ticket per escalating conversation, none for the others.
    Returns (messages checked, tickets)."""
    checked = 0
    for n, (chat_id, token) in sorted(soak.chats.items()):
        headers = {"X-Conversation-Token": token}
        history = (await soak.client.get(f"/api/conversations/{chat_id}/messages", headers=headers)).raise_for_status()
        stored = [m["text"] for m in history.json()["messages"] if m["role"] == "user"]
        sent, _ = script(n)
        assert stored == sent, f"conversation {n}: stored {stored}, sent {sent}"
        checked += len(stored)
    tickets = (await soak.desk.get("/api/desk/tickets", params={"status": "all"})).raise_for_status().json()["tickets"]
    by_chat: dict[str, list[str]] = {}
    for ticket in tickets:
        by_chat.setdefault(ticket["conversation_id"], []).append(ticket["status"])
    for n, (chat_id, _) in soak.chats.items():
        want = ["closed"] if script(n)[1] else None
        assert by_chat.get(chat_id) == want, f"conversation {n} ({chat_id}): tickets {by_chat.get(chat_id)}"
    assert len(soak.chats) == conversations
    return checked, len(tickets)


async def soak(url: str, login: str, pid: int, conversations: int, concurrency: int, warmup: int) -> Memory:
    tls = ssl.create_default_context()
    limits = httpx2.Limits(max_connections=concurrency + 2, keepalive_expiry=1.0)  # 1 s: see load_webchat.py
    async with (
        httpx2.AsyncClient(base_url=url, timeout=120.0, verify=tls, limits=limits) as client,
        httpx2.AsyncClient(base_url=url, timeout=120.0, verify=tls, limits=limits) as desk,
    ):
        name, _, password = login.partition(":")
        session = (await desk.post("/api/desk/login", json={"name": name, "password": password})).raise_for_status()
        work = Soak(client, desk, session.json()["csrf_token"], Memory(pid))
        sampler = asyncio.create_task(work.sample_memory(1.0))
        started = time.perf_counter()
        try:
            await bounded(range(conversations), concurrency, work)
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
        elapsed = time.perf_counter() - started
        work.memory.samples.append((elapsed, work.done, work.memory.rss_mb()))
        messages, tickets = await check(work, conversations)
    print(f"{conversations} conversations, {messages} messages in {elapsed:.0f} s ({messages / elapsed:.0f}/s), "
          f"{concurrency} at a time: every message stored once and in order; {tickets} tickets, one per escalating "
          f"conversation, all closed")  # fmt: skip
    return work.memory


def report(memory: Memory, conversations: int, warmup: int, bound: float) -> bool:
    start, warm, half, end = memory.samples[0][2], memory.at(warmup), memory.at(conversations // 2), memory.at(
        conversations
    )
    peak = max(rss for _, _, rss in memory.samples)
    growth = end - warm
    flat = growth <= bound
    print(f"RSS: {start:.1f} MB at start, {warm:.1f} MB after {warmup} conversations (warm-up), {half:.1f} MB at "
          f"{conversations // 2}, {end:.1f} MB at the end (peak {peak:.1f}); growth after warm-up {growth:+.1f} MB, "
          f"{'within' if flat else 'OVER'} the {bound:g} MB bound")  # fmt: skip
    return flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1000, help="ten messages each (default 1000)")
    parser.add_argument("--concurrency", type=int, default=20, help="conversations at a time (default 20)")
    parser.add_argument("--temp-postgres", action="store_true", help="on a throwaway PostgreSQL (default SQLite)")
    parser.add_argument("--rss-bound", type=float, default=16.0, metavar="MB", help="allowed growth after warm-up")
    parser.add_argument("--serve-args", default="", help="extra arguments for agentkit serve")
    args = parser.parse_args()
    warmup = max(1, args.conversations // 10)
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # load_webchat.py is a sibling script, not a package
    from load_webchat import own_server

    with contextlib.ExitStack() as stack:
        db = None
        if args.temp_postgres:
            from agentkit.testing import TemporaryPostgres

            db = stack.enter_context(TemporaryPostgres()).url
        pids: list[int] = []
        (url,), login = stack.enter_context(own_server(db, 1, args.serve_args.split(), pids))
        print(f"agentkit serve on {'PostgreSQL' if db else 'SQLite'}, process {pids[0]}")
        memory = asyncio.run(soak(url, login, pids[0], args.conversations, args.concurrency, warmup))
    if not report(memory, args.conversations, warmup, args.rss_bound):
        raise SystemExit("FAILED: the server's memory grew past the bound")


if __name__ == "__main__":
    main()
