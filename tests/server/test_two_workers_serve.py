"""Two ``agentkit serve`` workers on one PostgreSQL database (``--db``), as behind a load balancer.

One webchat conversation is sent alternately to worker A and worker B, and escalated on both at once. What the user
and the desk would notice: every message stored once and in order, one ticket, and a human's reply made on worker B
reaching the live stream the user opened on worker A.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx2
import pytest

from agentkit.testing import TemporaryPostgres

from .server_helpers import read_banner

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "support_bot.py"
AGENTKIT = [sys.executable, "-c", "from agentkit.cli import main; raise SystemExit(main())"]
PASSWORD = "two-workers-pw"
HANDOFF = "I want to talk to a person"


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTKIT_")}
    return {**env, "PYTHONUNBUFFERED": "1", "AGENTKIT_MODEL": "offline"}


def _start(url: str, data: Path, *flags: str) -> tuple[subprocess.Popen[str], str]:
    """``agentkit serve`` on a free port; returns the process and its base URL, read from its banner."""
    process = subprocess.Popen(
        [*AGENTKIT, "serve", str(EXAMPLE), "--db", url, "--port", "0", "--data", str(data), "--log-level", "warning",
         *flags],
        cwd=data, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    banner = read_banner(process)
    match = next(m for line in banner if (m := re.search(r"^\s+webchat\s+(http://\S+?)/?$", line)))
    return process, match.group(1)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture
def workers(postgres: TemporaryPostgres, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two workers, each with its own data folder, on one fresh PostgreSQL schema; yields their base URLs."""
    with postgres.fresh_schema() as url, ExitStack() as stack:
        done = subprocess.run([*AGENTKIT, "desk", "add-agent", "ana", "--password", PASSWORD, "--db", url],
                              env=_environment(), capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        urls = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            process, base = _start(url, tmp_path / name)
            stack.callback(_stop, process)
            urls.append(base)
        yield urls[0], urls[1]


async def _say(client: httpx2.AsyncClient, conversation_id: str, headers: dict[str, str], text: str) -> None:
    response = await client.post(f"/api/conversations/{conversation_id}/messages", json={"text": text},
                                 headers=headers)  # fmt: skip
    assert response.status_code == 200, response.text


async def _events(response: httpx2.Response) -> AsyncIterator[dict[str, Any]]:
    """The ``message`` events of a server-sent event stream."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "" and "event" in fields:
            if fields["event"] == "message":
                yield json.loads(fields["data"])
            fields = {}
        elif line and not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


async def _desk_reply(client: httpx2.AsyncClient, conversation_id: str, text: str) -> int:
    """Sign in as ana, claim the conversation's ticket and reply; returns how many tickets the conversation has."""
    session = await client.post("/api/desk/login", json={"name": "ana", "password": PASSWORD})
    assert session.status_code == 200, session.text
    csrf = {"X-CSRF-Token": session.json()["csrf_token"]}
    listing = (await client.get("/api/desk/tickets", params={"status": "all"}, headers=csrf)).json()
    mine = [t for t in listing["tickets"] if t["conversation_id"] == conversation_id]
    for action, body in (("claim", None), ("reply", {"text": text})):
        response = await client.post(f"/api/desk/tickets/{mine[0]['id']}/{action}", json=body, headers=csrf)
        assert response.status_code == 200, response.text
    return len(mine)


async def _scenario(url_a: str, url_b: str) -> None:
    async with httpx2.AsyncClient(base_url=url_a, timeout=30) as a, httpx2.AsyncClient(base_url=url_b, timeout=30) as b:
        created = (await a.post("/api/conversations", json={"name": "Two Workers"})).json()
        conversation_id, headers = created["id"], {"X-Conversation-Token": created["token"]}
        before = ["What are your opening hours?", "How do I reset my password?", "Do you ship abroad?"]
        for client, text in zip((a, b, a), before, strict=True):
            await _say(client, conversation_id, headers, text)
        await asyncio.gather(*(_say(client, conversation_id, headers, HANDOFF) for client in (a, b)))
        after = ["It's about order A-17", "Thanks, I'll wait"]
        for client, text in zip((b, a), after, strict=True):
            await _say(client, conversation_id, headers, text)

        for client in (a, b):
            history = (await client.get(f"/api/conversations/{conversation_id}/messages", headers=headers)).json()
            users = [m["text"] for m in history["messages"] if m["role"] == "user"]
            assert users == [*before, HANDOFF, HANDOFF, *after]  # each once; the two handoffs in either order

        async with a.stream("GET", f"/api/conversations/{conversation_id}/events", headers=headers) as stream:
            assert stream.status_code == 200
            events = _events(stream)
            tickets = await _desk_reply(b, conversation_id, "Hello from the desk on worker B")
            async with asyncio.timeout(15):
                async for message in events:
                    if message["text"] == "Hello from the desk on worker B":
                        assert message["role"] == "agent" and message["agent_name"] == "ana"
                        break
        assert tickets == 1


def test_two_serve_workers_share_one_conversation(workers: tuple[str, str]) -> None:
    asyncio.run(_scenario(*workers))
