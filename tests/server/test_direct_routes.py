"""The webchat's busiest routes are served by ``DirectRoutes``, past Starlette's router and exception layers: each
request it takes is one the router gives the same endpoint, and every answer (success, the app's errors, a 500) is
the one the app gives through the router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.routing import Match, Route

from agentkit.desk import ERROR_HANDLERS
from agentkit.server._direct import DirectRoutes
from agentkit.server._hardening import HardenedApp

from .server_helpers import USER, harness
from .test_route_order import _paths


def _direct_layer(app: Starlette) -> DirectRoutes:
    app.middleware_stack = app.build_middleware_stack()
    layer = app.middleware_stack.app.app  # type: ignore[attr-defined]  # SecurityHeaders > ServerErrorMiddleware
    assert isinstance(layer, DirectRoutes)
    return layer


def _router_choice(app: Starlette, method: str, path: str) -> Any:
    for route in app.router.routes:
        match, child = route.matches({"type": "http", "method": method, "path": path, "root_path": ""})
        if match is Match.FULL:
            return child.get("endpoint"), child.get("path_params")
    return None


async def test_each_request_taken_directly_is_one_the_router_gives_the_same_endpoint(tmp_path: Path) -> None:
    async with harness(tmp_path) as h:
        layer, taken = _direct_layer(h.app), set()
        for path in _paths():
            for method in ("GET", "POST", "HEAD", "DELETE"):
                scope: dict[str, Any] = {"type": "http", "method": method, "path": path, "root_path": "",
                                         "app": h.app}  # fmt: skip
                route = layer.route_for(scope)
                if route is not None:
                    assert (scope["endpoint"], scope["path_params"]) == _router_choice(h.app, method, path)
                    assert scope["router"] is h.app.router
                    taken.add(route.endpoint.__name__)
        assert taken == {"create_conversation", "get_conversation", "list_messages", "send_message"}
        mounted = {"type": "http", "method": "POST", "path": "/x/api/conversations", "root_path": "/x", "app": h.app}
        assert layer.route_for(mounted) is None  # under a root path: the router's


def _through_router(app: Starlette) -> Starlette:
    """The same app without ``DirectRoutes``: every request through the router, as before it."""
    plain = HardenedApp(routes=app.router.routes, exception_handlers=ERROR_HANDLERS)
    plain.state = app.state
    return plain


Requests = Callable[[httpx2.AsyncClient, str, dict[str, str]], Awaitable[list[httpx2.Response]]]


async def _answers(app: Starlette, conversation: tuple[str, dict[str, str]], requests: Requests) -> list[Any]:
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        answers = await requests(client, *conversation)
    return [(a.status_code, sorted(a.headers.multi_items()), a.content) for a in answers]


async def _errors(client: httpx2.AsyncClient, conversation_id: str, token: dict[str, str]) -> list[httpx2.Response]:
    messages = f"/api/conversations/{conversation_id}/messages"
    return [
        await client.post(messages, json={"text": "hi"}),  # no token: 401
        await client.post(messages, json={"text": "hi"}, headers={"X-Conversation-Token": "wrong"}),  # 403
        await client.post(messages, content=b"hi", headers={**token, "content-type": "text/plain"}),  # 415
        await client.post(messages, json={"txt": "hi"}, headers=token),  # 422
        await client.post(messages, content=b"{" * 70_000, headers={**token, "content-type": "application/json"}),
        await client.get(messages + "?after=x", headers=token),  # 422
        await client.get(messages + "?limit=1", headers=token),
        await client.get(f"/api/conversations/{conversation_id}", headers=token),
        await client.post("/api/conversations", json={"name": 5}),  # 422
    ]


async def test_answers_and_errors_are_the_routers(tmp_path: Path) -> None:
    async with harness(tmp_path) as h:
        async with h.client() as client:
            created = (await client.post("/api/conversations", json=USER)).json()
            conversation = created["id"], {"X-Conversation-Token": created["token"]}
            assert (await client.post(f"/api/conversations/{created['id']}/messages", json={"text": "hello"},
                                      headers=conversation[1])).status_code == 200  # fmt: skip
        direct = await _answers(h.app, conversation, _errors)
        assert [status for status, _, _ in direct] == [401, 403, 415, 422, 413, 422, 200, 200, 422]
        assert direct == await _answers(_through_router(h.app), conversation, _errors)
        assert all((b"cache-control", b"no-store") in [(k.encode(), v.encode()) for k, v in headers]
                   for _, headers, _ in direct)  # fmt: skip


async def test_an_unexpected_error_is_the_same_500_and_is_raised_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(conversation_id: str) -> Any:
        raise RuntimeError("the store is gone")

    async def read(client: httpx2.AsyncClient, conversation_id: str, token: dict[str, str]) -> list[httpx2.Response]:
        return [await client.get(f"/api/conversations/{conversation_id}/messages", headers=token)]

    async with harness(tmp_path) as h:
        async with h.client() as client:
            created = (await client.post("/api/conversations", json=USER)).json()
        conversation = created["id"], {"X-Conversation-Token": created["token"]}
        monkeypatch.setattr(h.agent, "history", broken)
        direct = await _answers(h.app, conversation, read)
        assert direct[0][0] == 500
        assert direct == await _answers(_through_router(h.app), conversation, read)
        async with h.client() as client:
            with pytest.raises(RuntimeError, match="the store is gone"):  # on to the server, which logs it
                await read(client, *conversation)


def test_handlers_by_status_code_are_refused() -> None:
    async def handler(request: Any, error: Exception) -> Any:
        raise AssertionError

    with pytest.raises(ValueError, match="by class"):
        DirectRoutes(Starlette(), routes=[Route("/", handler)], handlers={404: handler})
