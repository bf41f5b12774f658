"""The schema of the ``desk`` component: tickets, their messages and the desk's event log.

Migration 1 is the schema of agentkit 0.1.0, word for word: never edit it (or any migration once landed). A schema
change is a new ``Migration`` appended to the tuple, numbered next (how: ``agentkit/storage/_migrations.py``).
"""

from __future__ import annotations

from agentkit.storage import DESK_CHANNEL, Component, Migration, no_notify_on_insert, notify_on_insert

__all__ = ["DESK_MIGRATIONS"]

_V1 = """
CREATE TABLE IF NOT EXISTS desk_tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    priority TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'assigned', 'closed')),
    assignee TEXT,
    user_id TEXT NOT NULL,
    user_name TEXT,
    user_email TEXT,
    transcript TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    closed_reason TEXT
);
CREATE INDEX IF NOT EXISTS desk_tickets_status ON desk_tickets (status, id);
CREATE TABLE IF NOT EXISTS desk_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES desk_tickets (id),
    author TEXT NOT NULL CHECK (author IN ('user', 'agent', 'system')),
    author_name TEXT,
    text TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS desk_messages_ticket ON desk_messages (ticket_id, id);
CREATE TABLE IF NOT EXISTS desk_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES desk_tickets (id),
    kind TEXT NOT NULL,
    agent_name TEXT,
    text TEXT,
    at REAL NOT NULL
);
"""

DESK_MIGRATIONS = Component(
    "desk",
    (
        Migration(1, "tickets, ticket messages and events (0.1.0)", _V1),
        # NULL: opened in-process by an embedded DeskHitl (no token), or before this migration
        Migration(
            2, "tickets: the registered bot that opened them", "ALTER TABLE desk_tickets ADD COLUMN bot_name TEXT"
        ),
        # PostgreSQL only: other workers' inboxes and HITL plugins are woken by LISTEN, not by polling the log
        Migration(
            3, "desk_events: notify agentkit_desk of each event (PostgreSQL)",
            run=notify_on_insert("desk_events", DESK_CHANNEL, "NEW.seq::text"),
        ),
        # A ticket's first event is looked up by ticket: the handoff's ticket is written without a read first
        Migration(
            4, "desk_events: by ticket",
            "CREATE INDEX IF NOT EXISTS desk_events_by_ticket ON desk_events (ticket_id, seq)",
        ),
        # The writing transaction notifies, and only while another worker listens (agentkit.storage._listen)
        Migration(
            5, "desk_events: no trigger notifying agentkit_desk (the writers notify) (PostgreSQL)",
            run=no_notify_on_insert("desk_events"),
        ),
    ),
    tables=('desk_tickets', 'desk_messages', 'desk_events',),
)
