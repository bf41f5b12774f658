"""Who may use the desk: a signed, HttpOnly, SameSite=Lax session cookie says who is signed in; every request that
changes something must also carry the session's CSRF token in ``X-CSRF-Token`` (the page has it; another site
cannot read it). The cookie names a session kept server-side (``_sessions``): signing out, a new password and
removing the agent end it, and so does ``idle_timeout`` seconds without a request. Failed sign-ins are throttled.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

from starlette.requests import Request
from starlette.responses import Response

from ._accounts import AccountStore
from ._security import DeskSession, same
from ._web import ApiError

if TYPE_CHECKING:
    from ._state import DeskState

__all__ = ["DESK_COOKIE", "LoginThrottle", "clear_desk_cookie", "current_session", "desk_session", "set_desk_cookie"]

DESK_COOKIE = "agentkit_desk"
CSRF_HEADER = "x-csrf-token"


async def current_session(request: Request, state: DeskState) -> DeskSession | None:
    """The session of the request's cookie while it is open; None without one, or when it was signed out, revoked
    (a new password, the agent removed), idle too long or too old."""
    session = state.signer.read(request.cookies.get(DESK_COOKIE))
    if session is None:
        return None
    lifetime, idle = state.signer.max_age, state.idle_timeout
    is_open = await state.accounts.check_session(session.id, session.agent, idle=idle, lifetime=lifetime)
    return session if is_open else None


async def desk_session(request: Request, state: DeskState, *, write: bool) -> DeskSession:
    """The signed-in agent; 401 without an open session, 403 for a change without the session's CSRF token."""
    session = await current_session(request, state)
    if session is None:
        raise ApiError(401, "sign in to the desk first (POST /api/desk/login, or the form at /desk); a session ends "
                            "on sign-out, a new password, or when idle")  # fmt: skip
    if write and not same(request.headers.get(CSRF_HEADER, ""), session.csrf):
        raise ApiError(403, "missing or wrong X-CSRF-Token header; use the csrf_token of GET /api/desk/session")
    return session


def set_desk_cookie(response: Response, request: Request, value: str, max_age: float) -> None:
    response.set_cookie(DESK_COOKIE, value, max_age=int(max_age), path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")  # fmt: skip


def clear_desk_cookie(response: Response) -> None:
    response.delete_cookie(DESK_COOKIE, path="/", httponly=True, samesite="lax")


@dataclass(frozen=True)
class LoginThrottle:
    """Failed sign-ins, counted in the accounts store so every worker counts the same, slow the next try:

    - per account, whatever the address: after ``free_failures`` within ``account_window`` seconds, each try waits
      2, 4, 8, ... seconds after the last failure, at most ``max_backoff``: a guesser gets a few tries a minute, and
      the account's owner, never locked out, waits at most that long (a right password ends the backoff);
    - per address: ``per_address`` failures within ``address_window`` seconds, then 429 until they age;
    - everyone: ``global_limit`` failures within ``global_window`` seconds, then 429 (a flood costs scrypt time).

    The address is ``request.client.host``: the proxy's when uvicorn does not trust its forwarded headers.
    """

    free_failures: int = 3
    max_backoff: float = 30.0
    account_window: float = 900.0
    per_address: int = 20
    address_window: float = 300.0
    global_limit: int = 300
    global_window: float = 60.0

    async def check(self, accounts: AccountStore, name: str, address: str) -> None:
        """429 with Retry-After when a throttle says wait."""
        windows = (self.account_window, self.address_window, self.global_window)
        failures = await accounts.signin_failures(name, address, windows)
        if failures.everyone >= self.global_limit:
            _too_many("this desk has had too many failed sign-ins in the last minute", self.global_window / 2)
        if failures.address >= self.per_address:
            _too_many("too many failed sign-ins from this address", self.address_window / 4)
        if failures.account >= self.free_failures:
            backoff = min(2.0 ** (failures.account - self.free_failures + 1), self.max_backoff)
            wait = failures.account_last + backoff - time.time()
            if wait > 0:
                _too_many(f"too many failed sign-ins for {name!r}", wait)


def _too_many(what: str, seconds: float) -> NoReturn:
    wait = max(math.ceil(seconds), 1)
    raise ApiError(429, f"{what}; try again in {wait} s", {"Retry-After": str(wait)})
