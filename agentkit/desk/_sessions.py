"""The desk's server-side state of sign-ins, in the accounts database so that every worker sees the same: the
sessions (a cookie is good only while its row is there: logout, a password change and an agent's removal delete
rows) and the failed sign-ins the throttles count. Rows expire: each write deletes the ones past their time, so
the tables hold at most a window's worth.

Blocking functions on a ``Connection``, called inside the accounts store's transactions.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..storage import Connection
from ._security import hash_token

__all__ = [
    "FAILURE_MEMORY",
    "Failures",
    "clear_failures",
    "count_failures",
    "delete_sessions",
    "end_session",
    "record_failure",
    "start_session",
    "touch_session",
]

FAILURE_MEMORY = 3600.0
"""Seconds a failed sign-in is remembered: the longest window any throttle looks at."""
_TOUCH_EVERY = 30.0
"""A session's last use is written at most this often: a request is not a write."""


def start_session(db: Connection, session_id: str, agent: str, now: float, lifetime: float) -> None:
    db.execute("DELETE FROM desk_sessions WHERE created_at < ?", (now - lifetime,))
    db.execute(
        "INSERT INTO desk_sessions (id_hash, agent, created_at, last_seen) VALUES (?, ?, ?, ?)",
        (hash_token(session_id), agent, now, now),
    )


def touch_session(db: Connection, session_id: str, agent: str, now: float, *, idle: float, lifetime: float) -> bool:
    """True while the session exists, is ``agent``'s, was used within ``idle`` seconds and began within
    ``lifetime``; its last use is then moved to ``now``. A session found idle or too old is deleted."""
    row = db.execute(
        "SELECT agent, created_at, last_seen FROM desk_sessions WHERE id_hash = ?", (hash_token(session_id),)
    ).fetchone()
    if row is None or str(row["agent"]) != agent:
        return False
    if now - float(row["last_seen"]) > idle or now - float(row["created_at"]) > lifetime:
        end_session(db, session_id)
        return False
    if now - float(row["last_seen"]) > _TOUCH_EVERY:
        db.execute("UPDATE desk_sessions SET last_seen = ? WHERE id_hash = ?", (now, hash_token(session_id)))
    return True


def end_session(db: Connection, session_id: str) -> None:
    db.execute("DELETE FROM desk_sessions WHERE id_hash = ?", (hash_token(session_id),))


def delete_sessions(db: Connection, agent: str) -> int:
    """Sign ``agent`` out everywhere (a new password, a removed account); how many sessions there were."""
    return int(db.execute("DELETE FROM desk_sessions WHERE agent = ?", (agent,)).rowcount)


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins within the throttles' windows: of the account (and the last one's time), of the address,
    and of everyone."""

    account: int
    account_last: float
    address: int
    everyone: int


def record_failure(db: Connection, account: str, address: str, now: float) -> None:
    db.execute("DELETE FROM desk_signin_failures WHERE at < ?", (now - FAILURE_MEMORY,))
    db.execute(
        "INSERT INTO desk_signin_failures (account, address, at) VALUES (?, ?, ?)", (account.lower(), address, now)
    )


def count_failures(
    db: Connection, account: str, address: str, now: float, windows: tuple[float, float, float]
) -> Failures:
    account_window, address_window, global_window = windows
    mine = db.execute(
        "SELECT COUNT(*) AS n, COALESCE(MAX(at), 0) AS last FROM desk_signin_failures WHERE account = ? AND at >= ?",
        (account.lower(), now - account_window),
    ).fetchone()
    theirs = db.execute(
        "SELECT COUNT(*) AS n FROM desk_signin_failures WHERE address = ? AND at >= ?", (address, now - address_window)
    ).fetchone()
    everyone = db.execute(
        "SELECT COUNT(*) AS n FROM desk_signin_failures WHERE at >= ?", (now - global_window,)
    ).fetchone()
    return Failures(int(mine["n"]), float(mine["last"]), int(theirs["n"]), int(everyone["n"]))


def clear_failures(db: Connection, account: str) -> None:
    """The right password ends the account's backoff (its address's count stays)."""
    db.execute("DELETE FROM desk_signin_failures WHERE account = ?", (account.lower(),))
