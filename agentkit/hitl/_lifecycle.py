"""The transitions of a HITL session and what the user hears at each one; synchronous, inside a store transaction.

Every function takes the transaction's connection and the list of ``Post``s to deliver once it commits, so a state
change and its messages are stored together or not at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from ..storage import Connection
from . import _outbox as outbox
from . import _state as state
from ._config import SessionConfig
from ._host import Post, SessionEvent, SessionEventType
from ._provider import HitlEvent

__all__ = [
    "EventOutcome", "Held", "apply_early_events", "apply_event", "close_reason", "end_session",
    "enqueue_user_message", "return_unsent",
]

EventOutcome = Literal["applied", "duplicate", "ignored", "unknown_session", "session_starting", "kept"]
"""What became of a helpdesk event. ``session_starting``: its session is not known yet, but a start that may be its
is on its way (sent, its helpdesk id about to be recorded): nothing was changed or recorded, apply it again soon.
``kept``: its session is not known yet, and a start that may be its is on its way but will not complete soon (it
waits for another try, or the event waited long enough): the event is kept in the store, and applied when that
start completes (``apply_early_events``), or dropped if it fails for good."""

_NOTES = {
    "agent_closed": "The human support agent closed the session; you are assisting the user again.",
    "user_closed": "The user ended the session with the human support agent; you are assisting the user again.",
    "timeout": "No human support agent took the conversation in time; you are assisting the user again.",
    "stopped": "The session with the human support agent was stopped; you are assisting the user again.",
    "error": "The handoff to a human support agent failed; you are assisting the user again.",
}


def close_reason(config: SessionConfig, reason: state.EndReason) -> str:
    """What the human agent is told when the bot's side ends the session: a timeout is not the user leaving."""
    said = config.agent_timeout_cancelled_message if reason == "timeout" else config.user_hitl_cancelled_message
    return said or reason.replace("_", " ")


def end_session(
    connection: Connection,
    posts: list[Post],
    session: state.HitlSession,
    reason: state.EndReason,
    text: str | None,
    close_reason: str,
) -> bool:
    """End an open session; False if it had ended already. The helpdesk side is closed through the outbox,
    unless the ticket was never sent (then it is never opened) or the helpdesk closed it itself."""
    now = time.time()
    if not state.mark_ended(connection, session.row_id, reason, now):
        return False
    if reason == "agent_closed":
        outbox.cancel_session_rows(connection, session.row_id, now)  # nothing more can reach a closed ticket
    elif not outbox.cancel_unsent_start(connection, session.row_id, now):
        outbox.enqueue(connection, session.plugin, session.row_id, "stop", {"reason": close_reason}, now)
    kind: SessionEventType = "hitl_timeout" if reason == "timeout" else "hitl_stopped"
    event = SessionEvent(kind, session.conversation_id, session.plugin, session.agent_name, reason)
    posts.append(Post(session.conversation_id, text, model_note=_NOTES[reason], event=event))
    return_unsent(connection, posts, session.conversation_id, session.row_id)
    return True


def return_unsent(connection: Connection, posts: list[Post], conversation_id: str, session_row: int) -> None:
    """Give the bot the user's messages that were on their way to the person and will never get there."""
    for text, message_id in outbox.take_returned(connection, session_row, time.time()):
        posts.append(Post(conversation_id, None, unanswered=text, unanswered_id=message_id))


def enqueue_user_message(
    connection: Connection,
    session: state.HitlSession,
    text: str,
    *,
    told_user: bool = False,
    message_id: int | None = None,
    claim: tuple[str, float] | None = None,
) -> outbox.OutboxRow:
    """The queued row. ``message_id``: the stored user message, so that if it is given back the bot answers that
    one exactly. ``claim``: ``(token, until)``, claimed for the caller as it is queued (see ``outbox.enqueue``)."""
    payload: dict[str, Any] = {"text": text} if message_id is None else {"text": text, "message_id": message_id}
    row_id = outbox.enqueue(connection, session.plugin, session.row_id, "message", payload, time.time(),
                            told_user=told_user, claim=claim)  # fmt: skip
    return outbox.OutboxRow(row_id, session.row_id, "message", payload, 0)


@dataclass(slots=True)
class Held:
    """An event that may wait for its session's start (``apply_event``'s ``hold``): ``up_to`` is the newest start
    that was on its way when the event was first seen (None until then). A start queued later cannot be the
    event's (the start is queued before the helpdesk is called), so handoffs that keep coming do not hold it.
    ``may_wait``: while a start that may be its is being sent, the event is ``session_starting`` (the caller tries
    it again soon); else, and while such a start waits for another try, it is kept (``kept``)."""

    up_to: int | None = None
    may_wait: bool = True


def apply_event(
    connection: Connection,
    posts: list[Post],
    plugin: str,
    event: HitlEvent,
    waits: list[float],
    *,
    hold: Held | None = None,
) -> EventOutcome:
    """Apply one helpdesk event, once: a replayed ``event_id`` changes nothing. ``waits``: a session it assigns
    adds how long that session waited for a person, for the caller to count once this has committed (a write may
    run twice, the first time rolled back: see ``AsyncDatabase.run``). ``hold``: an event for a session not known
    yet, while a start that may be its is on its way, is ``session_starting`` or ``kept`` (else
    ``unknown_session``). The events kept for the session, if any, are applied first: they came before."""
    session = state.session_by_remote_id(connection, plugin, event.session_id)
    if session is None and hold is not None:
        stands = state.remote_id_stands(connection, plugin, event.session_id, time.time(), hold.up_to)
        if isinstance(stands, state.Starting):
            hold.up_to = stands.newest if hold.up_to is None else hold.up_to
            if stands.sending and hold.may_wait:
                return "session_starting"
            state.keep_early_event(connection, plugin, event, hold.up_to, time.time())
            return "kept"
        if stands == "known":  # its start completed since the look above (PostgreSQL)
            session = state.session_by_remote_id(connection, plugin, event.session_id)
    if session is None:
        # Not recorded, so that a helpdesk retry can still apply it once the session is known.
        return "unknown_session"
    early = state.take_early_events(connection, plugin, event.session_id)
    return _apply_to(connection, posts, _apply_all(connection, posts, session, early, waits), event, waits)


def apply_early_events(
    connection: Connection, posts: list[Post], plugin: str, session_id: str, waits: list[float]
) -> int:
    """Apply the events kept for this helpdesk id (``kept``), in the order they came, if a session has it now; how
    many there were (each applied once: one applied before is a ``duplicate``)."""
    session = state.session_by_remote_id(connection, plugin, session_id)  # the conversation's lock, first
    if session is None:
        return 0
    early = state.take_early_events(connection, plugin, session_id)
    _apply_all(connection, posts, session, early, waits)
    return len(early)


def _apply_all(
    connection: Connection, posts: list[Post], session: state.HitlSession, events: list[HitlEvent], waits: list[float]
) -> state.HitlSession:
    """Apply ``events`` to ``session`` in order; the session as they leave it (one may assign or end it)."""
    for event in events:
        _apply_to(connection, posts, session, event, waits)
        session = state.session_by_row(connection, session.row_id, session.conversation_id)
    return session


def _apply_to(
    connection: Connection, posts: list[Post], session: state.HitlSession, event: HitlEvent, waits: list[float]
) -> EventOutcome:
    if not state.record_event(connection, session.plugin, event, time.time()):
        return "duplicate"
    if not session.is_open:
        return "ignored"  # after the end, agent messages are dropped: the bot has the conversation back
    if event.kind == "session_stopped":
        end_session(connection, posts, session, "agent_closed", session.config.session_ended_message, "")
        return "applied"
    if session.state == "pending" or event.kind == "agent_assigned":
        _assign(connection, posts, session, event, waits)
    if event.kind == "agent_message" and event.text:
        name = event.agent_name or session.agent_name
        note = f"The human support agent ({name or 'unnamed'}) wrote to the user: {event.text}"
        posts.append(Post(session.conversation_id, event.text, "agent", name, model_note=note))
    return "applied"


def _assign(
    connection: Connection, posts: list[Post], session: state.HitlSession, event: HitlEvent, waits: list[float]
) -> None:
    """pending -> assigned, with the assigned message; an agent writing first counts as taking the session."""
    name = event.agent_name
    now = time.time()
    if state.mark_assigned(connection, session.row_id, name, now):
        waits.append(now - session.created_at)
        text = session.config.agent_assigned_message
        if text is not None:
            text = text.replace("{agent_name}", name or "A human agent")
        assigned = SessionEvent("hitl_assigned", session.conversation_id, session.plugin, name)
        posts.append(Post(session.conversation_id, text, agent_name=name, event=assigned))
    elif name:  # reassigned: remember who has it now
        connection.execute("UPDATE hitl_sessions SET agent_name = ? WHERE id = ?", (name, session.row_id))
