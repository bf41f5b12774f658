"""A relayed message queued in the transaction that stores it (the turn's first), not in one of its own.

The turn's first transaction stores the user's message; when the conversation has an open session that takes it
as it is (not timed out, the plugin's own settings: the text is not its close command), the outbox row is queued
there too, by one ``INSERT ... SELECT`` that decides it from the session row, and claimed when no older row of the
session is queued (rows are sent in order). On PostgreSQL it goes with the transaction's other statements, in its
one round trip. What is not that plain case (no open session, a timeout due, a close command, a session with
overrides) is left to ``intercept``, as before. A crash after the commit leaves the message queued, never lost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..storage import Connection
from . import _state as state
from ._outbox import OutboxRow

__all__ = ["Relayed", "queue_at_commit"]


@dataclass(frozen=True, slots=True)
class Relayed:
    """The message, queued in the turn's first transaction for ``session``; ``token``: the claim's, when the row
    was claimed as it was queued (None: an older row of the session is queued, the deliverer sends it first)."""

    session: state.HitlSession
    row: OutboxRow
    token: str | None


_QUEUE = (
    "INSERT INTO hitl_outbox (plugin, session_row, kind, payload_json, status, next_attempt_at, created_at, "
    "told_user, claim_token, claimed_until) "
    "SELECT s.plugin, s.id, 'message', ? || {key} || '}}', 'queued', ?, ?, ?, {claim} "
    "FROM hitl_sessions s WHERE s.plugin = ? AND s.conversation_id = ? AND s.state != 'ended' "
    "AND (s.state != 'pending' OR s.timeout_at IS NULL OR s.timeout_at > ?) AND s.config_json = ? "
    "RETURNING id, session_row, claim_token"
)
_OLDER = "SELECT 1 FROM hitl_outbox o WHERE o.session_row = s.id AND o.status = 'queued'"
# The lease's end cast: a parameter in a CASE is text to PostgreSQL's PREPARE, which then refuses it for claimed_until
# (the statement went as SQL text each time, not prepared: storage/_pg_prepared.py).
_CLAIM = (
    f"CASE WHEN NOT EXISTS ({_OLDER}) THEN ? END, "
    f"CASE WHEN NOT EXISTS ({_OLDER}) THEN CAST(? AS DOUBLE PRECISION) END"
)
_NO_CLAIM = "NULL, NULL"  # not CASE ... THEN NULL: PostgreSQL would type that text, not a number


def queue_at_commit(
    connection: Connection,
    plugin: str,
    conversation_id: str,
    text: str,
    *,
    message_key_sql: str,
    config_json: str,
    claim: tuple[str, float] | None,
) -> Callable[[], tuple[int, int, str | None] | None]:
    """Queue ``text`` for the conversation's open session if it takes it as it is (see the module): call the
    result once the transaction has committed: ``(row id, session row, claim token)``, or None when nothing was
    queued. ``message_key_sql``: the stored message's key, as a SQL expression of the conversation's id (one
    ``?``). ``config_json``: the plugin's settings as a session stores them. ``claim``: ``(token, until)`` to claim
    the row for the caller (inline delivery); None: the user is told at once that it went to the person."""
    now = time.time()
    prefix = json.dumps({"text": text})[:-1] + ', "message_id": '  # the payload, up to the message's key
    sql = _QUEUE.format(key=message_key_sql, claim=_NO_CLAIM if claim is None else _CLAIM)
    claimed = () if claim is None else claim
    params = (prefix, conversation_id, now, now, int(claim is None), *claimed, plugin, conversation_id, now,
              config_json)  # fmt: skip
    rows = connection.read_at_commit(sql, params)
    return lambda: next(((r["id"], r["session_row"], r["claim_token"]) for r in rows()), None)
