"""``block_remote_requests()``: make any httpx2 request to a host other than this machine fail at once.

The official ``openai`` client sends through httpx2, so inside the block a test cannot reach a real model (or a
real helpdesk) by accident: the request fails before any DNS lookup or connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx2

__all__ = ["LOCAL_HOSTS", "RemoteRequestBlocked", "block_remote_requests"]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class RemoteRequestBlocked(BaseException):
    """A request left this machine inside ``block_remote_requests()``.

    A ``BaseException``, like ``pytest.fail``'s: the code under test (an agent loop turning tool exceptions into
    messages for the model, a client wrapping network errors) catches ``Exception`` and would hide it.
    """


@contextmanager
def block_remote_requests(allow: Iterable[str] = ()) -> Iterator[None]:
    """Inside the block, httpx2 requests to hosts other than ``LOCAL_HOSTS`` and ``allow`` raise
    ``RemoteRequestBlocked``, for sync and async transports alike. An inner block's ``allow`` replaces an outer
    one's until it ends, so a test can allow a host inside the guard that conftest sets up."""
    global _allowed
    outer = _allowed
    _allowed = LOCAL_HOSTS | {host.lower() for host in allow}
    if outer is None:
        _install(_guarded_send, _guarded_async_send)
    try:
        yield
    finally:
        _allowed = outer
        if outer is None:
            _install(_send, _async_send)


# A process-wide setting, not a context variable: requests made from plain threads must be blocked too.
_allowed: frozenset[str] | None = None
_send = httpx2.HTTPTransport.handle_request
_async_send = httpx2.AsyncHTTPTransport.handle_async_request


def _install(send: Any, async_send: Any) -> None:
    httpx2.HTTPTransport.handle_request = send  # type: ignore[method-assign]
    httpx2.AsyncHTTPTransport.handle_async_request = async_send  # type: ignore[method-assign]


def _guarded_send(self: httpx2.HTTPTransport, request: httpx2.Request) -> httpx2.Response:
    _check(request)
    return _send(self, request)


async def _guarded_async_send(self: httpx2.AsyncHTTPTransport, request: httpx2.Request) -> httpx2.Response:
    _check(request)
    return await _async_send(self, request)


def _check(request: httpx2.Request) -> None:
    allowed = _allowed
    if allowed is not None and request.url.host.lower() not in allowed:
        raise RemoteRequestBlocked(
            f"blocked {request.method} {request.url}: tests may only reach {', '.join(sorted(allowed))}. "
            "Point the client at a loopback fake (agentkit.testing.FakeOpenAIServer: base_url=server.base_url) "
            "or allow the host on purpose with block_remote_requests(allow=[...])."
        )
