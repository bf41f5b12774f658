"""A relayed message queued in the transaction that stores it (the turn's first), not in one of its own.

The turn's first transaction stores the user's message; when the conversation has an open session that takes it
as it is (not timed out, the plugin's own settings: the text is not its close command), the outbox row is queued
there too, by one ``INSERT ... SELECT`` that decides it from the session row, and claimed when no older row of the
session is queued (rows are sent in order). On PostgreSQL it goes with the transaction's other statements, in its
one round trip. What is not that plain case (no open session, a timeout due, a close command, a session with
overrides) is left to ``intercept``, as before. A crash after the commit leaves the message queued, never lost.

When the helpdesk's tables are in the agent's database (the embedded desk at the store's URL), the message is
written to the helpdesk in that same transaction instead (``Through``), and no outbox row is queued for it: the
outbox keeps what is still to be sent, and this is sent, by the COMMIT that stores the user's message. That is
the plain case above, for the session this process saw open with its helpdesk id (``Through``), no older row of it
queued (rows go in order) and the ticket open; each is decided on rows this transaction holds (the conversation's
lock, taken first; the ticket's row, locked by the helpdesk's write when it is open, and a closed one stays
closed), so the helpdesk's statements and the outbox's agree. Anything else queues the row, as before: a ticket
closed by the person meanwhile is refused by the helpdesk on delivery, and the message goes back to the bot.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..storage import Connection
from . import _state as state
from ._outbox import OutboxRow

__all__ = ["Queued", "Relayed", "Taken", "Through", "WriteThrough", "queue_at_commit"]


@dataclass(frozen=True, slots=True)
class Relayed:
    """The message, queued in the turn's first transaction for ``session``; ``token``: the claim's, when the row
    was claimed as it was queued (None: an older row of the session is queued, the deliverer sends it first).
    ``row`` None: written to the helpdesk in that transaction (``Through``), nothing is left to send."""

    session: state.HitlSession
    row: OutboxRow | None
    token: str | None


@dataclass(frozen=True, slots=True)
class Through:
    """A conversation's open session as this process last saw it, delivered: its row, its helpdesk id, and the
    user's name there. A hint, checked in the transaction: the message goes through only to that session."""

    session_row: int
    remote_id: str
    user_name: str | None


Condition = tuple[str, tuple[object, ...]]
"""A condition in SQL (``?`` marks) and its parameters."""
WriteThrough = Callable[[Connection, Through, str, Condition], tuple[Callable[[], bool], Condition]]
"""The helpdesk's write of a user's message in the caller's transaction: ``(connection, through, text, only_if)``
writes it if its ticket is open and ``only_if`` holds, and gives back a function to call once the transaction has
committed (whether it was written) and the ticket's condition in SQL (open), which, once the write has run, holds
until the end of the transaction if and only if it held then."""


@dataclass(frozen=True, slots=True)
class Taken:
    """The message was written to the helpdesk in the transaction that stored it (``Through``)."""

    session_row: int


Queued = tuple[int, int, str | None]
"""A queued row: its id, its session's row, and the claim's token (None: not claimed)."""


_QUEUE = (
    "INSERT INTO hitl_outbox (plugin, session_row, kind, payload_json, status, next_attempt_at, created_at, "
    "told_user, claim_token, claimed_until) "
    "SELECT s.plugin, s.id, 'message', ? || {key} || '}}', 'queued', ?, ?, ?, {claim} "
    "FROM hitl_sessions s WHERE s.plugin = ? AND s.conversation_id = ? AND s.state != 'ended' "
    "AND (s.state != 'pending' OR s.timeout_at IS NULL OR s.timeout_at > ?) AND s.config_json = ?{taken} "
    "RETURNING id, session_row, claim_token"
)
_OLDER = "SELECT 1 FROM hitl_outbox o WHERE o.session_row = s.id AND o.status = 'queued'"
# The lease's end cast: a parameter in a CASE is text to PostgreSQL's PREPARE, which then refuses it for claimed_until
# (the statement went as SQL text each time, not prepared: storage/_pg_prepared.py).
_CLAIM = (
    f"CASE WHEN NOT EXISTS ({_OLDER}) THEN ? END, "
    f"CASE WHEN NOT EXISTS ({_OLDER}) THEN CAST(? AS DOUBLE PRECISION) END"
)
_KEY = "CAST(? AS TEXT)"  # a message's key given, not read (``queue_at_commit``'s ``message_id``)
_NO_CLAIM = "NULL, NULL"  # not CASE ... THEN NULL: PostgreSQL would type that text, not a number
_PLAIN = (
    "EXISTS (SELECT 1 FROM hitl_sessions s WHERE s.id = ? AND s.session_id = ? AND s.state != 'ended' "
    "AND (s.state != 'pending' OR s.timeout_at IS NULL OR s.timeout_at > ?) AND s.config_json = ? "
    f"AND NOT EXISTS ({_OLDER}))"
)
"""The session seen (``Through``: its row and helpdesk id) takes the message as it is, and has no row queued."""


def queue_at_commit(
    connection: Connection,
    plugin: str,
    conversation_id: str,
    text: str,
    *,
    message_key_sql: str,
    config_json: str,
    claim: tuple[str, float] | None,
    through: tuple[Through, WriteThrough] | None = None,
    message_id: int | None = None,
) -> Callable[[], Queued | Taken | None]:
    """Queue ``text`` for the conversation's open session if it takes it as it is (see the module): call the
    result once the transaction has committed: the row queued, ``Taken`` when it was written to the helpdesk
    instead (``through``: the session seen and the helpdesk's write; inline delivery only), or None when neither
    was done. ``message_key_sql``: the stored message's key, as a SQL expression of the conversation's id (one
    ``?``). ``config_json``: the plugin's settings as a session stores them. ``claim``: ``(token, until)`` to claim
    the row for the caller (inline delivery); None: the user is told at once that it went to the person.
    ``message_id``: the stored message's key, when this is a transaction after the one that stored it (then
    ``message_key_sql`` is not used: the message may not be the conversation's newest any more); the caller takes the
    conversation's lock first, as the one that stores it does."""
    now = time.time()
    written, taken, taken_params, session_row = _no_write, "", tuple[object, ...](), 0
    if through is not None and claim is not None:
        seen, write = through
        session_row = seen.session_row
        plain = (_PLAIN, (seen.session_row, seen.remote_id, now, config_json))
        written, (open_sql, open_params) = write(connection, seen, text, plain)  # first: it locks an open ticket
        taken, taken_params = f" AND NOT ({_PLAIN} AND {open_sql})", (*plain[1], *open_params)
    prefix = json.dumps({"text": text})[:-1] + ', "message_id": '  # the payload, up to the message's key
    key, key_param = (message_key_sql, conversation_id) if message_id is None else (_KEY, str(message_id))
    sql = _QUEUE.format(key=key, claim=_NO_CLAIM if claim is None else _CLAIM, taken=taken)
    claimed = () if claim is None else claim
    params = (prefix, key_param, now, now, int(claim is None), *claimed, plugin, conversation_id, now,
              config_json, *taken_params)  # fmt: skip
    rows = connection.read_at_commit(sql, params)

    def settled() -> Queued | Taken | None:
        queued = next(((r["id"], r["session_row"], r["claim_token"]) for r in rows()), None)
        if not written():
            return queued
        if queued is not None:  # the two statements decide on the same rows, held: this cannot be
            raise AssertionError(f"outbox row {queued[0]} was queued for a message the helpdesk has already")
        return Taken(session_row)

    return settled


def _no_write() -> bool:
    return False
