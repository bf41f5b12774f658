"""The REST API over ASGI: a user chats and asks for a person, a desk agent claims, replies and closes; the inbox
order and filters; the pages and assets; the OpenAPI document; the helpdesk webhooks."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from starlette.routing import Mount

from agentkit.desk import LoginThrottle
from agentkit.hitl import HitlPlugin, SessionConfig, WebhookProvider
from agentkit.server import api_routes
from agentkit.testing import FakeWebhookReceiver, eventually

from .server_helpers import PASSWORD, Harness, harness, say, sign_in, start_chat

DEFAULTS = SessionConfig()
HELLO = "Hello! I can help with orders, returns, billing and your account. What can I do for you?"


async def _history(h: Harness, conversation: tuple[str, dict[str, str]]) -> list[tuple[str, str]]:
    async with h.client() as client:
        response = await client.get(f"/api/conversations/{conversation[0]}", headers=conversation[1])
    assert response.status_code == 200, response.text
    return [(m["role"], m["text"]) for m in response.json()["messages"]]


async def _handoff(h: Harness, conversation: tuple[str, dict[str, str]]) -> dict[str, Any]:
    async with h.client() as client:
        response = await client.get(f"/api/conversations/{conversation[0]}", headers=conversation[1])
    handoff: dict[str, Any] = response.json()["handoff"]
    return handoff


async def test_a_person_takes_the_conversation_and_gives_it_back(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as user, h.client() as ana:
        chat = await start_chat(user, name="Jo Doe", email="jo@example.com")
        assert await say(user, chat, "hello") == [("bot", HELLO)]
        assert await say(user, chat, "I want to talk to a person") == [("system", DEFAULTS.on_hitl_handoff_message)]
        assert (await _handoff(h, chat))["state"] == "pending"

        csrf = await sign_in(ana)
        [ticket] = (await ana.get("/api/desk/tickets")).json()["tickets"]
        assert (ticket["title"], ticket["priority"], ticket["status"]) == ("User asked to talk to a person", "medium",
                                                                          "open")  # fmt: skip
        assert ticket["user"] == {"id": chat[0], "name": "Jo Doe", "email": "jo@example.com"}
        full = (await ana.get(f"/api/desk/tickets/{ticket['id']}")).json()
        assert [line["text"] for line in full["transcript"] if line["role"] == "user"] == [
            "hello", "I want to talk to a person"]  # fmt: skip
        assert "User asked to talk to a person" in full["description"]

        claimed = await ana.post(f"/api/desk/tickets/{ticket['id']}/claim", headers={"X-CSRF-Token": csrf})
        assert (claimed.json()["status"], claimed.json()["assignee"]) == ("assigned", "ana")
        assert await eventually(lambda: _has(h, chat, ("system", DEFAULTS.agent_assigned_message)))
        assert await _handoff(h, chat) == {"state": "assigned", "agent_name": "ana"}

        await ana.post(f"/api/desk/tickets/{ticket['id']}/reply", json={"text": "Hi Jo, Ana here."},
                       headers={"X-CSRF-Token": csrf})  # fmt: skip
        assert await eventually(lambda: _has(h, chat, ("agent", "Hi Jo, Ana here.")))
        assert await say(user, chat, "My parcel never came") == []  # to the person, not the model
        thread = (await ana.get(f"/api/desk/tickets/{ticket['id']}")).json()["thread"]
        assert ("user", "My parcel never came") in [(m["author"], m["text"]) for m in thread]

        closed = await ana.post(f"/api/desk/tickets/{ticket['id']}/close", headers={"X-CSRF-Token": csrf})
        assert closed.json()["status"] == "closed"
        assert await eventually(lambda: _has(h, chat, ("system", DEFAULTS.session_ended_message)))
        assert (await _handoff(h, chat))["state"] == "ended"
        assert await say(user, chat, "hello") == [("bot", HELLO)]  # the bot has the conversation again


async def _has(h: Harness, chat: tuple[str, dict[str, str]], line: tuple[str, str]) -> bool:
    return line in await _history(h, chat)


async def test_inbox_is_sorted_by_priority_then_age_and_filters(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as user, h.client() as ana:
        for text in ("I want to talk to a person", "my account was hacked", "I will sue you",
                     "Can I speak to a human?"):  # fmt: skip
            await say(user, await start_chat(user), text)
        csrf = await sign_in(ana)

        async def listed(query: str = "") -> list[tuple[str, str]]:
            tickets = (await ana.get(f"/api/desk/tickets{query}")).json()["tickets"]
            return [(t["priority"], t["id"]) for t in tickets]

        assert await listed() == [("urgent", "2"), ("high", "3"), ("medium", "1"), ("medium", "4")]
        assert await listed("?priority=medium") == [("medium", "1"), ("medium", "4")]
        await ana.post("/api/desk/tickets/4/claim", headers={"X-CSRF-Token": csrf})
        await ana.post("/api/desk/tickets/3/close", headers={"X-CSRF-Token": csrf})
        assert await listed("?status=open") == [("urgent", "2"), ("medium", "1")]
        assert await listed("?status=assigned") == [("medium", "4")]
        assert await listed("?status=closed") == [("high", "3")]
        assert await listed() == [("urgent", "2"), ("medium", "1"), ("medium", "4")]
        assert len(await listed("?status=all")) == 4
        bad = await ana.get("/api/desk/tickets?status=pending")
        assert bad.status_code == 422 and "active" in bad.json()["error"]


async def test_only_the_assignee_replies_and_closes(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as user, h.client() as ana, h.client() as ben:
        await say(user, await start_chat(user), "I want to talk to a person")
        ana_csrf, ben_csrf = await sign_in(ana, "ana"), await sign_in(ben, "ben")
        first = await ana.post("/api/desk/tickets/1/reply", json={"text": "hi"}, headers={"X-CSRF-Token": ana_csrf})
        assert first.status_code == 409 and "claim" in first.json()["error"]
        await ana.post("/api/desk/tickets/1/claim", headers={"X-CSRF-Token": ana_csrf})
        for action, body in (("reply", {"text": "mine now"}), ("close", None)):
            refused = await ben.post(f"/api/desk/tickets/1/{action}", json=body, headers={"X-CSRF-Token": ben_csrf})
            assert refused.status_code == 409 and "assigned to ana" in refused.json()["error"]
        assert (await h.desk.ticket("1")).status == "assigned"
        again = await ana.post("/api/desk/tickets/1/claim", headers={"X-CSRF-Token": ana_csrf})
        assert [m["text"] for m in again.json()["thread"]] == ["ana joined the conversation"]  # not twice
        refused = await ben.post("/api/desk/tickets/1/claim", headers={"X-CSRF-Token": ben_csrf})
        assert refused.status_code == 409 and '{"takeover": true}' in refused.json()["error"]
        assert (await h.desk.ticket("1")).assignee == "ana"  # a claim does not silently take another's ticket
        taken = await ben.post("/api/desk/tickets/1/claim", json={"takeover": True}, headers={"X-CSRF-Token": ben_csrf})
        assert taken.json()["assignee"] == "ben"
        closed = await ben.post("/api/desk/tickets/1/close", headers={"X-CSRF-Token": ben_csrf})
        assert closed.json()["status"] == "closed"
        late = await ana.post("/api/desk/tickets/1/claim", headers={"X-CSRF-Token": ana_csrf})
        assert late.status_code == 409 and "closed" in late.json()["error"]
        missing = await ben.get("/api/desk/tickets/99")
        assert missing.status_code == 404 and missing.json() == {"error": "no ticket 99"}


async def test_sign_in_failures_are_throttled(tmp_path: Path) -> None:
    throttle = LoginThrottle(free_failures=3, max_backoff=0.5)
    async with harness(tmp_path, app_options={"login_throttle": throttle}) as h, h.client() as client:
        for name in ("ana", "nobody", "ana", "ana"):
            wrong = await client.post("/api/desk/login", json={"name": name, "password": "wrong password"})
            assert wrong.status_code == 401 and wrong.json() == {"error": "wrong name or password"}
        blocked = await client.post("/api/desk/login", json={"name": "ana", "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert (await client.get("/api/desk/session")).status_code == 401
        assert (await client.post("/api/desk/login", json={"name": "ben", "password": PASSWORD})).status_code == 200
        await asyncio.sleep(0.6)  # a backoff, not a lock: once it passes, the owner signs in
        assert (await client.post("/api/desk/login", json={"name": "ana", "password": PASSWORD})).status_code == 200


async def test_sign_out_ends_the_session(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as ana:
        csrf = await sign_in(ana)
        assert (await ana.get("/api/desk/session")).json() == {"agent": "ana", "csrf_token": csrf}
        assert (await ana.post("/api/desk/logout", headers={"X-CSRF-Token": csrf})).status_code == 204
        assert (await ana.get("/api/desk/session")).status_code == 401


async def test_pages_and_assets_come_from_the_package(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as client:
        for path in ("/", "/chat"):
            page = await client.get(path)
            assert page.status_code == 200 and '<script src="/static/webchat.js"' in page.text
            assert "default-src 'self'" in page.headers["content-security-policy"]
        login = await client.get("/desk")
        assert 'id="login"' in login.text and "csrf-token" not in login.text
        csrf = await sign_in(client)
        inbox = await client.get("/desk")
        assert f'<meta name="csrf-token" content="{csrf}">' in inbox.text and 'id="tickets"' in inbox.text
        assert '<option value="urgent">Urgent</option>' in inbox.text  # the priority filter, from PRIORITIES
        assert inbox.text.index('value="urgent"') < inbox.text.index('value="low"')  # the most pressing first
        for asset, kind in (("style.css", "text/css"), ("webchat.js", "javascript"), ("desk.js", "javascript"),
                            ("desk_login.js", "javascript")):  # fmt: skip
            response = await client.get(f"/static/{asset}")
            assert response.status_code == 200 and kind in response.headers["content-type"]
        assert (await client.get("/api/health")).json() == {"status": "ok", "agent": "support", "desk": True}
        unknown = await client.get("/api/nothing")
        assert unknown.status_code == 404 and "/api/nothing" in unknown.json()["error"]


async def test_openapi_lists_every_api_route_with_its_models(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as client:
        document = (await client.get("/api/openapi.json")).json()
        routes = [*h.app.routes, *(r for mount in h.app.routes if isinstance(mount, Mount) for r in mount.routes)]
        served = {(re.sub(r":\w+}", "}", route.path), method.lower()) for route in routes
                  for method in (getattr(route, "methods", None) or ()) if method != "HEAD"
                  and route.path.startswith(("/api", "/webhooks"))}  # fmt: skip
    listed = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert served == listed
    assert len(listed) == len(api_routes()) == 18
    send = document["paths"]["/api/conversations/{conversation_id}/messages"]["post"]
    assert send["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SendMessage"}
    assert send["requestBody"]["required"] is True
    claim = document["paths"]["/api/desk/tickets/{ticket_id}/claim"]["post"]["requestBody"]
    assert claim["required"] is False  # POST .../claim with no body claims without takeover
    assert send["security"] == [{"conversationToken": []}]  # the cookie alone never writes
    read = document["paths"]["/api/conversations/{conversation_id}/messages"]["get"]
    assert read["security"] == [{"conversationToken": []}, {"conversationCookie": []}]
    assert document["paths"]["/api/desk/tickets/{ticket_id}/claim"]["post"]["security"] == [
        {"deskSession": [], "csrfToken": []}]  # fmt: skip
    refs = _refs(document["paths"])
    assert refs and all(ref.removeprefix("#/components/schemas/") in document["components"]["schemas"] for ref in refs)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        return {node["$ref"]} if "$ref" in node else {r for value in node.values() for r in _refs(value)}
    if isinstance(node, list):
        return {r for value in node for r in _refs(value)}
    return set()


async def test_a_webhook_that_comes_before_its_sessions_start_completed_is_kept_and_applied_after_it(
    tmp_path: Path,
) -> None:
    """The helpdesk answered the start, and its trigger posted the agent's reply before the bot recorded the
    session's id (and after the webhook's wait, none here): 202, the event kept; it reaches the user once the start
    has completed, once, however often the helpdesk sends it."""
    async with FakeWebhookReceiver() as fake:
        provider = WebhookProvider(fake.url + "/hooks", "wh-secret")
        hook = HitlPlugin(provider, webhook_wait_seconds=0)
        started_on_helpdesk: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        release = asyncio.Event()
        start = provider.start_hitl

        async def held_start(request: Any) -> str:  # the helpdesk has the ticket; its id is not recorded yet
            session_id = await start(request)
            started_on_helpdesk.set_result(session_id)
            await release.wait()
            return session_id

        provider.start_hitl = held_start  # type: ignore[method-assign]
        async with harness(tmp_path, hook=hook) as h, h.client() as user, h.client() as helpdesk:
            chat = await start_chat(user)
            starting = asyncio.create_task(hook.actions.start_hitl(conversation_id=chat[0], title="Billing question"))
            headers, body = fake.signed_webhook(fake.message(await started_on_helpdesk, "Ana from billing here."))
            early = await helpdesk.post("/webhooks/hook", content=body, headers=headers)
            assert (early.status_code, early.json()) == (202, {"status": 202})
            release.set()
            await starting

            async def agent_messages() -> list[tuple[str, str]]:
                return [m for m in await _history(h, chat) if m[0] == "agent"]

            assert await eventually(agent_messages) == [("agent", "Ana from billing here.")]
            assert (await helpdesk.post("/webhooks/hook", content=body, headers=headers)).status_code == 202
            assert await agent_messages() == [("agent", "Ana from billing here.")]


async def test_webhooks_reach_the_plugin_of_their_alias(tmp_path: Path) -> None:
    async with FakeWebhookReceiver() as fake:
        hook = HitlPlugin(WebhookProvider(fake.url + "/hooks", "wh-secret"))
        async with harness(tmp_path, hook=hook) as h, h.client() as user, h.client() as helpdesk:
            chat = await start_chat(user)
            await say(user, chat, "hello")
            started = await hook.actions.start_hitl(conversation_id=chat[0], title="Billing question")
            session_id = started.session.session_id or ""
            before = await _history(h, chat)

            forged, body = fake.signed_webhook(fake.message(session_id, "I am not Ana"), secret="wrong")
            refused = await helpdesk.post("/webhooks/hook", content=body, headers=forged)
            assert refused.status_code == 401 and refused.json() == {"status": 401}
            assert await _history(h, chat) == before

            event = fake.message(session_id, "Ana from billing here.")
            headers, body = fake.signed_webhook(event)
            assert (await helpdesk.post("/webhooks/hook", content=body, headers=headers)).status_code == 200
            assert ("agent", "Ana from billing here.") in await _history(h, chat)
            assert (await helpdesk.post("/webhooks/hook", content=body, headers=headers)).status_code == 202  # replay

            assert (await helpdesk.post("/webhooks/desk-hitl", content=b"{}")).status_code == 400  # pushes, no hooks
            unknown = await helpdesk.post("/webhooks/zendesk", content=b"{}")
            assert unknown.status_code == 404  # and it does not list the aliases that do exist:
            assert "hook" not in unknown.json()["error"].replace("webhook", "")
            huge = await helpdesk.post("/webhooks/hook", content=b"x" * (1024 * 1024 + 1), headers=headers)
            assert huge.status_code == 413
