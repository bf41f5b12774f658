"""Every answer the server sends carries the security headers (``SecurityHeaders``: ``nosniff``, and ``no-store`` on
``/api`` and ``/webhooks``), an unexpected error's 500 included, with the body it always had and no traceback: for a
route of the JSON API, a desk page and a webchat route served by ``DirectRoutes``, through the app (ASGI) and over
real HTTP (uvicorn on loopback); the errors the webchat's direct routes answer, over HTTP; and the metrics listener.

Answers made before the app runs are uvicorn's and carry none: its 400 for a request it cannot parse, its 503 past
``limit_concurrency``, and its 500 should the app fail before answering at all (the app always answers first).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware

from agentkit.server import SecurityHeaders, WebchatQuotas, bind, running_server
from agentkit.server._direct import DirectRoutes

from .server_helpers import USER, Harness, harness, sign_in, start_chat

SERVER_ERROR = {"error": "the server failed on this request; the details are in the server log"}
PRIVATE = {"x-content-type-options": "nosniff", "cache-control": "no-store"}  # /api and /webhooks
PUBLIC = {"x-content-type-options": "nosniff"}  # every other path
SECRET_TEXT = "the store is gone: /srv/secret.db"


def security_headers(answer: httpx2.Response) -> dict[str, str]:
    """The answer's security headers, each name once (a header sent twice would show its values joined)."""
    names = ("x-content-type-options", "cache-control")
    return {name: ", ".join(answer.headers.get_list(name)) for name in names if name in answer.headers}


def assert_no_traceback(answer: httpx2.Response) -> None:
    for leak in ("Traceback", 'File "', "RuntimeError", SECRET_TEXT):
        assert leak not in answer.text, (answer.request.url, answer.text)


async def broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(SECRET_TEXT)


@asynccontextmanager
async def failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Harness, list[tuple[str, dict[str, str]]]]]:
    """The app with its session and history reads failing, and three GETs (path, headers) that meet them: the
    desk's JSON API (through the router), the desk's page, and a webchat route served by ``DirectRoutes``."""
    async with harness(tmp_path) as h, h.client() as client:
        conversation_id, token = await start_chat(client)
        await sign_in(client)
        cookie = {"cookie": "; ".join(f"{name}={value}" for name, value in client.cookies.items())}
        monkeypatch.setattr(h.store, "check_session", broken)
        monkeypatch.setattr(h.agent, "history", broken)
        messages = f"/api/conversations/{conversation_id}/messages"
        yield h, [("/api/desk/session", cookie), ("/desk", cookie), (messages, token)]


EXPECTED = [("/api/desk/session", PRIVATE), ("/desk", PUBLIC), ("/messages", PRIVATE)]


def assert_server_errors(answers: list[httpx2.Response]) -> None:
    for answer, (path, headers) in zip(answers, EXPECTED, strict=True):
        assert answer.request.url.path.endswith(path)
        assert answer.status_code == 500, answer.text
        assert answer.headers["content-type"] == "application/json"  # the API's error, on pages too, as before
        assert answer.json() == SERVER_ERROR
        assert security_headers(answer) == headers, answer.request.url
        assert_no_traceback(answer)


async def test_a_500_through_the_app_has_the_headers_and_the_same_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with failing(tmp_path, monkeypatch) as (h, requests):
        transport = httpx2.ASGITransport(app=h.app, raise_app_exceptions=False)
        async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            assert_server_errors([await client.get(path, headers=headers) for path, headers in requests])
        assert not h.app.debug  # Starlette's debug 500 would be the traceback


async def test_a_500_over_http_has_the_headers_and_the_same_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with failing(tmp_path, monkeypatch) as (h, requests), running_server(h.app) as url:
        answers = []
        for path, headers in requests:  # a client each: uvicorn closes the connection of a request whose app raised
            async with httpx2.AsyncClient(base_url=url) as client:
                answers.append(await client.get(path, headers=headers))
        assert_server_errors(answers)


async def test_the_direct_routes_errors_over_http_have_the_headers(tmp_path: Path) -> None:
    options = {"quotas": WebchatQuotas(conversations_per_minute=1)}
    async with harness(tmp_path, app_options=options) as h, running_server(h.app) as url:
        async with httpx2.AsyncClient(base_url=url) as client:
            conversation_id, token = await start_chat(client)
            messages = f"/api/conversations/{conversation_id}/messages"
            json = {"content-type": "application/json"}
            answers = [
                await client.post(messages, json={"text": "hi"}),
                await client.post(messages, json={"text": "hi"}, headers={"X-Conversation-Token": "wrong"}),
                await client.get("/api/conversations/-x/messages", headers=token),
                await client.delete(messages, headers=token),  # no 405: the desk's mount at / takes it
                await client.post(messages, content=b"{" * 70_000, headers={**token, **json}),
                await client.post(messages, content=b"hi", headers={**token, "content-type": "text/plain"}),
                await client.post(messages, json={"txt": "hi"}, headers=token),
                await client.post("/api/conversations", json=USER),
                await client.post(messages, json={"text": "hi"}, headers=token),
            ]
    assert [a.status_code for a in answers] == [401, 403, 404, 404, 413, 415, 422, 429, 200]
    for answer in answers:
        assert security_headers(answer) == PRIVATE, (answer.status_code, answer.request.url)
        assert_no_traceback(answer)


async def test_the_headers_are_the_outermost_layer_above_the_500(tmp_path: Path) -> None:
    """Starlette puts ``ServerErrorMiddleware`` above every middleware it is given; its 500 left without the
    headers. ``HardenedApp`` puts ``SecurityHeaders`` (and the Host check, one layer) above it, and the rest of
    Starlette's stack as it was: ``DirectRoutes`` under ``ServerErrorMiddleware``, so its unexpected errors get that
    500, and over ``ExceptionMiddleware`` and the router, which it skips for its routes. Same layers as before the
    change, in another order: no work added per request."""
    for options in ({}, {"allowed_hosts": ["chat.example.com"]}):
        async with harness(tmp_path / str(len(options)), app_options=options) as h:
            layer, layers = h.app.build_middleware_stack(), []
            while layer is not h.app.router:
                layers.append(type(layer))
                layer = layer.app  # type: ignore[attr-defined]
        assert layers == [SecurityHeaders, ServerErrorMiddleware, DirectRoutes, ExceptionMiddleware]


async def test_the_metrics_listeners_answers_have_the_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = {"metrics": True, "metrics_listener": True, "metrics_token": "scrape-token-0123456789"}
    auth = {"Authorization": "Bearer scrape-token-0123456789"}
    with closing(bind()) as metrics_sock:
        host, port = metrics_sock.getsockname()[:2]
        async with harness(tmp_path, app_options=options) as h, running_server(h.app, metrics_sock=metrics_sock):
            async with httpx2.AsyncClient(base_url=f"http://{host}:{port}") as prometheus:
                answers = [
                    await prometheus.get("/metrics"),
                    await prometheus.get("/api/health"),
                    await prometheus.post("/metrics", headers=auth),
                    await prometheus.get("/metrics", headers=auth),
                ]
            monkeypatch.setattr(h.agent.plugins["desk-hitl"], "outbox", broken)
            async with httpx2.AsyncClient(base_url=f"http://{host}:{port}") as prometheus:
                answers.append(await prometheus.get("/metrics", headers=auth))
    assert [a.status_code for a in answers] == [401, 404, 405, 200, 500]
    for answer, headers in zip(answers, [PUBLIC, PRIVATE, PUBLIC, PUBLIC, PUBLIC], strict=True):
        assert security_headers(answer) == headers, answer.status_code
        assert_no_traceback(answer)
    assert answers[-1].text == "Internal Server Error"  # Starlette's own 500: the metrics app has no handler
