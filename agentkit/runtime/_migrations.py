"""The schema of the ``runtime`` component: conversations and their messages.

Migration 1 is the schema of agentkit 0.1.0, word for word: never edit it (or any migration once landed). A schema
change is a new ``Migration`` appended to the tuple, numbered next (how: ``agentkit/storage/_migrations.py``).
"""

from __future__ import annotations

from ..storage import MESSAGES_CHANNEL, Component, Migration, no_notify_on_insert, notify_on_insert

__all__ = ["RUNTIME_MIGRATIONS"]

_V1 = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    user_json TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    role TEXT NOT NULL,
    text TEXT,
    agent_name TEXT,
    at REAL NOT NULL,
    visible INTEGER NOT NULL,
    model_json TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation_id, seq);
"""

RUNTIME_MIGRATIONS = Component(
    "runtime",
    (
        Migration(1, "conversations and messages (0.1.0)", _V1),
        # PostgreSQL only: other workers' webchat streams are woken by LISTEN, not by polling the store
        Migration(
            2, "messages: notify agentkit_messages of each visible message (PostgreSQL)",
            run=notify_on_insert("messages", MESSAGES_CHANNEL, "NEW.seq::text || ':' || NEW.conversation_id",
                                 when="NEW.visible = 1"),
        ),
        # The writing transaction notifies, once, and only while another worker listens (agentkit.storage._listen)
        Migration(
            3, "messages: no trigger notifying agentkit_messages (the writers notify) (PostgreSQL)",
            run=no_notify_on_insert("messages"),
        ),
    ),
    tables=('conversations', 'messages',),
)
