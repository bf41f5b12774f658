"""Input edges, route by route, as an attacker would try them: NUL characters, huge and malformed ids, JSON nested
too deep, NaN timestamps, slow bodies. Each is refused with a 4xx that says what to fix (never a 500), and the
store is exactly as it was: no conversation, message, ticket or event was added by a refused request."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from agentkit.hitl import HitlPlugin, WebhookProvider, sign_agentkit
from agentkit.testing import FakeWebhookReceiver

from .server_helpers import PASSWORD, harness, say, sign_in, start_chat
from .store_counts import row_counts

HUGE_IDS = ["12345678901234567890", "99999999999999999999999999", "-1", "1e9", "0x10", "%00", "1%00", "%20"]


async def test_nul_characters_are_refused_on_every_json_body(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as user, h.client() as desk:
        chat = await start_chat(user)
        await say(user, chat, "I want to talk to a person")
        csrf = await sign_in(desk)
        [ticket] = await h.desk.tickets()
        await desk.post(f"/api/desk/tickets/{ticket.id}/claim", headers={"X-CSRF-Token": csrf})
        conversation_id, token = chat
        attempts: list[tuple[Any, str, dict[str, Any], dict[str, str]]] = [
            (user, "/api/conversations", {"name": "Jo\u0000Doe"}, {}),
            (user, "/api/conversations", {"name": "Jo", "email": "jo@example.com\u0000"}, {}),
            (user, f"/api/conversations/{conversation_id}/messages", {"text": "hi\u0000there"}, token),
            (desk, "/api/desk/login", {"name": "ana\u0000", "password": PASSWORD}, {}),
            (desk, "/api/desk/login", {"name": "ana", "password": "\u0000" + PASSWORD}, {}),
            (desk, f"/api/desk/tickets/{ticket.id}/reply", {"text": "on it\u0000"}, {"X-CSRF-Token": csrf}),
        ]
        for client, path, body, headers in attempts:
            before = row_counts(tmp_path)
            response = await client.post(path, json=body, headers=headers)
            assert response.status_code == 422, (path, response.text)
            assert "NUL" in response.json()["error"]
            assert row_counts(tmp_path) == before, path


async def test_the_nul_check_reads_the_escape_not_the_text_that_spells_it(tmp_path: Path) -> None:
    """read_json looks for NUL characters only when the body holds the escape ``\\u0000`` (the one way JSON can
    carry one): a NUL escape written by hand is still refused; a message that spells the six characters is kept."""
    async with harness(tmp_path) as h, h.client() as user:
        conversation_id, token = await start_chat(user)
        url = f"/api/conversations/{conversation_id}/messages"
        headers = {**token, "Content-Type": "application/json"}
        refused = await user.post(url, content=b'{"text":"a\\u0000"}', headers=headers)
        assert refused.status_code == 422 and "NUL" in refused.json()["error"]
        spelt = "the escape is \\u0000"
        kept = await user.post(url, json={"text": spelt}, headers=token)
        assert kept.status_code == 200, kept.text
        history = (await user.get(url, headers=token)).json()["messages"]
        assert [m["text"] for m in history if m["role"] == "user"] == [spelt]


@pytest.mark.parametrize("bad_id", HUGE_IDS)
async def test_a_huge_or_malformed_ticket_id_is_404_on_every_ticket_route(tmp_path: Path, bad_id: str) -> None:
    async with harness(tmp_path) as h, h.client() as user, h.client() as desk:
        await say(user, await start_chat(user), "I want to talk to a person")
        csrf = {"X-CSRF-Token": await sign_in(desk)}
        before = row_counts(tmp_path)
        base = f"/api/desk/tickets/{bad_id}"
        answers = [await desk.get(base)] + [
            await desk.post(f"{base}/{action}", json=body, headers=csrf)
            for action, body in (("claim", None), ("reply", {"text": "hello"}), ("close", None))
        ]
        assert [a.status_code for a in answers] == [404, 404, 404, 404], [a.text for a in answers]
        assert all("error" in a.json() for a in answers)
        assert row_counts(tmp_path) == before
        assert len(await h.desk.tickets()) == 1


@pytest.mark.parametrize("bad_id", ["web-%00", "%00", "a" * 200, "web-x%2F..", "web x"])
async def test_a_malformed_conversation_id_is_404_on_every_webchat_route(tmp_path: Path, bad_id: str) -> None:
    async with harness(tmp_path) as h, h.client() as user:
        _, token = await start_chat(user)
        before = row_counts(tmp_path)
        base = f"/api/conversations/{bad_id}"
        answers = [await user.get(base, headers=token), await user.get(f"{base}/messages", headers=token),
                   await user.post(f"{base}/messages", json={"text": "hi"}, headers=token),
                   await user.get(f"{base}/events", headers=token)]  # fmt: skip
        assert [a.status_code for a in answers] == [404, 404, 404, 404], [a.text for a in answers]
        assert row_counts(tmp_path) == before


async def test_json_nested_too_deep_is_refused_not_a_500(tmp_path: Path) -> None:
    deep = '{"text": ' + "[" * 30_000 + "]" * 30_000 + "}"  # under the 64 KiB cap
    async with harness(tmp_path) as h, h.client() as user:
        conversation_id, token = await start_chat(user)
        before = row_counts(tmp_path)
        for path, headers in (("/api/conversations", {}), (f"/api/conversations/{conversation_id}/messages", token)):
            response = await user.post(path, content=deep, headers={**headers, "Content-Type": "application/json"})
            assert response.status_code == 422, response.text
        assert row_counts(tmp_path) == before


async def test_webhooks_refuse_deep_json_nul_and_nan_timestamps_through_the_app(tmp_path: Path) -> None:
    async with FakeWebhookReceiver() as fake:
        hook = HitlPlugin(WebhookProvider(fake.url + "/hooks", "wh-secret"))
        async with harness(tmp_path, hook=hook) as h, h.client() as user, h.client() as helpdesk:
            chat = await start_chat(user)
            await say(user, chat, "hello")
            started = await hook.actions.start_hitl(conversation_id=chat[0], title="Billing question")
            session_id = started.session.session_id or ""
            message = fake.message(session_id, "Ana here")
            cases = {
                "deep": (str(int(time.time())), b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400),
                "nul": (str(int(time.time())), json.dumps(fake.message(session_id, "Ana\u0000here")).encode(), 422),
                "nan": ("NaN", json.dumps(message).encode(), 400),
                "inf": ("inf", json.dumps(message).encode(), 400),
            }
            for name, (stamp, body, status) in cases.items():
                before = row_counts(tmp_path)
                headers = {
                    "X-Agentkit-Timestamp": stamp,
                    "X-Agentkit-Signature": sign_agentkit("wh-secret", stamp, body),
                }
                response = await helpdesk.post("/webhooks/hook", content=body, headers=headers)
                assert response.status_code == status, (name, response.text)
                assert row_counts(tmp_path) == before, name


async def test_a_body_that_never_finishes_arriving_is_408(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from agentkit.desk import _web

    monkeypatch.setattr(_web, "BODY_TIMEOUT", 0.2)

    async def trickle() -> Any:
        yield b'{"name": '
        await asyncio.sleep(30)  # a client that stops sending
        yield b'"Jo"}'

    async with harness(tmp_path) as h, h.client() as user:
        before = row_counts(tmp_path)
        response = await user.post(
            "/api/conversations", content=trickle(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 408
        assert row_counts(tmp_path) == before


async def test_a_flood_of_forged_webhooks_logs_one_info_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with FakeWebhookReceiver() as fake:
        hook = HitlPlugin(WebhookProvider(fake.url + "/hooks", "wh-secret"))
        async with harness(tmp_path, hook=hook) as h, h.client() as attacker:
            caplog.set_level("INFO", logger="agentkit.hitl")
            for n in range(50):
                headers, body = fake.signed_webhook(fake.message("ws_1", f"forged {n}"), secret="guessed")
                assert (await attacker.post("/webhooks/hook", content=body, headers=headers)).status_code == 401
    rejected = [r for r in caplog.records if "webhook rejected" in r.getMessage()]
    assert len(rejected) == 1 and rejected[0].levelname == "INFO"


async def test_the_desk_sees_the_dead_letters(tmp_path: Path) -> None:
    from agentkit.hitl import MemoryHitl, ProviderError

    memory = MemoryHitl()
    memory.fail_next(*[ProviderError("memory: 503", retryable=True, provider="memory") for _ in range(5)])
    hook = HitlPlugin(memory, retry_attempts=1, max_attempts=1, retry_initial_delay=0.01)
    async with harness(tmp_path, memo=hook) as h, h.client() as user, h.client() as desk:
        chat = await start_chat(user)
        with pytest.raises(ProviderError):
            await hook.actions.start_hitl(conversation_id=chat[0], title="Billing question")
        assert (await desk.get("/api/desk/outbox")).status_code == 401
        await sign_in(desk)
        [letter] = (await desk.get("/api/desk/outbox")).json()["letters"]
        assert (letter["plugin"], letter["conversation_id"], letter["kind"], letter["attempts"]) == (
            "memo", chat[0], "start", 1)  # fmt: skip
        assert "memory: 503" in letter["last_error"]
