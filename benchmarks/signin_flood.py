"""Webchat message latency while the desk's sign-in is flooded with wrong passwords, against idle.

Password hashes (scrypt N=2**17) run on two threads of their own, so a flood queues there and the webchat's database
calls keep the default pool. The throttles are turned off here to measure that isolation alone (with them on, a
flood from one address meets 429s after a few tries and costs nearly nothing).

    python benchmarks/signin_flood.py [--messages 40] [--flooders 32]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx2

from agentkit import Agent
from agentkit.desk import LoginThrottle
from agentkit.hitl import DeskHitl
from agentkit.server import DatabaseServerStore, ServerThread, WebchatQuotas, create_app

NO_THROTTLE = LoginThrottle(free_failures=10**9, per_address=10**9, global_limit=10**9)


async def _latencies(client: httpx2.AsyncClient, count: int) -> list[float]:
    created = (await client.post("/api/conversations", json={"name": "Jo"})).json()
    headers, path = {"X-Conversation-Token": created["token"]}, f"/api/conversations/{created['id']}/messages"
    timings = []
    for i in range(count):
        started = time.perf_counter()
        response = await client.post(path, json={"text": f"where is my order {i}?"}, headers=headers)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return timings


async def _flood(client: httpx2.AsyncClient, stop: asyncio.Event, counts: list[int]) -> None:
    while not stop.is_set():
        response = await client.post("/api/desk/login", json={"name": "ana", "password": "not the password"})
        counts.append(response.status_code)


def _summary(label: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"{label:<22} median {statistics.median(timings) * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms"


async def main(messages: int, flooders: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        store = DatabaseServerStore(data / "server.sqlite3")
        await store.add_agent("ana", "a long enough passphrase")
        agent = Agent("support", "offline", plugins={"desk-hitl": DeskHitl(data / "desk.sqlite3")},
                      store=f"sqlite:///{data}/bot.db")  # fmt: skip
        app = create_app(agent, secret_key="benchmark-secret-key-0123456789", store=store, login_throttle=NO_THROTTLE,
                         quotas=WebchatQuotas.unlimited())  # fmt: skip
        with ServerThread(app) as server:
            async with httpx2.AsyncClient(base_url=server.base_url, timeout=600) as chat, \
                    httpx2.AsyncClient(base_url=server.base_url, timeout=600) as attacker:  # fmt: skip
                await _latencies(chat, 5)  # warm up
                idle = await _latencies(chat, messages)
                stop, counts = asyncio.Event(), []
                flood = [asyncio.create_task(_flood(attacker, stop, counts)) for _ in range(flooders)]
                await asyncio.sleep(2)  # the flood is under way
                during = await _latencies(chat, messages)
                stop.set()
                await asyncio.gather(*flood)
        await store.aclose()
    print(_summary("idle", idle))
    print(_summary(f"{flooders} sign-in flooders", during))
    print(f"sign-in attempts during the run: {len(counts)} ({counts.count(401)} answered 401)")
    print(f"ratio of medians: {statistics.median(during) / statistics.median(idle):.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--flooders", type=int, default=32)
    options = parser.parse_args()
    asyncio.run(main(options.messages, options.flooders))
