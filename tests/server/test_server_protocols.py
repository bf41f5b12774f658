"""The HTTP protocol ``agentkit serve`` runs: httptools's when it is installed (it is a dependency), h11's otherwise,
each with a deadline for the headers, one write per answer and a bound on a request's head."""

from __future__ import annotations

import asyncio
import socket

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from agentkit.server import ConnectionOptions, ServerThread, _protocols


async def _path(request: Request) -> PlainTextResponse:
    if request.path_params["name"] == "slow":
        await asyncio.sleep(1.0)  # longer than three header deadlines of 0.3 s
    return PlainTextResponse(request.url.path)


def _app() -> Starlette:
    app = Starlette(routes=[Route("/{name}", _path)])
    app.state.agentkit = type("State", (), {"hub": type("Hub", (), {"close": lambda self: None})()})()
    return app


def _read_until_closed(connection: socket.socket) -> bytes:
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    return data


def test_httptools_serves_when_installed_and_h11_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("httptools", reason="a dependency of agentkit: run `make install`")
    chosen = _protocols.protocol_class(4.0)
    assert "HttpTools" in chosen.__name__ and chosen.header_timeout == 4.0  # type: ignore[attr-defined]
    monkeypatch.setattr(_protocols, "httptools_installed", lambda: False)
    assert "H11" in _protocols.protocol_class(4.0).__name__


def test_on_httptools_a_request_head_over_the_bound_is_refused_and_one_under_it_is_served() -> None:
    """httptools alone takes headers without end: a head past ``MAX_REQUEST_HEAD`` gets a 400 and the connection is
    closed; a large one under it (16 KiB, more than h11 keeps of an incomplete head) is served."""
    pytest.importorskip("httptools", reason="a dependency of agentkit: run `make install`")
    with ServerThread(_app()) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        under = b"".join(b"X-Pad-%d: " % n + b"a" * 1000 + b"\r\n" for n in range(16))
        over = b"".join(b"X-Pad-%d: " % n + b"a" * 1000 + b"\r\n" for n in range(_protocols.MAX_REQUEST_HEAD // 1000))
        for headers, status in ((under, b"HTTP/1.1 200"), (over, b"HTTP/1.1 400")):
            with socket.create_connection((host, int(port)), timeout=5) as connection:
                request = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + b"\r\n"
                connection.sendall(request)
                assert _read_until_closed(connection).startswith(status)


@pytest.mark.usefixtures("http_protocol")
def test_pipelined_requests_are_answered_in_order_and_a_slow_one_is_not_cut_by_the_header_deadline() -> None:
    """The requests sent behind the first arrived whole: the deadline that starts at the end of each answer is
    for headers yet to come, not theirs."""
    with ServerThread(_app(), options=ConnectionOptions(timeout_headers=0.3)) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            requests = [f"GET /{name} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for name in ("a", "slow")]
            connection.sendall(b"".join(requests) + b"GET /c HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answers = _read_until_closed(connection)
    assert answers.count(b"HTTP/1.1 200 OK") == 3
    assert answers.index(b"\r\n\r\n/a") < answers.index(b"\r\n\r\n/slow") < answers.index(b"\r\n\r\n/c")
