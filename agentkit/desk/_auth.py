"""Who may use the desk: a signed, HttpOnly, SameSite=Lax session cookie says who is signed in; every request that
changes something must also carry the session's CSRF token in ``X-CSRF-Token`` (the page has it; another site
cannot read it). Failed sign-ins are throttled.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from ._security import DeskSession, same
from ._web import ApiError

if TYPE_CHECKING:
    from ._state import DeskState

__all__ = ["DESK_COOKIE", "LoginThrottle", "clear_desk_cookie", "desk_session", "set_desk_cookie"]

DESK_COOKIE = "agentkit_desk"
CSRF_HEADER = "x-csrf-token"


def desk_session(request: Request, state: DeskState, *, write: bool) -> DeskSession:
    """The signed-in agent; 401 without a valid session, 403 for a change without the session's CSRF token."""
    session = state.signer.read(request.cookies.get(DESK_COOKIE))
    if session is None:
        raise ApiError(401, "sign in to the desk first (POST /api/desk/login, or the form at /desk)")
    if write and not same(request.headers.get(CSRF_HEADER, ""), session.csrf):
        raise ApiError(403, "missing or wrong X-CSRF-Token header; use the csrf_token of GET /api/desk/session")
    return session


def set_desk_cookie(response: Response, request: Request, value: str, max_age: float) -> None:
    response.set_cookie(DESK_COOKIE, value, max_age=int(max_age), path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")  # fmt: skip


def clear_desk_cookie(response: Response) -> None:
    response.delete_cookie(DESK_COOKIE, path="/", httponly=True, samesite="lax")


class LoginThrottle:
    """At most ``limit`` failed sign-ins per name and client within ``window`` seconds; then 429 until it passes."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[tuple[str, str], list[float]] = {}

    def check(self, name: str, client: str) -> None:
        recent = self._recent((name.lower(), client))
        if len(recent) >= self.limit:
            wait = int(recent[0] + self.window - time.time()) + 1
            raise ApiError(429, f"too many failed sign-ins for {name!r}; try again in {wait} s",
                           {"Retry-After": str(wait)})  # fmt: skip

    def failed(self, name: str, client: str) -> None:
        key = (name.lower(), client)
        self._failures[key] = [*self._recent(key), time.time()]

    def succeeded(self, name: str, client: str) -> None:
        self._failures.pop((name.lower(), client), None)

    def _recent(self, key: tuple[str, str]) -> list[float]:
        now = time.time()
        recent = [t for t in self._failures.get(key, []) if now - t < self.window]
        if not recent:
            self._failures.pop(key, None)  # forgotten once the window passed: memory does not grow
        return recent
