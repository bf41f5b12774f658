"""The outbox: every call to the helpdesk is written down before it is made, and made until it succeeds.

Rows belong to one session and are sent in order: ``start`` (open the ticket), then ``message`` (a user message for
the human agent) and ``stop`` (close the ticket). A retryable ``ProviderError`` is retried at once with backoff
(tenacity); when the helpdesk keeps failing the row stays queued and a background pass (or ``agentkit hitl
redeliver``) sends it later, backing off further each time. A row is claimed before it is sent, with a lease, so two
deliverers (this process and the redeliver command) never send it together; within one process a lock per session
does the same. A crash after the row is stored and before the call leaves the row queued: the next start of the
agent delivers it, with the same idempotency key, hence exactly one ticket.

A helpdesk whose tables are in the agent's database (the embedded desk at the store's URL) is written in the
agent's own transactions instead, for a relayed message (``_relay``) and a handoff's ticket (``_actions``): that
commit is the call, nothing is left to send, and no row is queued. A ``stop`` still goes through here.

The claim is decided under locks: the callers hold the session's conversation (see ``_state``), and on PostgreSQL
the claimed row is read ``FOR UPDATE SKIP LOCKED``, so a deliverer in another process that is claiming the same row
right now makes this one pass instead of sending it twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

from ..retry import Backoff
from ..storage import Connection
from ._state import SESSION_ROW_SQL

__all__ = ["OutboxEntry", "OutboxRow", "RowKind"]

RowKind = Literal["start", "message", "stop"]


@dataclass(frozen=True)
class OutboxRow:
    id: int
    session_row: int
    kind: RowKind
    payload: dict[str, Any]
    attempts: int
    maybe_sent: bool = False
    """An earlier call with this row may have reached the helpdesk (it timed out, or the helpdesk failed midway)."""
    sending: bool = False
    """Claimed and marked as maybe sent in the transaction that queued it (``enqueue``'s ``sending``): the call may
    be made without ``mark_sending``."""


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox row as an operator sees it (``agentkit hitl outbox``). ``status``: queued, done, failed (the
    helpdesk refused it), dead (it failed ``max_attempts`` times: a dead letter, never retried) or cancelled."""

    id: int
    plugin: str
    conversation_id: str
    kind: RowKind
    status: str
    attempts: int
    last_error: str | None
    created_at: float
    done_at: float | None


def new_claim_token() -> str:
    return uuid.uuid4().hex


def enqueue(
    connection: Connection,
    plugin: str,
    session_row: int,
    kind: RowKind,
    payload: dict[str, Any],
    now: float,
    *,
    told_user: bool = False,
    claim: tuple[str, float] | None = None,
    sending: bool = False,
) -> int:
    """Queue a row. ``told_user``: the user's turn ends with this message gone to the person, so if it never
    reaches them the bot must answer it (``take_returned``). ``claim``: ``(token, until)``, the row claimed by the
    caller, who sends it as soon as this commits (as ``claim_next`` would: no deliverer takes it meanwhile).
    ``sending``: with ``claim``, the row is marked as maybe sent already (``mark_sending``, in the same transaction:
    nothing can end its session between the claim and the mark), so an ``/end`` from now on closes the ticket after
    it instead of dropping the row (``cancel_unsent_start``)."""
    token, until = claim if claim is not None else (None, None)
    return connection.insert(
        "INSERT INTO hitl_outbox (plugin, session_row, kind, payload_json, status, next_attempt_at, created_at, "
        "told_user, claim_token, claimed_until, maybe_sent) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
        (plugin, session_row, kind, json.dumps(payload), now, now, int(told_user), token, until,
         int(sending and claim is not None)),
    )  # fmt: skip


def enqueue_start_at_commit(
    connection: Connection,
    plugin: str,
    session: tuple[str, int],
    payload: dict[str, Any],
    now: float,
    *,
    claim: tuple[str, float] | None = None,
) -> Callable[[], int]:
    """``enqueue`` of a new session's ``start`` (``sending`` when claimed), for the session that this transaction
    created (``state.create_session``) and whose key it has not read: ``session`` is its ``(conversation_id,
    escalation)``. Call the result once the transaction has ended: the row's id (read at commit: on PostgreSQL, no
    round trip of its own)."""
    token, until = claim if claim is not None else (None, None)
    return connection.insert_at_commit(
        "INSERT INTO hitl_outbox (plugin, session_row, kind, payload_json, status, next_attempt_at, created_at, "
        f"told_user, claim_token, claimed_until, maybe_sent) VALUES (?, {SESSION_ROW_SQL}, 'start', ?, 'queued', ?, ?, "
        "0, ?, ?, ?)",
        (plugin, plugin, *session, json.dumps(payload), now, now, token, until, int(claim is not None)),
    )


def tell_user(connection: Connection, row_id: int) -> None:
    """The turn that queued the row ends without an answer from the bot: the message went (or goes) to the person."""
    connection.execute("UPDATE hitl_outbox SET told_user = 1 WHERE id = ?", (row_id,))


def take_returned(connection: Connection, session_row: int, now: float) -> list[tuple[str, int | None]]:
    """The user messages of the session that the user was told went to the person and that never will (refused,
    dead or cancelled), oldest first, each returned once: the bot answers them. Each is its text and its stored
    message id (None for a row queued before ids were kept)."""
    rows = connection.execute(
        "SELECT id, payload_json FROM hitl_outbox WHERE session_row = ? AND kind = 'message' AND told_user = 1 "
        "AND returned_at IS NULL AND status IN ('failed', 'dead', 'cancelled') ORDER BY id",
        (session_row,),
    ).fetchall()
    for row in rows:
        connection.execute("UPDATE hitl_outbox SET returned_at = ? WHERE id = ?", (now, row["id"]))
    payloads = [json.loads(row["payload_json"]) for row in rows]
    return [(str(p["text"]), p.get("message_id")) for p in payloads]


def claim_next(
    connection: Connection, session_row: int, token: str, now: float, lease: float, *, due_only: bool
) -> OutboxRow | None:
    """Claim the session's oldest queued row; None when there is none, it is not due, or another deliverer has it."""
    oldest = connection.execute(
        "SELECT id FROM hitl_outbox WHERE session_row = ? AND status = 'queued' ORDER BY id LIMIT 1", (session_row,)
    ).fetchone()
    if oldest is None:
        return None
    # Only the oldest row may go (rows are sent in order): skipping a locked one must not pick the next instead.
    row = connection.execute(
        "SELECT * FROM hitl_outbox WHERE id = ? AND status = 'queued'" + connection.for_update(skip_locked=True),
        (oldest["id"],),
    ).fetchone()
    if row is None or (due_only and row["next_attempt_at"] > now):
        return None
    if row["claimed_until"] is not None and row["claimed_until"] > now and row["claim_token"] != token:
        return None
    connection.execute(
        "UPDATE hitl_outbox SET claim_token = ?, claimed_until = ? WHERE id = ?", (token, now + lease, row["id"])
    )
    payload = json.loads(row["payload_json"])
    return OutboxRow(row["id"], session_row, row["kind"], payload, row["attempts"], bool(row["maybe_sent"]))


_CLAIM_OLDEST = (
    "UPDATE hitl_outbox SET claim_token = ?, claimed_until = ? "
    "WHERE id = (SELECT id FROM hitl_outbox WHERE session_row = ? AND status = 'queued' ORDER BY id LIMIT 1) "
    "AND status = 'queued' AND (? OR next_attempt_at <= ?) AND (claimed_until IS NULL OR claimed_until <= ? "
    "OR claim_token = ?) RETURNING id, kind, payload_json, attempts, maybe_sent"
)


def claim_next_at_commit(
    connection: Connection, session_row: int, token: str, now: float, lease: float, *, due_only: bool
) -> Callable[[], OutboxRow | None]:
    """``claim_next`` in one statement whose row is read at commit (call the result once the transaction has
    ended; on PostgreSQL it costs no round trip of its own): the session's oldest queued row, claimed if it is due
    (or ``due_only`` is off) and no other deliverer's claim on it is live. Where ``claim_next`` skips a row another
    transaction has locked, this waits for that transaction and decides on the row as it leaves it (a claimer in
    another process holds the session's conversation lock first, as the callers of both do: they seldom meet)."""
    rows = connection.read_at_commit(
        _CLAIM_OLDEST, (token, now + lease, session_row, not due_only, now, now, token)
    )

    def claimed() -> OutboxRow | None:
        row = next(iter(rows()), None)
        if row is None:
            return None
        payload = json.loads(row["payload_json"])
        return OutboxRow(row["id"], session_row, row["kind"], payload, row["attempts"], bool(row["maybe_sent"]))

    return claimed


def mark_sending(connection: Connection, row_id: int, token: str) -> bool:
    """Right before the call: the row is still ours to send (False: its session ended meanwhile and cancelled it),
    and from now on it may have reached the helpdesk."""
    cursor = connection.execute(
        "UPDATE hitl_outbox SET maybe_sent = 1 WHERE id = ? AND claim_token = ? AND status = 'queued'", (row_id, token)
    )
    return bool(cursor.rowcount)


def complete(connection: Connection, row_id: int, now: float, *, told_user: bool = False) -> None:
    """The row was sent. ``told_user``: and the turn that queued it ends now (``tell_user``, in the same UPDATE)."""
    told = ", told_user = 1" if told_user else ""
    connection.execute(
        "UPDATE hitl_outbox SET status = 'done', done_at = ?, claim_token = NULL, claimed_until = NULL, "
        f"attempts = attempts + 1{told} WHERE id = ?",
        (now, row_id),
    )


def postpone(connection: Connection, row_id: int, error: str, next_attempt_at: float, *, maybe_sent: bool) -> None:
    connection.execute(
        "UPDATE hitl_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claim_token = NULL, "
        "claimed_until = NULL, maybe_sent = ? WHERE id = ?",
        (error, next_attempt_at, int(maybe_sent), row_id),
    )


def release(connection: Connection, row_id: int, token: str) -> None:
    """Give a claimed row back untouched (the delivery was cancelled, e.g. by shutdown)."""
    connection.execute(
        "UPDATE hitl_outbox SET claim_token = NULL, claimed_until = NULL WHERE id = ? AND claim_token = ?",
        (row_id, token),
    )


def fail(connection: Connection, row_id: int, error: str, now: float) -> None:
    """The helpdesk refused the row for good; the rows queued after it in its session cannot go either."""
    connection.execute(
        "UPDATE hitl_outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, done_at = ?, "
        "claim_token = NULL, claimed_until = NULL WHERE id = ?",
        (error, now, row_id),
    )
    (session_row,) = connection.execute("SELECT session_row FROM hitl_outbox WHERE id = ?", (row_id,)).fetchone()
    cancel_session_rows(connection, session_row, now)


def bury(connection: Connection, row_id: int, error: str, now: float) -> None:
    """The row failed as often as it may: a dead letter, kept for the operator and never sent again. Like a refusal,
    the rows queued after it in its session cannot go either."""
    connection.execute(
        "UPDATE hitl_outbox SET status = 'dead', attempts = attempts + 1, last_error = ?, done_at = ?, "
        "claim_token = NULL, claimed_until = NULL WHERE id = ?",
        (error, now, row_id),
    )
    (session_row,) = connection.execute("SELECT session_row FROM hitl_outbox WHERE id = ?", (row_id,)).fetchone()
    cancel_session_rows(connection, session_row, now)


def entries(connection: Connection, plugin: str, statuses: tuple[str, ...], limit: int = 200) -> list[OutboxEntry]:
    """The plugin's rows in ``statuses``, newest first."""
    marks = ", ".join("?" for _ in statuses)
    rows = connection.execute(
        "SELECT o.id, o.plugin, s.conversation_id, o.kind, o.status, o.attempts, o.last_error, o.created_at, "
        f"o.done_at FROM hitl_outbox o JOIN hitl_sessions s ON s.id = o.session_row WHERE o.plugin = ? "
        f"AND o.status IN ({marks}) ORDER BY o.id DESC LIMIT ?",
        (plugin, *statuses, limit),
    ).fetchall()
    return [OutboxEntry(*(r[i] for i in range(9))) for r in rows]


def cancel_session_rows(connection: Connection, session_row: int, now: float) -> None:
    connection.execute(
        "UPDATE hitl_outbox SET status = 'cancelled', done_at = ? WHERE session_row = ? AND status = 'queued'",
        (now, session_row),
    )


def cancel_unsent_start(connection: Connection, session_row: int, now: float) -> bool:
    """Drop a session's escalation that has not reached the helpdesk: no ticket is opened at all. A deliverer that
    claimed the row but has not called yet finds it cancelled (``mark_sending``) and sends nothing.

    False when the start is done, or may have reached the helpdesk (a call is in flight, or one timed out): then
    the ticket exists or may, the start goes (again, with its idempotency key) and the ticket is closed after it.
    """
    row = connection.execute(
        "SELECT id, status, maybe_sent FROM hitl_outbox WHERE session_row = ? AND kind = 'start'"
        + connection.for_update(),
        (session_row,),
    ).fetchone()
    if row is None or row["status"] != "queued":
        return row is not None and row["status"] in ("failed", "cancelled", "dead")
    if row["maybe_sent"]:
        return False
    cancel_session_rows(connection, session_row, now)
    return True


def due_sessions(connection: Connection, plugin: str, now: float, *, force: bool) -> list[int]:
    """Sessions with a queued row that is due (any queued row with ``force``) and not claimed by anyone."""
    rows = connection.execute(
        "SELECT DISTINCT session_row FROM hitl_outbox WHERE plugin = ? AND status = 'queued' "
        "AND (? OR next_attempt_at <= ?) AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY session_row",
        (plugin, force, now, now),
    ).fetchall()
    return [r["session_row"] for r in rows]


def next_due(connection: Connection, plugin: str) -> float | None:
    (at,) = connection.execute(
        "SELECT MIN(CASE WHEN claimed_until > next_attempt_at THEN claimed_until ELSE next_attempt_at END) "
        "FROM hitl_outbox "
        "WHERE plugin = ? AND status = 'queued'",
        (plugin,),
    ).fetchone()
    return cast(float | None, at)


def backoff(attempts: int, interval: float, limit: float) -> float:
    """Seconds to wait before the background pass retries a row that failed ``attempts`` times (no jitter: the
    background pass runs on its own schedule, which already spreads the tries)."""
    return Backoff(interval, limit, jitter=0.0).delay(max(attempts, 1))
