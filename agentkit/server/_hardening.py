"""What every answer of the app gets, whatever route made it: a Host check and the headers that keep API answers
out of caches and out of a browser's content sniffing.

``Cache-Control: no-store`` on ``/api`` and ``/webhooks``: their answers carry the desk's CSRF token, tickets with
the users' details, and conversation tokens; no shared or browser cache may keep them. ``nosniff``: a JSON answer
is never run as a script or shown as a page. The Host check (Starlette's ``TrustedHostMiddleware``) refuses a
``Host`` the operator did not name, so a DNS-rebinding page cannot reach a server on loopback and a forged ``Host``
is never reflected in a redirect.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence

from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["LOCAL_HOSTS", "SecurityHeaders", "default_allowed_hosts", "is_loopback", "middleware"]

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_PRIVATE_PREFIXES = ("/api/", "/webhooks/")
_PUBLIC_HEADERS = [(b"x-content-type-options", b"nosniff")]
_PRIVATE_HEADERS = [*_PUBLIC_HEADERS, (b"cache-control", b"no-store")]
_PUBLIC_NAMES = frozenset(name for name, _ in _PUBLIC_HEADERS)
_PRIVATE_NAMES = frozenset(name for name, _ in _PRIVATE_HEADERS)
_KNOWN_HOSTS = 64


class SecurityHeaders:
    """``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff`` on every ``/api`` and ``/webhooks``
    answer (errors and event streams included); ``nosniff`` on every other answer too. With ``allowed_hosts``, the
    Host check as well, in the same layer (one middleware less for every request): Starlette's
    ``TrustedHostMiddleware`` decides, and the Host values it let through are remembered (``_KNOWN_HOSTS`` of them)
    so that a request with one of those goes on without being parsed again. Its refusal gets the headers too.
    ``inner``: a layer of the app's own to put under this one, in the same middleware (``DirectRoutes``)."""

    def __init__(
        self,
        app: ASGIApp,
        allowed_hosts: Sequence[str] | None = None,
        inner: Callable[[ASGIApp], ASGIApp] | None = None,
    ) -> None:
        self.app = app if inner is None else inner(app)
        self._host_check = (
            None if allowed_hosts is None
            else TrustedHostMiddleware(self._host_allowed, allowed_hosts=list(allowed_hosts), www_redirect=False)
        )  # fmt: skip
        self._known_hosts: set[bytes] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._checked(scope, receive, send)
            return
        private = str(scope.get("path", "")).startswith(_PRIVATE_PREFIXES)
        names, added = (_PRIVATE_NAMES, _PRIVATE_HEADERS) if private else (_PUBLIC_NAMES, _PUBLIC_HEADERS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The app's own values of these headers are replaced, as MutableHeaders would, on the raw list: a
                # MutableHeaders and its two sets cost ~8 us per answer, this ~1.5 us.
                kept = [header for header in message.get("headers", ()) if header[0].lower() not in names]
                message["headers"] = kept + added
            await send(message)

        await self._checked(scope, receive, send_with_headers)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._host_check is None or _host(scope) in self._known_hosts:
            await self.app(scope, receive, send)
        else:
            await self._host_check(scope, receive, send)

    async def _host_allowed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """What ``TrustedHostMiddleware`` calls when it lets a request through: its decision depends on the Host
        value alone, so it stands for the next request with the same value."""
        host = _host(scope)
        if host is not None and len(self._known_hosts) < _KNOWN_HOSTS:  # the values are the client's: a bound
            self._known_hosts.add(host)
        await self.app(scope, receive, send)


def _host(scope: Scope) -> bytes | None:
    """The first Host header, as ``TrustedHostMiddleware`` reads it (ASGI header names are lower case)."""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            return bytes(value)
    return None


def middleware(
    allowed_hosts: Sequence[str] | None, inner: Callable[[ASGIApp], ASGIApp] | None = None
) -> list[Middleware]:
    """The app's middleware, one layer: the security headers outermost, so even the Host check's refusal is marked
    ``nosniff``, and the Host check when ``allowed_hosts`` is given (``"*"`` allows any); ``inner`` under them."""
    return [Middleware(SecurityHeaders, allowed_hosts=allowed_hosts, inner=inner)]


def default_allowed_hosts(bound_host: str) -> list[str]:
    """The host the server listens on (unless it is every address) and the names of this machine's loopback."""
    hosts = list(LOCAL_HOSTS)
    if bound_host not in ("0.0.0.0", "::", ""):
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        if shown not in hosts:
            hosts.append(shown)
    return hosts


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
