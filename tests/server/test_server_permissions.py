"""Nobody changes what is not theirs: every state-changing route, without a session, with a bad or another
session's CSRF token, with a forged cookie, with another conversation's token, answers 401 or 403, and the desk
and the conversations are exactly as they were."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from agentkit.desk import SessionSigner
from agentkit.models import ScriptedModel, call

from .server_helpers import SECRET, Harness, harness, say, sign_in, start_chat

DESK_WRITES = [
    ("/api/desk/tickets/1/claim", None),
    ("/api/desk/tickets/1/reply", {"text": "Give me your password"}),
    ("/api/desk/tickets/1/close", None),
    ("/api/desk/logout", None),
]


async def _snapshot(h: Harness, conversations: list[str]) -> Any:
    tickets = [(t.status, t.assignee, t.messages) for t in await h.desk.tickets()]
    histories = [[(m.role, m.text) for m in await h.agent.history(c)] for c in conversations]
    return tickets, histories


class World:
    """Two users (their own conversations and tokens), one ticket (from Jo's escalation), two desk agents."""

    def __init__(self, h: Harness) -> None:
        self.h = h

    async def setup(self, jo: httpx2.AsyncClient, max: httpx2.AsyncClient, ana: httpx2.AsyncClient) -> None:
        self.jo_chat = await start_chat(jo)
        self.max_chat = await start_chat(max, name="Max")
        await say(jo, self.jo_chat, "I want to talk to a person")
        await say(max, self.max_chat, "hi")
        self.ana_csrf = await sign_in(ana)
        self.before = await self.snapshot()

    async def snapshot(self) -> Any:
        return await _snapshot(self.h, [self.jo_chat[0], self.max_chat[0]])


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel([call("handToSupport", reason="Customer asks for a person", priority="high"), "Hi Max!"])


async def test_desk_changes_need_a_session_and_its_csrf_token(tmp_path: Path, model: ScriptedModel) -> None:
    async with harness(tmp_path, model) as h, h.client() as jo, h.client() as mx, h.client() as ana, \
            h.client() as ben, h.client() as stranger:  # fmt: skip
        world = World(h)
        await world.setup(jo, mx, ana)
        ben_csrf = await sign_in(ben, "ben")
        forged = _forged_cookie(ana.cookies["agentkit_desk"], "ben")
        for path, body in DESK_WRITES:
            attempts = [
                (stranger, {}, 401),                                       # no session
                (stranger, {"X-CSRF-Token": world.ana_csrf}, 401),         # a CSRF token alone is not a session
                (stranger, world.jo_chat[1], 401),                         # a conversation token opens no desk
                (ana, {}, 403),                                            # session, no CSRF token
                (ana, {"X-CSRF-Token": "guess"}, 403),                     # session, wrong CSRF token
                (ana, {"X-CSRF-Token": ben_csrf}, 403),                    # another session's CSRF token
            ]  # fmt: skip
            for client, headers, status in attempts:
                response = await client.post(path, json=body, headers=headers)
                assert response.status_code == status, (path, headers, response.text)
                assert "error" in response.json()
            headers = {"X-CSRF-Token": world.ana_csrf, "Cookie": f"agentkit_desk={forged}"}
            tampered = await stranger.post(path, json=body, headers=headers)
            assert tampered.status_code == 401
        assert await world.snapshot() == world.before
        assert (await ana.get("/api/desk/session")).status_code == 200  # still signed in: logout was refused too


async def test_conversation_changes_need_that_conversations_token(tmp_path: Path, model: ScriptedModel) -> None:
    async with harness(tmp_path, model) as h, h.client() as jo, h.client() as mx, h.client() as ana:
        world = World(h)
        await world.setup(jo, mx, ana)
        requests_before = len(model.requests)
        path = f"/api/conversations/{world.jo_chat[0]}/messages"
        attempts = [
            (mx, {}, 401),                                                 # no token
            (mx, world.max_chat[1], 403),                                  # Max's token on Jo's conversation
            (mx, {"X-Conversation-Token": "x" * 43}, 403),                 # a guess
            (jo, {}, 401),                                                 # Jo's cookie alone cannot write (CSRF)
            (ana, {"X-CSRF-Token": world.ana_csrf}, 401),                  # a desk session opens no conversation
        ]  # fmt: skip
        for client, headers, status in attempts:
            response = await client.post(path, json={"text": "/end"}, headers=headers)
            assert response.status_code == status, (headers, response.text)
        unknown = await mx.post("/api/conversations/web-nope/messages", json={"text": "hi"}, headers=world.max_chat[1])
        assert unknown.status_code == 403
        assert await world.snapshot() == world.before
        assert len(model.requests) == requests_before  # the model was never asked


async def test_nobody_reads_what_is_not_theirs(tmp_path: Path, model: ScriptedModel) -> None:
    async with harness(tmp_path, model) as h, h.client() as jo, h.client() as mx, h.client() as ana, \
            h.client() as stranger:  # fmt: skip
        world = World(h)
        await world.setup(jo, mx, ana)
        jo_id = world.jo_chat[0]
        for suffix in ("", "/messages", "/events"):
            assert (await mx.get(f"/api/conversations/{jo_id}{suffix}", headers=world.max_chat[1])).status_code == 403
            assert (await stranger.get(f"/api/conversations/{jo_id}{suffix}")).status_code == 401
        # Jo's own cookie (set when the conversation was made) reads it: that is what EventSource uses.
        assert (await jo.get(f"/api/conversations/{jo_id}/messages")).status_code == 200
        assert (await mx.get(f"/api/conversations/{jo_id}/messages")).status_code == 401  # Max's cookie is his
        for path in ("/api/desk/session", "/api/desk/tickets", "/api/desk/tickets/1", "/api/desk/events"):
            assert (await stranger.get(path)).status_code == 401
            assert (await stranger.get(path, headers=world.jo_chat[1])).status_code == 401


async def test_an_expired_session_is_refused(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as ana:
        session_id = await h.store.start_session("ana", lifetime=12 * 3600)
        fresh, _ = SessionSigner(SECRET).issue("ana", session_id=session_id, now=time.time() - 11 * 3600)
        stale, _ = SessionSigner(SECRET).issue("ana", session_id=session_id, now=time.time() - 13 * 3600)  # 12 h
        assert (await ana.get("/api/desk/tickets", headers={"Cookie": f"agentkit_desk={fresh}"})).status_code == 200
        assert (await ana.get("/api/desk/tickets", headers={"Cookie": f"agentkit_desk={stale}"})).status_code == 401


def _forged_cookie(cookie: str, agent: str) -> str:
    """Ana's cookie with the payload rewritten to say ``agent``, and her signature kept."""
    import base64
    import json

    payload, signature = cookie.rsplit(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["a"] = agent
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{forged}.{signature}"
