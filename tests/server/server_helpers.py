"""Helpers for the server tests: an agent on the embedded desk with SQLite files, the app in front of it, and a
client per person (each with its own cookies)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from starlette.applications import Starlette

from agentkit.desk import LocalDesk
from agentkit.hitl import DeskHitl
from agentkit.models import Model
from agentkit.runtime import Agent
from agentkit.server import DatabaseServerStore, create_app

SECRET = "test-secret-key-0123456789abcdef"
FAST = 14
"""scrypt N=2**14 for the tests' accounts: the default 2**17 costs a second or two per hash on a busy machine."""
PASSWORD = "correct horse battery"
USER = {"name": "Jo Doe", "email": "jo@example.com"}


def desk_agent(tmp_path: Path, model: Model | str = "offline", name: str = "support", **plugins: Any) -> Agent:
    desk = DeskHitl(tmp_path / "desk.sqlite3", poll_interval=0.05)
    return Agent(name, model, plugins={"desk-hitl": desk, **plugins}, store=f"sqlite:///{tmp_path}/bot.db")


@dataclass
class Harness:
    agent: Agent
    desk: LocalDesk
    store: DatabaseServerStore
    app: Starlette
    transport: httpx2.ASGITransport

    def client(self) -> httpx2.AsyncClient:
        """A new browser: its own cookie jar."""
        return httpx2.AsyncClient(transport=self.transport, base_url="http://127.0.0.1")


@asynccontextmanager
async def harness(
    tmp_path: Path, model: Model | str = "offline", app_options: dict[str, Any] | None = None, **plugins: Any
) -> AsyncIterator[Harness]:
    """The app over ASGI (no lifespan: the test owns the agent); desk agents ana and ben exist. ``app_options``:
    more arguments of ``create_app``."""
    agent = desk_agent(tmp_path, model, **plugins)
    store = DatabaseServerStore(tmp_path / "server.sqlite3", password_cost=FAST)
    await store.add_agent("ana", PASSWORD)
    await store.add_agent("ben", PASSWORD)
    options = {"poll_interval": 0.05, **(app_options or {})}
    app = create_app(agent, secret_key=SECRET, store=store, manage_agent=False, **options)
    try:
        async with agent:
            desk = agent.plugins["desk-hitl"].desk
            yield Harness(agent, desk, store, app, httpx2.ASGITransport(app=app))
    finally:
        await store.aclose()


async def sign_in(client: httpx2.AsyncClient, name: str = "ana") -> str:
    """Sign ``client`` in; returns the session's CSRF token."""
    response = await client.post("/api/desk/login", json={"name": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


async def start_chat(client: httpx2.AsyncClient, **user: str) -> tuple[str, dict[str, str]]:
    """A new conversation; returns its id and the header that opens it."""
    response = await client.post("/api/conversations", json=user or USER)
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], {"X-Conversation-Token": body["token"]}


async def say(client: httpx2.AsyncClient, conversation: tuple[str, dict[str, str]], text: str) -> list[Any]:
    conversation_id, headers = conversation
    response = await client.post(f"/api/conversations/{conversation_id}/messages", json={"text": text},
                                 headers=headers)  # fmt: skip
    assert response.status_code == 200, response.text
    return [(m["role"], m["text"]) for m in response.json()["messages"]]


def read_banner(process: subprocess.Popen[str]) -> list[str]:
    """What ``agentkit serve`` printed (stdout and stderr merged) up to its last banner line ("Ctrl-C ..."), read
    with no time bound (a loaded machine starts it late); AssertionError with what it printed if it exits first."""
    assert process.stdout is not None
    banner: list[str] = []
    while not (banner and banner[-1].startswith("Ctrl-C")):
        line = process.stdout.readline()
        assert line, "agentkit serve did not start:\n" + "\n".join(banner)
        banner.append(line.rstrip("\n"))
    return banner
