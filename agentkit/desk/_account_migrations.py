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

_V2 = """
CREATE TABLE desk_sessions (
    id_hash TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE INDEX desk_sessions_by_agent ON desk_sessions (agent);
CREATE TABLE desk_signin_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX desk_signin_failures_by_account ON desk_signin_failures (account, at);
CREATE INDEX desk_signin_failures_by_address ON desk_signin_failures (address, at);
CREATE INDEX desk_signin_failures_by_time ON desk_signin_failures (at)
"""

ACCOUNTS_MIGRATIONS = Component(
    "accounts",
    (
        Migration(1, "desk agents, bots and webchat conversations (0.1.0)", _V1),
        Migration(2, "desk sessions (revocable) and sign-in failures (shared throttles)", _V2),
    ),
    tables=('desk_agents', 'desk_bots', 'webchat_conversations',),
)
