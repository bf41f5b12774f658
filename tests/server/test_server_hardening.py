"""What the server tells and to whom: cache and sniffing headers on API answers, the Host check, the proxy
headers believed only from named peers, slow clients cut off, and the warnings of ``agentkit serve``."""

from __future__ import annotations

import argparse
import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from agentkit.cli import _serve
from agentkit.exceptions import ConfigError
from agentkit.server import ConnectionOptions, SecurityHeaders, ServerThread, create_app, default_allowed_hosts

from .server_helpers import SECRET, desk_agent, harness, start_chat
from .store_counts import row_counts


async def test_api_and_webhook_answers_are_never_cached_nor_sniffed(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as client:
        conversation = await client.post("/api/conversations", json={"name": "Jo"})
        answers = [conversation, await client.get("/api/health"), await client.get("/api/desk/session"),
                   await client.get("/api/nothing"), await client.post("/webhooks/nothing", content=b"{}")]  # fmt: skip
        for answer in answers:
            assert answer.headers["cache-control"] == "no-store", answer.request.url
            assert answer.headers["x-content-type-options"] == "nosniff"
        page = await client.get("/")
        assert page.headers["x-content-type-options"] == "nosniff"


async def test_health_does_not_name_the_model(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as client:
        health = (await client.get("/api/health")).json()
        assert health == {"status": "ok", "agent": "support", "desk": True}


async def test_a_host_not_allowed_is_400_and_changes_nothing(tmp_path: Path) -> None:
    agent = desk_agent(tmp_path)
    app = create_app(agent, secret_key=SECRET, manage_agent=False, allowed_hosts=default_allowed_hosts("127.0.0.1"))
    transport = httpx2.ASGITransport(app=app)
    async with agent:
        for host, status in (("evil.example", 400), ("127.0.0.1:8000", 201), ("localhost", 201), ("[::1]:80", 201)):
            async with httpx2.AsyncClient(transport=transport, base_url=f"http://{host}") as client:
                before = row_counts(tmp_path)
                response = await client.post("/api/conversations", json={"name": "Jo"})
                assert response.status_code == status, host
                assert response.headers["x-content-type-options"] == "nosniff"
                if status == 400:
                    assert row_counts(tmp_path) == before
                    assert "evil.example" not in response.text  # never reflected


def test_the_default_hosts_are_the_bound_host_and_loopback() -> None:
    assert default_allowed_hosts("127.0.0.1") == ["localhost", "127.0.0.1", "[::1]"]
    assert default_allowed_hosts("0.0.0.0") == ["localhost", "127.0.0.1", "[::1]"]
    assert default_allowed_hosts("10.0.0.5") == ["localhost", "127.0.0.1", "[::1]", "10.0.0.5"]
    assert default_allowed_hosts("fe80::1") == ["localhost", "127.0.0.1", "[::1]", "[fe80::1]"]


async def _whoami(request: Request) -> JSONResponse:
    return JSONResponse({"client": request.client.host if request.client else None, "scheme": request.url.scheme})


async def _slow(request: Request) -> JSONResponse:
    await asyncio.sleep(1.0)  # an answer that takes longer than three header timeouts of 0.3 s
    return JSONResponse({"slow": True})


def _echo_app() -> Starlette:
    app = Starlette(routes=[Route("/", _whoami), Route("/slow", _slow)])
    app.state.agentkit = type("State", (), {"hub": type("Hub", (), {"close": lambda self: None})()})()
    return app


def test_x_forwarded_for_is_ignored_from_loopback_by_default() -> None:
    """uvicorn believes X-Forwarded-For from loopback unless told otherwise: rotating it gave every request a new
    client address (and a new sign-in throttle, a new quota). Not any more."""
    with ServerThread(_echo_app()) as server:
        seen = {httpx2.get(server.base_url, headers={"X-Forwarded-For": f"203.0.113.{n}",
                                                       "X-Forwarded-Proto": "https"}).json()["client"]
                for n in range(5)}  # fmt: skip
        assert seen == {"127.0.0.1"}


def test_x_forwarded_for_is_believed_from_a_named_proxy() -> None:
    with ServerThread(_echo_app(), options=ConnectionOptions(forwarded_allow_ips=("127.0.0.1",))) as server:
        answer = httpx2.get(server.base_url, headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        assert answer.json() == {"client": "203.0.113.7", "scheme": "https"}


def _cut_while_trickling(connection: socket.socket) -> bool:
    """Send one header byte now and then, never the end (a slowloris): whether the server closes the connection."""
    started = time.monotonic()
    while time.monotonic() - started < 15:
        try:
            connection.sendall(b"X")
            if connection.recv(1024) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def _answer(connection: socket.socket) -> bytes:
    """One whole HTTP response (status line, headers and a Content-Length body) read from ``connection``."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    length = next(int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length"))
    while len(body) < length:
        body += connection.recv(4096)
    return head


@pytest.mark.usefixtures("http_protocol")
def test_a_client_that_trickles_its_headers_is_disconnected() -> None:
    with ServerThread(_echo_app(), options=ConnectionOptions(timeout_headers=0.3)) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=1) as connection:
            connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert _cut_while_trickling(connection)
        # A prompt client on a fresh connection is still served.
        assert httpx2.get(server.base_url).status_code == 200


@pytest.mark.usefixtures("http_protocol")
def test_each_request_of_a_kept_alive_connection_has_the_header_deadline_and_a_slow_answer_does_not() -> None:
    """The deadline runs from the end of the previous response: an answer that takes several header timeouts is
    not cut, a prompt next request is served, and a trickled one after it is cut."""
    with ServerThread(_echo_app(), options=ConnectionOptions(timeout_headers=0.3)) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            for path in ("/slow", "/", "/slow"):
                connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                assert _answer(connection).startswith(b"HTTP/1.1 200"), path
            connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert _cut_while_trickling(connection)


def _serve_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    _serve.register(parser.add_subparsers())
    return parser.parse_args(["serve", "bot.py", *argv])


def test_serve_flags_become_connection_options_and_hosts() -> None:
    options, hosts = _serve._connection_options(_serve_args())
    assert options == ConnectionOptions()  # proxy headers believed from nobody
    assert options.forwarded_allow_ips == () and options.limit_concurrency == 1000
    assert hosts == ["localhost", "127.0.0.1", "[::1]"]
    options, hosts = _serve._connection_options(_serve_args(
        "--behind-proxy", "--allowed-hosts", "chat.example.com, www.example.com", "--timeout-keep-alive", "3",
        "--timeout-headers", "4", "--limit-concurrency", "50"))  # fmt: skip
    assert options == ConnectionOptions(forwarded_allow_ips=("127.0.0.1", "::1"), timeout_keep_alive=3,
                                        timeout_headers=4.0, limit_concurrency=50)  # fmt: skip
    assert hosts == ["chat.example.com", "www.example.com"]
    options, _ = _serve._connection_options(_serve_args("--behind-proxy", "--forwarded-allow-ips", "10.0.0.2"))
    assert options.forwarded_allow_ips == ("10.0.0.2",)
    with pytest.raises(ConfigError, match="both --ssl-keyfile and --ssl-certfile"):
        _serve._connection_options(_serve_args("--ssl-keyfile", "key.pem"))


@pytest.mark.parametrize(
    ("argv", "plain_http", "hosts"),
    [
        (["--host", "0.0.0.0"], True, True),
        (["--host", "0.0.0.0", "--behind-proxy", "--allowed-hosts", "chat.example.com"], False, False),
        (["--host", "0.0.0.0", "--ssl-keyfile", "k", "--ssl-certfile", "c", "--allowed-hosts", "x.io"], False, False),
        (["--host", "127.0.0.1"], False, False),
        (["--host", "::1"], False, False),
    ],
)
def test_serve_warns_when_exposed_without_tls(
    capsys: pytest.CaptureFixture[str], argv: list[str], plain_http: bool, hosts: bool
) -> None:
    args = _serve_args(*argv)
    options, allowed = _serve._connection_options(args)
    _serve._warn_exposure(args, options, allowed)
    out = capsys.readouterr().out
    assert ("plain HTTP" in out) == plain_http
    assert ("--allowed-hosts" in out) == hosts


async def test_an_unknown_webhook_path_does_not_list_the_aliases(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as client:
        await start_chat(client)
        answer = await client.post("/webhooks/zendesk", content=b"{}")
        assert answer.status_code == 404 and "desk-hitl" not in answer.text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/x", [(b"content-type", b"application/json"), (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", b"no-store")]),
        ("/page", [(b"content-type", b"application/json"), (b"Cache-Control", b"max-age=60"),
                   (b"x-content-type-options", b"nosniff")]),
    ],
)  # fmt: skip
async def test_the_security_headers_replace_the_apps_own_values(path: str, expected: list[tuple[bytes, bytes]]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"Cache-Control", b"max-age=60"),
                   (b"X-Content-Type-Options", b"sniff-away")]  # fmt: skip
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    await SecurityHeaders(app)({"type": "http", "path": path}, receive, send)
    assert sorted(sent[0]["headers"]) == sorted(expected)  # each name once, the app's value replaced
    assert sent[1] == {"type": "http.response.body", "body": b"{}"}


HOSTS = ["chat.example.com", "*.example.org", "127.0.0.1"]
HOST_CASES = [("chat.example.com", 200), ("CHAT.example.com:443", 200), ("a.example.org", 200), ("example.org", 400),
              ("127.0.0.1:8000", 200), ("evil.example", 400), ("chat.example.com.evil", 400), ("", 400),
              ("chat.example.com:x", 400), (None, 400)]  # fmt: skip


async def host_answers(check: Any, hosts: list[str | None]) -> list[tuple[int, bool]]:
    """Each request's status, and whether its answer carries the security headers."""
    answers: list[tuple[int, bool]] = []
    for host in hosts:
        sent: list[Message] = []

        async def send(message: Message, sent: list[Message] = sent) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        headers = [] if host is None else [(b"host", host.encode())]
        await check({"type": "http", "path": "/api/x", "headers": headers, "query_string": b""}, receive, send)
        answers.append((sent[0]["status"], (b"x-content-type-options", b"nosniff") in sent[0]["headers"]))
    return answers


async def test_the_host_check_in_the_headers_layer_answers_as_starlettes_each_time(tmp_path: Path) -> None:
    """The Host check is in the security headers' layer (one middleware), and it remembers the Host values it let
    through: every answer, the first and the repeated ones, is the one ``TrustedHostMiddleware`` gives alone, and a
    refusal carries the headers too."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    hosts = [host for host, _ in HOST_CASES] * 2
    ours = await host_answers(SecurityHeaders(app, allowed_hosts=HOSTS), hosts)
    starlettes = await host_answers(TrustedHostMiddleware(app, allowed_hosts=HOSTS, www_redirect=False), hosts)
    assert [status for status, _ in ours] == [status for status, _ in starlettes] == [s for _, s in HOST_CASES] * 2
    assert all(headed for _, headed in ours)
    outer = create_app(desk_agent(tmp_path), secret_key=SECRET, allowed_hosts=HOSTS).build_middleware_stack()
    assert type(outer) is SecurityHeaders and type(outer.app) is ServerErrorMiddleware  # no Host layer between
