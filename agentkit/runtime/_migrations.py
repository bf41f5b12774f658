"""The schema of the ``runtime`` component: conversations and their messages.

Migration 1 is the schema of agentkit 0.1.0, word for word: never edit it (or any migration once landed). A schema
change is a new ``Migration`` appended to the tuple, numbered next (how: ``agentkit/storage/_migrations.py``).
"""

from __future__ import annotations

from ..storage import Component, Migration

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
    (Migration(1, "conversations and messages (0.1.0)", _V1),),
    tables=('conversations', 'messages',),
)
