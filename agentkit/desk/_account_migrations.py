"""The schema of the ``accounts`` component: desk agents' sign-ins, bot tokens, webchat conversation tokens.
(The webchat's table is here because 0.1.0 created the three together; ``DeskAccounts`` applies it for the server.)

Migration 1 is the schema of agentkit 0.1.0, word for word: never edit it (or any migration once landed). A schema
change is a new ``Migration`` appended to the tuple, numbered next (how: ``agentkit/storage/_migrations.py``).
"""

from __future__ import annotations

from ..storage import Component, Migration

__all__ = ["ACCOUNTS_MIGRATIONS"]

_V1 = """
CREATE TABLE IF NOT EXISTS desk_agents (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS desk_bots (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS webchat_conversations (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL,
    user_json TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""

ACCOUNTS_MIGRATIONS = Component(
    "accounts",
    (Migration(1, "desk agents, bots and webchat conversations (0.1.0)", _V1),),
    tables=('desk_agents', 'desk_bots', 'webchat_conversations',),
)
