"""Live updates through a real uvicorn server on 127.0.0.1: the user's event stream carries the bot's, the
person's and the notices' messages as they happen, and resumes after the last one seen; the desk's stream names
the tickets that changed; shutting down with streams open does not hang."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx2

from agentkit.hitl import SessionConfig
from agentkit.server import DatabaseServerStore, create_app, running_server

from .server_helpers import FAST, PASSWORD, SECRET, desk_agent

DEFAULTS = SessionConfig()


async def _events(response: httpx2.Response) -> AsyncIterator[tuple[str, Any, str | None]]:
    """``(event, data, id)`` of a server-sent event stream (keepalive comments skipped)."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "" and "event" in fields:
            yield fields["event"], json.loads(fields["data"]), fields.get("id")
            fields = {}
        elif line and not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


async def _next(events: AsyncIterator[tuple[str, Any, str | None]], count: int = 1) -> list[Any]:
    async with asyncio.timeout(5):
        return [await anext(events) for _ in range(count)]


async def _served(tmp_path: Path, poll_interval: float = 0.05) -> tuple[Any, DatabaseServerStore]:
    store = DatabaseServerStore(tmp_path / "server.sqlite3", password_cost=FAST)
    await store.add_agent("ana", PASSWORD)
    app = create_app(desk_agent(tmp_path), secret_key=SECRET, store=store, poll_interval=poll_interval)
    return app, store


async def test_the_user_sees_the_person_join_write_and_leave_live(tmp_path: Path) -> None:
    app, store = await _served(tmp_path)
    async with running_server(app) as url, httpx2.AsyncClient(base_url=url) as user, \
            httpx2.AsyncClient(base_url=url) as ana:  # fmt: skip
        created = (await user.post("/api/conversations", json={"name": "Jo"})).json()
        token = {"X-Conversation-Token": created["token"]}
        messages = f"/api/conversations/{created['id']}/messages"
        async with user.stream("GET", f"/api/conversations/{created['id']}/events", headers=token) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = _events(stream)
            await user.post(messages, json={"text": "I want to talk to a person"}, headers=token)
            said = await _next(events, 2)
            assert [(e, d["role"], d["text"]) for e, d, _ in said] == [
                ("message", "user", "I want to talk to a person"),
                ("message", "system", DEFAULTS.on_hitl_handoff_message)]  # fmt: skip
            csrf = (await ana.post("/api/desk/login", json={"name": "ana", "password": PASSWORD})).json()["csrf_token"]
            await ana.post("/api/desk/tickets/1/claim", headers={"X-CSRF-Token": csrf})
            await ana.post("/api/desk/tickets/1/reply", json={"text": "Ana here."}, headers={"X-CSRF-Token": csrf})
            await ana.post("/api/desk/tickets/1/close", headers={"X-CSRF-Token": csrf})
            live = await _next(events, 3)
            assert [(d["role"], d["text"], d["agent_name"]) for _, d, _ in live] == [
                ("system", DEFAULTS.agent_assigned_message, "ana"),
                ("agent", "Ana here.", "ana"),
                ("system", DEFAULTS.session_ended_message, None)]  # fmt: skip
            last_seen = said[-1][2]

        # Back after a lost connection: only what came after the last message seen, in order.
        resumed = {"Last-Event-ID": str(last_seen), **token}
        async with user.stream("GET", f"/api/conversations/{created['id']}/events", headers=resumed) as stream:
            again = await _next(_events(stream), 3)
            assert [d["text"] for _, d, _ in again] == [d["text"] for _, d, _ in live]
    await store.aclose()


async def test_the_desk_stream_names_new_and_changed_tickets(tmp_path: Path) -> None:
    """Pushed, not polled: the stream would read the event log only once an hour, so every change below arrives
    because the desk's event (ticket created, user message, agent's close) woke it."""
    app, store = await _served(tmp_path, poll_interval=3600)
    async with running_server(app) as url, httpx2.AsyncClient(base_url=url) as user, \
            httpx2.AsyncClient(base_url=url) as ana:  # fmt: skip
        csrf = (await ana.post("/api/desk/login", json={"name": "ana", "password": PASSWORD})).json()["csrf_token"]
        async with ana.stream("GET", "/api/desk/events") as stream:
            events = _events(stream)
            assert await _next(events) == [("ready", {"tickets": []}, None)]
            created = (await user.post("/api/conversations", json={})).json()
            token = {"X-Conversation-Token": created["token"]}
            await user.post(f"/api/conversations/{created['id']}/messages", json={"text": "my account was hacked"},
                            headers=token)  # fmt: skip
            assert await _next(events) == [("tickets", {"changed": ["1"]}, None)]  # a new ticket
            await user.post(f"/api/conversations/{created['id']}/messages", json={"text": "please hurry"},
                            headers=token)  # fmt: skip
            assert await _next(events) == [("tickets", {"changed": ["1"]}, None)]  # the user wrote on it
            await ana.post("/api/desk/tickets/1/close", headers={"X-CSRF-Token": csrf})
            assert await _next(events) == [("tickets", {"changed": ["1"]}, None)]
    await store.aclose()


async def test_shutdown_ends_open_streams(tmp_path: Path) -> None:
    app, store = await _served(tmp_path)
    async with AsyncExitStack() as stack:
        ana = await stack.enter_async_context(httpx2.AsyncClient())
        async with running_server(app) as url:
            await ana.post(f"{url}/api/desk/login", json={"name": "ana", "password": PASSWORD})
            stream = await stack.enter_async_context(ana.stream("GET", f"{url}/api/desk/events"))
            events = _events(stream)
            await _next(events)
            started = time.monotonic()
        # uvicorn waits for open responses before it stops; the server ended the stream, so it did not wait.
        assert time.monotonic() - started < 3
        async with asyncio.timeout(2):
            assert [event async for event in events] == []
    await store.aclose()
