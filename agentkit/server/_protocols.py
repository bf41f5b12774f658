"""The HTTP/1.1 protocols ``agentkit serve`` runs uvicorn with: uvicorn's own, plus a deadline for each request's
headers and one write per answer (``_HeaderDeadline``). httptools's when it is installed (a dependency of agentkit;
what uvicorn's ``http="auto"`` picks too), else h11's.
"""

from __future__ import annotations

import asyncio
import importlib.util
from functools import cache
from typing import cast

from uvicorn.protocols.http.h11_impl import H11Protocol

from ._writes import CoalescedWrites

__all__ = ["MAX_REQUEST_HEAD", "httptools_installed", "protocol_class"]

MAX_REQUEST_HEAD = 64 * 1024
"""On httptools, bytes of a request's line and headers past which it is refused (400, as any invalid request):
httptools alone takes headers without end, and a client could fill the memory with them within the header
deadline. h11 bounds a head still incomplete at 16 KiB (its ``max_incomplete_event_size``), and takes a larger one
that arrives whole in one read; 64 KiB is above what a browser sends (nginx's default total is 32 KiB)."""


class _HeaderDeadline(asyncio.Protocol):
    """A deadline for each request's headers (from the connection, or from the end of the previous response); a
    client that trickles its headers in is disconnected when it passes. An answer's headers and body leave in one
    write (``CoalescedWrites``). Mixed into uvicorn's protocols (``_H11WithHeaderTimeout``,
    ``_HttpToolsWithHeaderTimeout``): uvicorn has no such limit, and a slow client would hold its connection forever.

    One timer per connection, re-armed lazily: a response's end only writes down the next deadline, and the timer,
    when it fires, closes the connection if that deadline has passed or sleeps until it. A ``call_later`` and a
    ``cancel`` per request were ~1.3 % of the event loop's samples under load."""

    header_timeout = 10.0
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _header_timer: asyncio.TimerHandle | None = None
    _headers_due: float | None = None  # None while a request's headers are in (it is being answered)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # uvicorn's: it keeps the transport, as ``self.transport``
        self.transport = cast(asyncio.Transport, CoalescedWrites(self.transport, self.loop))
        self._await_headers()
        self._arm_header_timer(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _response_written(self) -> None:
        """Before uvicorn's ``on_response_complete``: the answer is whole, it need not wait for the round's end."""
        cast(CoalescedWrites, self.transport).flush()

    def _await_headers(self) -> None:
        self._headers_due = self.loop.time() + self.header_timeout

    def _arm_header_timer(self, delay: float) -> None:
        self._header_timer = self.loop.call_later(delay, self._check_headers)

    def _check_headers(self) -> None:
        if self.transport.is_closing():
            self._header_timer = None
            return
        due = self._headers_due
        if due is None:  # a request is being answered: look again one timeout later
            self._arm_header_timer(self.header_timeout)
        elif due > self.loop.time():
            self._arm_header_timer(due - self.loop.time())
        else:
            self._header_timer = None
            self.transport.close()


class _H11WithHeaderTimeout(_HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol (pure Python), with ``_HeaderDeadline``: what serves when httptools is missing."""

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request's headers are in
            self._headers_due = None

    def on_response_complete(self) -> None:
        self._response_written()
        if not self.transport.is_closing():
            self._await_headers()  # before the pipelined request that super() may start at once
        super().on_response_complete()


def protocol_class(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol when httptools is installed (a dependency of agentkit), as uvicorn's own
    ``http="auto"`` picks it; else its h11 one. httptools parses a request in C where h11 does it in Python: under
    benchmarks/load_webchat.py on SQLite the server spent 0.55 ms of CPU per message instead of 0.70."""
    chosen: type[_HeaderDeadline] = _H11WithHeaderTimeout
    if httptools_installed():
        chosen = _httptools_protocol()
    return type(chosen.__name__, (chosen,), {"header_timeout": header_timeout})


def httptools_installed() -> bool:
    return importlib.util.find_spec("httptools") is not None


@cache
def _httptools_protocol() -> type[_HeaderDeadline]:
    """Made on first use: importing uvicorn's httptools protocol imports httptools."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class _HttpToolsWithHeaderTimeout(_HeaderDeadline, HttpToolsProtocol):
        """uvicorn's httptools protocol (its parser is C), with ``_HeaderDeadline`` and the head bounded
        (``MAX_REQUEST_HEAD``)."""

        _head_bytes = 0

        def on_message_begin(self) -> None:
            self._head_bytes = 0
            super().on_message_begin()

        def on_url(self, url: bytes) -> None:
            self._count_head(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count_head(len(name) + len(value) + 4)  # ": " and CRLF
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._headers_due = None  # a request's headers are in (a pipelined one's too: it is answered next)
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            self._response_written()
            if not self.transport.is_closing() and not self.pipeline:  # a pipelined request's headers are in
                self._await_headers()
            super().on_response_complete()

        def _count_head(self, size: int) -> None:
            """Raised in the parser's callback, the error comes out of ``feed_data`` as uvicorn's invalid request:
            a 400, and the connection closed."""
            self._head_bytes += size
            if self._head_bytes > MAX_REQUEST_HEAD:
                raise ValueError(f"the request's head is over {MAX_REQUEST_HEAD} bytes")

    return _HttpToolsWithHeaderTimeout
