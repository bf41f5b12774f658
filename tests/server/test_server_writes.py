"""An answer's status line, headers and body leave the server in one write (one ``send``, one segment), and the
pieces of a streamed answer still leave as they are written."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from agentkit.server import ServerThread, _protocols
from agentkit.server._writes import HOLD_AT_MOST, CoalescedWrites


class _Transport:
    """What the real transport was asked to do, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", bytes(data)))

    def close(self) -> None:
        self.calls.append(("close", b""))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def _wrapped(transport: _Transport) -> CoalescedWrites:
    return CoalescedWrites(transport, asyncio.get_running_loop())  # type: ignore[arg-type]


async def test_the_writes_of_one_round_leave_together_once_the_round_ends() -> None:
    transport = _Transport()
    writes = _wrapped(transport)
    writes.write(b"HTTP/1.1 200 OK\r\n\r\n")
    writes.write(b"")  # h11's end of a Content-Length body
    writes.write(b"{}")
    assert transport.calls == []
    await asyncio.sleep(0)
    assert transport.calls == [("write", b"HTTP/1.1 200 OK\r\n\r\n{}")]
    writes.write(b"next")
    await asyncio.sleep(0)
    assert transport.calls[1:] == [("write", b"next")]


async def test_flush_and_close_send_what_is_held_at_once_and_in_order() -> None:
    transport = _Transport()
    writes = _wrapped(transport)
    writes.write(b"a")
    writes.write(b"b")
    writes.flush()
    assert transport.calls == [("write", b"ab")]
    writes.write(b"c")
    writes.close()
    assert transport.calls == [("write", b"ab"), ("write", b"c"), ("close", b"")]
    await asyncio.sleep(0)  # the round's own flush finds nothing left
    assert len(transport.calls) == 3
    assert writes.is_closing() and writes.get_extra_info("peername") == "info:peername"


async def test_a_large_answer_is_not_held() -> None:
    """Past ``HOLD_AT_MOST`` bytes the writes leave at once, so the transport's flow control sees them."""
    transport = _Transport()
    writes = _wrapped(transport)
    writes.write(b"head")
    writes.write(b"x" * HOLD_AT_MOST)
    assert transport.calls == [("write", b"head" + b"x" * HOLD_AT_MOST)]
    writes.write(b"small")
    assert len(transport.calls) == 1
    await asyncio.sleep(0)
    assert transport.calls[1:] == [("write", b"small")]


async def test_what_is_held_for_a_peer_that_went_away_is_dropped() -> None:
    transport = _Transport()
    writes = _wrapped(transport)
    writes.write(b"late")
    transport.closing = True  # the connection was lost meanwhile
    await asyncio.sleep(0)
    assert transport.calls == []


async def _hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"}, headers={"x-extra": "1"})


def _app(released: threading.Event | None = None) -> Starlette:
    async def pieces() -> AsyncIterator[bytes]:
        yield b"first;"
        assert released is not None
        await asyncio.to_thread(released.wait, 10)
        yield b"second;"

    async def stream(request: Request) -> StreamingResponse:
        return StreamingResponse(pieces(), media_type="text/plain")

    app = Starlette(routes=[Route("/", _hello), Route("/stream", stream)])
    app.state.agentkit = type("State", (), {"hub": type("Hub", (), {"close": lambda self: None})()})()
    return app


def _recorded(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every write that reaches a connection's real transport."""
    sent: list[bytes] = []

    class Recorded(CoalescedWrites):
        def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
            real_write = transport.write

            def write(data: bytes) -> None:
                sent.append(bytes(data))
                real_write(data)

            transport.write = write
            super().__init__(transport, loop)

    monkeypatch.setattr(_protocols, "CoalescedWrites", Recorded)
    return sent


def _read_answer(connection: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b'{"hello":"world"}'):
        data += connection.recv(4096)
    return data


@pytest.mark.usefixtures("http_protocol")
def test_a_whole_answer_leaves_in_one_write_request_after_request(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _recorded(monkeypatch)
    with ServerThread(_app()) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            for _ in range(3):  # kept alive: each answer of the connection in one write
                connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                answer = _read_answer(connection)
                assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"x-extra: 1\r\n" in answer
    assert len(sent) == 3
    assert all(data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b'{"hello":"world"}') for data in sent)


@pytest.mark.usefixtures("http_protocol")
def test_a_streamed_answer_leaves_piece_by_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its first piece reaches the client while the second is not yet written: nothing waits for the end."""
    _recorded(monkeypatch)
    released = threading.Event()
    with ServerThread(_app(released)) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as connection:
            connection.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            data = b""
            while b"first;" not in data:
                data += connection.recv(4096)
            assert b"second;" not in data
            released.set()
            while b"second;" not in data:
                data += connection.recv(4096)

