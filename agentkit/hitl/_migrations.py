"""The schema of the ``hitl`` component: HITL sessions, applied helpdesk events, event cursors, the outbox, and the
events that came before their session's start completed.

Migration 1 is the schema of agentkit 0.1.0, word for word: never edit it (or any migration once landed). A schema
change is a new ``Migration`` appended to the tuple, numbered next (how: ``agentkit/storage/_migrations.py``).
"""

from __future__ import annotations

from ..storage import Component, Migration

__all__ = ["HITL_MIGRATIONS"]

_V1 = """
CREATE TABLE IF NOT EXISTS hitl_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    escalation INTEGER NOT NULL,
    state TEXT NOT NULL,
    end_reason TEXT,
    session_id TEXT,
    idempotency_key TEXT NOT NULL,
    title TEXT NOT NULL,
    priority TEXT NOT NULL,
    agent_name TEXT,
    user_json TEXT NOT NULL,
    config_json TEXT NOT NULL,
    notice TEXT,
    created_at REAL NOT NULL,
    timeout_at REAL,
    assigned_at REAL,
    ended_at REAL,
    UNIQUE (plugin, conversation_id, escalation)
);
CREATE UNIQUE INDEX IF NOT EXISTS hitl_sessions_one_open
    ON hitl_sessions (plugin, conversation_id) WHERE state != 'ended';
CREATE INDEX IF NOT EXISTS hitl_sessions_by_remote_id ON hitl_sessions (plugin, session_id);
CREATE INDEX IF NOT EXISTS hitl_sessions_by_state ON hitl_sessions (plugin, state, timeout_at);
CREATE TABLE IF NOT EXISTS hitl_events (
    plugin TEXT NOT NULL,
    event_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY (plugin, event_id)
);
CREATE TABLE IF NOT EXISTS hitl_cursors (
    plugin TEXT PRIMARY KEY,
    cursor INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS hitl_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin TEXT NOT NULL,
    session_row INTEGER NOT NULL REFERENCES hitl_sessions (id),
    kind TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    claim_token TEXT,
    claimed_until REAL,
    last_error TEXT,
    created_at REAL NOT NULL,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS hitl_outbox_queue ON hitl_outbox (plugin, status, next_attempt_at);
CREATE INDEX IF NOT EXISTS hitl_outbox_by_session ON hitl_outbox (session_row, id);
"""

# A user message the turn reported as gone to the person (``told_user``) that never reached them (refused, or
# cancelled because the person closed the ticket first) is given back to the bot, once (``returned_at``).
_V2 = """
ALTER TABLE hitl_outbox ADD COLUMN told_user INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hitl_outbox ADD COLUMN returned_at REAL;
"""

# An outbox row's call may have reached the helpdesk (set just before each call; cleared after a failure the
# helpdesk answered with a refusal that proves it did nothing). A start that may have been sent is never cancelled
# silently: ending its session closes the ticket instead. Rows queued before this migration that were tried, or are
# claimed right now, are counted as maybe sent.
_V3 = """
ALTER TABLE hitl_outbox ADD COLUMN maybe_sent INTEGER NOT NULL DEFAULT 0;
UPDATE hitl_outbox SET maybe_sent = 1 WHERE status = 'queued' AND (attempts > 0 OR claim_token IS NOT NULL)
"""

# A helpdesk event for a helpdesk id no session has yet, which came while a start that may open that ticket was still
# on its way and will not complete soon (its call timed out and waits for another try, or it outlasted the wait of a
# pushed event): kept until that start completes (then applied, in ``id`` order) or fails for good (then dropped).
# ``up_to``: the newest start that was on its way when it came (a start queued after it cannot be its).
_V4 = """
CREATE TABLE IF NOT EXISTS hitl_early_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin TEXT NOT NULL,
    event_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    event_json TEXT NOT NULL,
    up_to INTEGER NOT NULL,
    received_at REAL NOT NULL,
    UNIQUE (plugin, event_id)
);
CREATE INDEX IF NOT EXISTS hitl_early_events_by_remote_id ON hitl_early_events (plugin, session_id, id);
"""

HITL_MIGRATIONS = Component(
    "hitl",
    (
        Migration(1, "sessions, events, cursors and the outbox (0.1.0)", _V1),
        Migration(2, "outbox: user messages that never reached the person go back to the bot", _V2),
        Migration(3, "outbox: maybe_sent (an ended escalation that may have reached the helpdesk is closed)", _V3),
        Migration(4, "early events: kept until the start of their ticket completes", _V4),
    ),
    tables=('hitl_sessions', 'hitl_events', 'hitl_cursors', 'hitl_outbox',),
)
