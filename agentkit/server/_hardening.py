"""What every answer of the app gets, whatever route made it: a Host check and the headers that keep API answers
out of caches and out of a browser's content sniffing.

``Cache-Control: no-store`` on ``/api`` and ``/webhooks``: their answers carry the desk's CSRF token, tickets with
the users' details, and conversation tokens; no shared or browser cache may keep them. ``nosniff``: a JSON answer
is never run as a script or shown as a page. The Host check (Starlette's ``TrustedHostMiddleware``) refuses a
``Host`` the operator did not name, so a DNS-rebinding page cannot reach a server on loopback and a forged ``Host``
is never reflected in a redirect. ``Strict-Transport-Security`` on every answer to a request that came over HTTPS
(``--ssl-certfile``, or a proxy in ``--forwarded-allow-ips`` saying so): the browser then never tries the site over
plain HTTP for a year, where a network attacker could strip TLS from the desk's sign-in. Not over HTTP: browsers
ignore it there, and a server on loopback or behind a plain proxy must stay reachable.

``HardenedApp`` puts that layer outermost, above Starlette's ``ServerErrorMiddleware``: the 500 an unexpected
error gets leaves through it too (Starlette puts ``ServerErrorMiddleware`` above every middleware it is given).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["LOCAL_HOSTS", "HardenedApp", "SecurityHeaders", "default_allowed_hosts", "is_loopback"]

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
_PRIVATE_PREFIXES = ("/api/", "/webhooks/")
_PUBLIC_HEADERS = [(b"x-content-type-options", b"nosniff")]
_PRIVATE_HEADERS = [*_PUBLIC_HEADERS, (b"cache-control", b"no-store")]
_HSTS = (b"strict-transport-security", b"max-age=31536000")  # a year; not includeSubDomains: the operator's other
# hosts are not ours to decide for
_ADDED = {  # (private, https): the headers added, and the names whose app's values they replace
    (private, https): (headers, frozenset(name for name, _ in headers))
    for private, base in ((False, _PUBLIC_HEADERS), (True, _PRIVATE_HEADERS))
    for https, headers in ((False, base), (True, [*base, _HSTS]))
}
_KNOWN_HOSTS = 64


class SecurityHeaders:
    """``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff`` on every ``/api`` and ``/webhooks``
    answer (errors and event streams included); ``nosniff`` on every other answer too; HSTS on every answer over
    HTTPS. With ``allowed_hosts``, the
    Host check as well, in the same layer (one middleware less for every request): Starlette's
    ``TrustedHostMiddleware`` decides, and the Host values it let through are remembered (``_KNOWN_HOSTS`` of them)
    so that a request with one of those goes on without being parsed again. Its refusal gets the headers too."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str] | None = None) -> None:
        self.app = app
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
        added, names = _ADDED[private, scope.get("scheme") == "https"]

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


class HardenedApp(Starlette):
    """A Starlette app whose outermost layer is ``SecurityHeaders`` (with the Host check when ``allowed_hosts`` is
    given; ``"*"`` allows any), so that every answer the app sends carries the headers: its own, the Host check's
    refusal, and the 500 that Starlette's ``ServerErrorMiddleware`` answers an unexpected error with. Starlette
    builds ``ServerErrorMiddleware`` above every middleware in ``middleware=``: the headers given there never saw
    that 500. Here it is the same stack (``ServerErrorMiddleware``, ``middleware=``, ``ExceptionMiddleware``, the
    router) under the headers: as many layers per request as with the headers in ``middleware=``, in another order.
    """

    def __init__(self, *args: Any, allowed_hosts: Sequence[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_hosts = allowed_hosts

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack(), allowed_hosts=self.allowed_hosts)


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
