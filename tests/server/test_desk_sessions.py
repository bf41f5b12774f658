"""Revocable desk sessions, tried as an attacker holding a copy of a cookie: after sign-out, a new password, the
agent's removal, with a forged future issue time, and after the idle timeout, every desk route answers 401 (the
page shows the sign-in form) and the desk is exactly as it was. The per-account throttle holds however the
client rotates X-Forwarded-For."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from agentkit.desk import LoginThrottle, SessionSigner
from agentkit.models import ScriptedModel, call
from agentkit.server import DatabaseServerStore, create_app, running_server

from .server_helpers import FAST, PASSWORD, SECRET, Harness, desk_agent, harness, say, sign_in, start_chat

NEW_PASSWORD = "a brand new passphrase"
DESK_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/desk/session", None),
    ("GET", "/api/desk/tickets", None),
    ("GET", "/api/desk/tickets/1", None),
    ("GET", "/api/desk/events", None),
    ("POST", "/api/desk/tickets/1/claim", {"takeover": True}),
    ("POST", "/api/desk/tickets/1/reply", {"text": "Send me your card number"}),
    ("POST", "/api/desk/tickets/1/close", None),
    ("POST", "/api/desk/logout", None),
]


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel([call("handToSupport", reason="Customer asks for a person", priority="high")])


async def _snapshot(h: Harness) -> Any:
    return [(t.status, t.assignee, t.messages) for t in await h.desk.tickets()]


async def _assert_refused_everywhere(h: Harness, cookie: str, csrf: str) -> None:
    """A new browser carrying only the stolen cookie and its CSRF token: nothing opens, nothing changes."""
    before = await _snapshot(h)
    async with h.client() as thief:
        headers = {"Cookie": f"agentkit_desk={cookie}", "X-CSRF-Token": csrf}
        for method, path, body in DESK_ROUTES:
            response = await thief.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (method, path, response.text)
            assert "sign in" in response.json()["error"]
        page = await thief.get("/desk", headers=headers)
        assert page.status_code == 200 and 'id="login"' in page.text and csrf not in page.text
    assert await _snapshot(h) == before


async def _signed_in_with_a_ticket(h: Harness) -> tuple[httpx2.AsyncClient, str, str]:
    user = h.client()
    await say(user, await start_chat(user), "I want to talk to a person")
    await user.aclose()
    ana = h.client()
    csrf = await sign_in(ana)
    await ana.post("/api/desk/tickets/1/claim", headers={"X-CSRF-Token": csrf})
    return ana, csrf, ana.cookies["agentkit_desk"]


async def test_sign_out_revokes_every_copy_of_the_cookie(tmp_path: Path, model: ScriptedModel) -> None:
    async with harness(tmp_path, model) as h:
        ana, csrf, cookie = await _signed_in_with_a_ticket(h)
        async with h.client() as copy:  # the same cookie, elsewhere: works until ana signs out
            stolen = {"Cookie": f"agentkit_desk={cookie}"}
            assert (await copy.get("/api/desk/session", headers=stolen)).status_code == 200
        assert (await ana.post("/api/desk/logout", headers={"X-CSRF-Token": csrf})).status_code == 204
        await _assert_refused_everywhere(h, cookie, csrf)
        await ana.aclose()


async def test_a_new_password_revokes_the_old_sessions(tmp_path: Path, model: ScriptedModel) -> None:
    async with harness(tmp_path, model) as h:
        ana, csrf, cookie = await _signed_in_with_a_ticket(h)
        await h.store.add_agent("ana", NEW_PASSWORD, replace=True)  # agentkit desk add-agent ana --replace
        await _assert_refused_everywhere(h, cookie, csrf)
        old = await ana.post("/api/desk/login", json={"name": "ana", "password": PASSWORD})
        new = await ana.post("/api/desk/login", json={"name": "ana", "password": NEW_PASSWORD})
        assert (old.status_code, new.status_code) == (401, 200)
        await ana.aclose()


async def test_removing_an_agent_revokes_its_sessions(tmp_path: Path, model: ScriptedModel) -> None:
    async with harness(tmp_path, model) as h:
        ana, csrf, cookie = await _signed_in_with_a_ticket(h)
        assert await h.store.remove_agent("ana") and not await h.store.remove_agent("ana")
        await _assert_refused_everywhere(h, cookie, csrf)
        assert (await ana.post("/api/desk/login", json={"name": "ana", "password": PASSWORD})).status_code == 401
        assert await h.store.agent_names() == ["ben"]
        await ana.aclose()


async def test_a_cookie_issued_in_the_future_is_refused(tmp_path: Path, model: ScriptedModel) -> None:
    async with harness(tmp_path, model) as h:
        ana, csrf, _cookie = await _signed_in_with_a_ticket(h)
        session_id = await h.store.start_session("ana", lifetime=12 * 3600)  # even with an open session behind it
        future, session = SessionSigner(SECRET).issue("ana", session_id=session_id, now=time.time() + 86400)
        await _assert_refused_everywhere(h, future, session.csrf)
        await ana.aclose()


async def test_an_idle_session_ends(tmp_path: Path, model: ScriptedModel) -> None:
    async with harness(tmp_path, model, app_options={"session_idle_timeout": 0.3}) as h:
        ana, csrf, cookie = await _signed_in_with_a_ticket(h)
        assert (await ana.get("/api/desk/session")).status_code == 200
        await asyncio.sleep(0.5)
        await _assert_refused_everywhere(h, cookie, csrf)
        await ana.aclose()


async def test_rotating_x_forwarded_for_does_not_escape_the_account_throttle(tmp_path: Path) -> None:
    """uvicorn believes X-Forwarded-For from a loopback peer, so each try below comes from a "new" address: the
    per-address count never grows, but the account's does."""
    store = DatabaseServerStore(tmp_path / "server.sqlite3", password_cost=FAST)
    await store.add_agent("ana", PASSWORD)
    throttle = LoginThrottle(free_failures=3, max_backoff=30)
    app = create_app(desk_agent(tmp_path), secret_key=SECRET, store=store, login_throttle=throttle)
    async with running_server(app) as url, httpx2.AsyncClient(base_url=url) as attacker:
        statuses = []
        for i in range(10):
            headers = {"X-Forwarded-For": f"203.0.113.{i}"}
            response = await attacker.post("/api/desk/login", json={"name": "ana", "password": f"guess {i}"},
                                           headers=headers)  # fmt: skip
            statuses.append(response.status_code)
        assert statuses == [401, 401, 401] + [429] * 7  # guesses 4 to 10 were never checked
        victim = await attacker.post("/api/desk/login", json={"name": "ana", "password": PASSWORD},
                                     headers={"X-Forwarded-For": "198.51.100.7"})  # fmt: skip
        assert victim.status_code == 429 and 0 < int(victim.headers["retry-after"]) <= 30  # a wait, not a lock
    await store.aclose()
