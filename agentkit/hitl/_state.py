"""The persisted HITL state machine, one row per escalation, in the agent's store.

```
none --start_hitl--> pending --agent assigned--> assigned
                        |                           |
                        +-----------+---------------+--> ended (agent_closed | user_closed | timeout | stopped | error)
```

A conversation has at most one open (pending or assigned) session per plugin, enforced by a partial unique index,
and its escalations are numbered 1, 2, ... : the number is part of the idempotency key, so one escalation opens
one ticket however often its delivery is retried. ``hitl_events`` remembers the helpdesk events already applied, and
``hitl_cursors`` how far a pushed event stream (the local desk's) has been read, to resume there after a restart,
and ``hitl_early_events`` the events that came for a helpdesk id before its session's start completed.
Every function here is synchronous and runs inside a store transaction.

On PostgreSQL, several processes may work on one conversation at once. A function that reads a session to decide
on it (``open_session``, ``session_by_row``, ``session_by_remote_id``) first takes the conversation's lock for the
rest of the transaction, so a transition is decided on what is current and one escalation opens one session. That
lock comes before any row lock in every transaction, so two transactions never wait on each other in a circle.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from agentkit.handoff import Priority, User

from ..storage import Connection
from ._config import SessionConfig
from ._provider import HitlEvent

__all__ = ["EndReason", "HitlSession", "SessionState"]

SessionState = Literal["pending", "assigned", "ended"]
EndReason = Literal["agent_closed", "user_closed", "timeout", "stopped", "error"]


@dataclass(frozen=True)
class HitlSession:
    """One escalation of one conversation. ``session_id`` is the helpdesk's id, None until delivered."""

    row_id: int
    plugin: str
    conversation_id: str
    escalation: int
    state: SessionState
    end_reason: EndReason | None
    session_id: str | None
    idempotency_key: str
    title: str
    priority: Priority
    agent_name: str | None
    user: User
    config: SessionConfig
    notice: str | None
    created_at: float
    timeout_at: float | None
    assigned_at: float | None
    ended_at: float | None

    @property
    def is_open(self) -> bool:
        return self.state != "ended"

    @property
    def delivered(self) -> bool:
        return self.session_id is not None


def idempotency_key(conversation_id: str, escalation: int) -> str:
    """Stable across retries and restarts of one escalation; different for the next escalation."""
    return f"{conversation_id}:{escalation}"


_COLUMNS = (
    "id, plugin, conversation_id, escalation, state, end_reason, session_id, idempotency_key, title, priority, "
    "agent_name, user_json, config_json, notice, created_at, timeout_at, assigned_at, ended_at"
)
"""A session row's columns in ``HitlSession``'s order (named, not ``*``: a later migration may add columns): read
by position, a row is a third of the work it is by name (each name is looked up among the columns)."""


def _session(row: Any) -> HitlSession:
    (row_id, plugin, conversation_id, escalation, state, end_reason, session_id, key, title, priority, agent_name,
     user_json, config_json, notice, created_at, timeout_at, assigned_at, ended_at) = row  # fmt: skip
    return HitlSession(
        row_id, plugin, conversation_id, escalation, state, end_reason, session_id, key, title, priority, agent_name,
        _parsed_user(user_json), _parsed_config(config_json), notice, created_at, timeout_at, assigned_at, ended_at,
    )  # fmt: skip


# A session is read several times per relayed message, and its config is the same JSON for every session of a
# plugin (unless overridden): each distinct text is parsed once. Both results are frozen, so sharing them is safe;
# the caches are bounded, so a server with many conversations only parses the users it sees again less often.


@functools.lru_cache(maxsize=64)
def _parsed_config(config_json: str) -> SessionConfig:
    return SessionConfig.from_json(json.loads(config_json))


@functools.lru_cache(maxsize=1024)
def _parsed_user(user_json: str) -> User:
    user = json.loads(user_json)
    return User(user["id"], user.get("name"), user.get("email"))


def _one(connection: Connection, sql: str, params: tuple[object, ...]) -> HitlSession | None:
    row = connection.execute(sql, params).fetchone()
    return _session(row) if row is not None else None


def open_session(connection: Connection, plugin: str, conversation_id: str) -> HitlSession | None:
    connection.lock_conversation(conversation_id)
    return _one(
        connection,
        f"SELECT {_COLUMNS} FROM hitl_sessions WHERE plugin = ? AND conversation_id = ? AND state != 'ended'",
        (plugin, conversation_id),
    )


_OPEN_NOW = (
    "SELECT s.id, s.state, s.session_id, EXISTS (SELECT 1 FROM hitl_outbox o WHERE o.session_row = s.id "
    "AND o.status = 'queued') AS has_queued FROM hitl_sessions s WHERE s.plugin = ? AND s.conversation_id = ? "
    "AND s.state != 'ended'"
)


def open_session_now(connection: Connection, read: HitlSession) -> tuple[HitlSession, bool] | None:
    """``open_session`` for a conversation whose session ``read`` was read earlier (in another transaction): the
    open session as it stands now, and whether it has a row still to send (queued: due or not, claimed or not), in one
    statement. Only its state and helpdesk id are read again when it is still ``read``'s (the rest of a session
    row changes only as it ends, or as its notice and agent are recorded, which sending a message does not use);
    a session opened since is read whole. None: none is open."""
    connection.lock_conversation(read.conversation_id)
    row = connection.execute(_OPEN_NOW, (read.plugin, read.conversation_id)).fetchone()
    if row is None:
        return None
    if row["id"] != read.row_id:
        return session_by_row(connection, row["id"], read.conversation_id), bool(row["has_queued"])
    session = read
    if (row["state"], row["session_id"]) != (read.state, read.session_id):
        session = replace(read, state=row["state"], session_id=row["session_id"])
    return session, bool(row["has_queued"])


_LATEST = (
    f"SELECT {_COLUMNS} FROM hitl_sessions WHERE plugin = ? AND conversation_id = ? ORDER BY escalation DESC LIMIT 1"
)


def latest_session(connection: Connection, plugin: str, conversation_id: str) -> HitlSession | None:
    return _one(connection, _LATEST, (plugin, conversation_id))


def latest_session_locked(connection: Connection, plugin: str, conversation_id: str) -> HitlSession | None:
    """``latest_session``, the conversation's lock taken first. What ``open_session`` and ``create_session`` need in
    one statement: the open session, if any, is the latest (none opens while one is open), and a new one is numbered
    after the latest."""
    return latest_session_locked_later(connection, plugin, conversation_id)()


def latest_session_locked_later(
    connection: Connection, plugin: str, conversation_id: str
) -> Callable[[], HitlSession | None]:
    """``latest_session_locked``, its statement sent but its row read when the result is called: a statement the
    caller sends meanwhile and reads (on PostgreSQL) goes to the server with it, in one round trip."""
    connection.lock_conversation(conversation_id)
    cursor = connection.execute(_LATEST, (plugin, conversation_id))
    return lambda: next((_session(row) for row in [cursor.fetchone()] if row is not None), None)


def latest_session_at_commit(
    connection: Connection, plugin: str, conversation_id: str
) -> Callable[[], HitlSession | None]:
    """``latest_session``, read at commit (``Connection.read_at_commit``): call the result once it has ended."""
    rows = connection.read_at_commit(_LATEST, (plugin, conversation_id))
    return lambda: next((_session(row) for row in rows()), None)


def session_by_row(connection: Connection, row_id: int, conversation_id: str | None = None) -> HitlSession:
    """``conversation_id``: the session's, when the caller knows it (a session never changes conversation): its
    lock is then taken without first looking the conversation up (on PostgreSQL, a round trip fewer)."""
    if not connection.serialized:
        if conversation_id is None:
            _lock_conversation_of(connection, "id = ?", (row_id,))
        else:
            connection.lock_conversation(conversation_id)
    session = _one(connection, f"SELECT {_COLUMNS} FROM hitl_sessions WHERE id = ?", (row_id,))
    if session is None:
        raise LookupError(f"no HITL session row {row_id}")
    if conversation_id is not None and session.conversation_id != conversation_id:
        raise LookupError(f"HITL session row {row_id} is of conversation {session.conversation_id!r}, "
                          f"not {conversation_id!r}")  # fmt: skip
    return session


def session_by_remote_id(connection: Connection, plugin: str, session_id: str) -> HitlSession | None:
    if not connection.serialized:
        _lock_conversation_of(connection, "plugin = ? AND session_id = ?", (plugin, session_id))
    return _one(
        connection,
        f"SELECT {_COLUMNS} FROM hitl_sessions WHERE plugin = ? AND session_id = ? ORDER BY escalation DESC LIMIT 1",
        (plugin, session_id),
    )


_STARTS_ON_THEIR_WAY = (
    "FROM hitl_outbox WHERE plugin = ? AND status = 'queued' AND kind = 'start' AND maybe_sent = 1 AND id <= ?"
)
_STARTING = (
    "SELECT EXISTS (SELECT 1 FROM hitl_sessions WHERE plugin = ? AND session_id = ?) AS known, "
    f"(SELECT MAX(id) {_STARTS_ON_THEIR_WAY}) AS starting, "
    f"(SELECT MAX(id) {_STARTS_ON_THEIR_WAY} AND claimed_until > ?) AS sending"
)


@dataclass(frozen=True, slots=True)
class Starting:
    """The starts of a plugin that may open the ticket of an event whose helpdesk id no session has: sent (maybe),
    not completed. ``newest``: the newest of them (its outbox row's id). ``sending``: one of them is being sent or
    completed right now (its claim is live), so it should complete soon; else each waits for another try (its call
    failed and was postponed, or its deliverer died and its claim ran out)."""

    newest: int
    sending: bool


def remote_id_stands(
    connection: Connection, plugin: str, session_id: str, now: float, up_to: int | None
) -> Literal["known"] | Starting | None:
    """For a helpdesk id that ``session_by_remote_id`` did not find: ``known`` if a session has it now (recorded
    since, by another transaction: on PostgreSQL each statement sees what has committed); else the starts of the
    plugin on their way that may be its (``Starting``), among the rows up to ``up_to`` (the newest there was when
    the event was first seen: a start queued after that cannot be its, as a start is marked sent before the helpdesk
    is called); None: no such start. A claim is renewed while the call lasts, and a dead process's runs out within
    ``claim_seconds``. One statement, so one snapshot: a start that completes meanwhile is seen one way or the other
    (its row done and the session's id are written in one transaction)."""
    newest = _NO_ROW_AFTER if up_to is None else up_to
    row = connection.execute(_STARTING, (plugin, session_id, plugin, newest, plugin, newest, now)).fetchone()
    if row["known"]:
        return "known"
    return None if row["starting"] is None else Starting(int(row["starting"]), row["sending"] is not None)


def keep_early_event(connection: Connection, plugin: str, event: HitlEvent, up_to: int, now: float) -> None:
    """Keep an event whose session is not known yet until a start up to ``up_to`` completes (``take_early_events``)
    or none may any more (``drop_orphan_early_events``); kept once per ``event_id`` (a helpdesk retry adds none)."""
    data = {"kind": event.kind, "agent_name": event.agent_name, "text": event.text, "occurred_at": event.occurred_at}
    connection.execute(
        "INSERT INTO hitl_early_events (plugin, event_id, session_id, event_json, up_to, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (plugin, event_id) DO NOTHING",
        (plugin, event.event_id, event.session_id, json.dumps(data), up_to, now),
    )


def take_early_events(connection: Connection, plugin: str, session_id: str) -> list[HitlEvent]:
    """The events kept for this helpdesk id, in the order they came, no longer kept (the caller applies them)."""
    rows = connection.execute(
        "SELECT id, event_id, event_json FROM hitl_early_events WHERE plugin = ? AND session_id = ? ORDER BY id",
        (plugin, session_id),
    ).fetchall()
    if rows:
        marks = ", ".join("?" for _ in rows)
        connection.execute(f"DELETE FROM hitl_early_events WHERE id IN ({marks})", tuple(r["id"] for r in rows))
    return [HitlEvent(event_id=r["event_id"], session_id=session_id, **json.loads(r["event_json"])) for r in rows]


_EARLY_REMOTE_IDS = (
    "SELECT DISTINCT e.session_id, EXISTS (SELECT 1 FROM hitl_sessions s WHERE s.plugin = e.plugin "
    "AND s.session_id = e.session_id) AS known FROM hitl_early_events e WHERE e.plugin = ? ORDER BY e.session_id"
)


def early_remote_ids(connection: Connection, plugin: str) -> list[tuple[str, bool]]:
    """The helpdesk ids that events are kept for, each with whether a session has it now."""
    rows = connection.execute(_EARLY_REMOTE_IDS, (plugin,)).fetchall()
    return [(r["session_id"], bool(r["known"])) for r in rows]


EARLY_EVENTS_OF = "SELECT 1 FROM hitl_early_events WHERE plugin = ? AND session_id = ?"
"""Whether events are kept for a helpdesk id (two ``?``: the plugin, the id)."""


def drop_orphan_early_events(connection: Connection, plugin: str) -> int:
    """Drop the kept events no session will take: their helpdesk id is not known, and every start that was on its
    way when they came is no longer (done with another ticket, refused, dead). One statement: a start that
    completes meanwhile is seen done with its id recorded, or not done (one transaction writes both)."""
    cursor = connection.execute(
        "DELETE FROM hitl_early_events WHERE plugin = ? AND NOT EXISTS (SELECT 1 FROM hitl_sessions s "
        "WHERE s.plugin = hitl_early_events.plugin AND s.session_id = hitl_early_events.session_id) "
        "AND NOT EXISTS (SELECT 1 FROM hitl_outbox o WHERE o.plugin = hitl_early_events.plugin "
        "AND o.status = 'queued' AND o.kind = 'start' AND o.maybe_sent = 1 AND o.id <= hitl_early_events.up_to)",
        (plugin,),
    )
    return max(cursor.rowcount, 0)


_NO_ROW_AFTER = 2**63 - 1


def _lock_conversation_of(connection: Connection, where: str, params: tuple[object, ...]) -> None:
    """Lock the conversation of the sessions ``where`` picks (a session never changes conversation)."""
    rows = connection.execute(f"SELECT DISTINCT conversation_id FROM hitl_sessions WHERE {where}", params).fetchall()
    for row in rows:
        connection.lock_conversation(row["conversation_id"])


def create_session(
    connection: Connection,
    plugin: str,
    conversation_id: str,
    *,
    after: int,
    title: str,
    priority: Priority,
    user: User,
    config: SessionConfig,
    now: float,
    config_json: str | None = None,
    notice: str | None = None,
    session_id: tuple[str, tuple[object, ...]] | None = None,
    require: tuple[str, tuple[object, ...]] | None = None,
) -> Callable[[], HitlSession]:
    """A new pending session, numbered after escalation ``after``: the conversation's latest (0: it has none), as
    ``latest_session_locked`` read it in this transaction, under the conversation's lock (no other transaction
    numbers the same escalation meanwhile). ``config_json``: ``config`` as JSON, when the caller has it already
    (the plugin's own settings: made once, not per handoff). ``notice``: what the user is told already.
    ``session_id``: the helpdesk's id, as a SQL expression (``?`` marks) and its parameters, when this transaction
    opened the ticket too (a helpdesk in the agent's database); it comes back at commit with the key.
    ``require``: a condition in SQL (``?`` marks) and its parameters: unless it holds, the row's escalation is NULL,
    which the table refuses: the INSERT fails, and the transaction with it (where the caller decided on what it
    read earlier, and must not write anything if that has changed, without reading it again here).

    Call the result once the transaction has ended: the session, its key read at commit (on PostgreSQL the INSERT
    costs no round trip of its own). In the transaction, the row is found by ``(plugin, conversation_id,
    escalation)`` (see ``session_row_sql``)."""
    escalation = after + 1
    key, timeout = idempotency_key(conversation_id, escalation), config.agent_assigned_timeout_seconds
    timeout_at = now + timeout if timeout > 0 else None
    remote_sql, remote_params = session_id if session_id is not None else ("NULL", ())
    number_sql, number_params = (
        ("?", (escalation,)) if require is None
        else (f"CASE WHEN {require[0]} THEN CAST(? AS INTEGER) END", (*require[1], escalation))
    )  # fmt: skip
    rows = connection.read_at_commit(
        "INSERT INTO hitl_sessions (plugin, conversation_id, escalation, state, idempotency_key, title, priority, "
        "user_json, config_json, notice, created_at, timeout_at, session_id) "
        f"VALUES (?, ?, {number_sql}, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, {remote_sql}) RETURNING id, session_id",
        (
            plugin, conversation_id, *number_params, key, title, priority,
            json.dumps({"id": user.id, "name": user.name, "email": user.email}),
            config_json if config_json is not None else json.dumps(config.to_json()),
            notice, now, timeout_at, *remote_params,
        ),
    )  # fmt: skip
    # What was written (not read back and parsed again): pending, nobody assigned, not delivered yet (or with the
    # helpdesk's id, when this transaction opened the ticket).
    written = User(user.id, user.name, user.email)

    def created() -> HitlSession:
        (row,) = rows()
        return HitlSession(row[0], plugin, conversation_id, escalation, "pending", None, row[1], key, title,
                           priority, None, written, config, notice, now, timeout_at, None, None)  # fmt: skip

    return created


SESSION_ROW_SQL = "(SELECT id FROM hitl_sessions WHERE plugin = ? AND conversation_id = ? AND escalation = ?)"
"""A session's row id, as a SQL expression of its plugin, conversation and escalation (three ``?``): what a
statement of the transaction that created it uses, before its key is read (``create_session``)."""


def set_remote_id(connection: Connection, row_id: int, session_id: str, *, notice: str | None = None) -> None:
    """The helpdesk's id for the session; with ``notice``, what the user was told too (``set_notice``)."""
    if notice is None:
        connection.execute("UPDATE hitl_sessions SET session_id = ? WHERE id = ?", (session_id, row_id))
    else:
        connection.execute(
            "UPDATE hitl_sessions SET session_id = ?, notice = ? WHERE id = ?", (session_id, notice, row_id)
        )


def set_notice(connection: Connection, row_id: int, notice: str) -> None:
    connection.execute("UPDATE hitl_sessions SET notice = ? WHERE id = ?", (notice, row_id))


def mark_assigned(connection: Connection, row_id: int, agent_name: str | None, now: float) -> bool:
    """pending -> assigned; False when the session was not pending."""
    cursor = connection.execute(
        "UPDATE hitl_sessions SET state = 'assigned', agent_name = ?, assigned_at = ? "
        "WHERE id = ? AND state = 'pending'",
        (agent_name, now, row_id),
    )
    return cursor.rowcount == 1


def mark_ended(connection: Connection, row_id: int, reason: EndReason, now: float) -> bool:
    """pending or assigned -> ended; False when it had ended already (the first end wins)."""
    cursor = connection.execute(
        "UPDATE hitl_sessions SET state = 'ended', end_reason = ?, ended_at = ? WHERE id = ? AND state != 'ended'",
        (reason, now, row_id),
    )
    return cursor.rowcount == 1


def record_event(connection: Connection, plugin: str, event: HitlEvent, now: float) -> bool:
    """Remember ``event``; False when it was applied before (a replay or a helpdesk retry)."""
    cursor = connection.execute(
        "INSERT INTO hitl_events (plugin, event_id, session_id, kind, received_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (plugin, event_id) DO NOTHING",
        (plugin, event.event_id, event.session_id, event.kind, now),
    )
    return cursor.rowcount == 1


def timed_out(session: HitlSession, now: float) -> bool:
    """Whether ``session`` is pending past its timeout (what ``due_timeouts`` would find of it)."""
    return session.state == "pending" and session.timeout_at is not None and session.timeout_at <= now


def due_timeouts(connection: Connection, plugin: str, now: float) -> list[HitlSession]:
    rows = connection.execute(
        f"SELECT {_COLUMNS} FROM hitl_sessions WHERE plugin = ? AND state = 'pending' AND timeout_at IS NOT NULL "
        "AND timeout_at <= ? ORDER BY timeout_at",
        (plugin, now),
    ).fetchall()
    return [_session(r) for r in rows]


def next_timeout(connection: Connection, plugin: str) -> float | None:
    (at,) = connection.execute(
        "SELECT MIN(timeout_at) FROM hitl_sessions WHERE plugin = ? AND state = 'pending'", (plugin,)
    ).fetchone()
    return cast(float | None, at)


def save_cursor(connection: Connection, plugin: str, event_id: str) -> None:
    """Remember a pushed event's position (numeric ids only); the cursor never moves back."""
    if not event_id.isdigit():
        return
    connection.execute(
        "INSERT INTO hitl_cursors (plugin, cursor) VALUES (?, ?) "
        "ON CONFLICT (plugin) DO UPDATE SET cursor = CASE WHEN excluded.cursor > hitl_cursors.cursor "
        "THEN excluded.cursor ELSE hitl_cursors.cursor END",
        (plugin, int(event_id)),
    )


def load_cursor(connection: Connection, plugin: str) -> int | None:
    row = connection.execute("SELECT cursor FROM hitl_cursors WHERE plugin = ?", (plugin,)).fetchone()
    return None if row is None else int(row["cursor"])
