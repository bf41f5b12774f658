"""What the server keeps of its own: webchat conversation tokens, beside the desk's accounts.

The app talks to ``ServerStore`` (a protocol): the desk's ``AccountStore`` plus the webchat's conversations.
``DatabaseServerStore`` keeps both in one database: by default one small SQLite file beside the desk
(``.agentkit/server.sqlite3``), or the PostgreSQL database that several workers share
(``agentkit serve --db postgresql://...``). Tokens are stored hashed (SHA-256).
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections import OrderedDict
from typing import Any, Protocol

from ..desk import PASSWORD_COST, AccountStore, DeskAccounts, hash_token, new_token, same
from ..storage import Connection

__all__ = ["DatabaseServerStore", "ServerStore"]

_KNOWN_CONVERSATIONS = 10_000
"""Conversations whose token hash and user this process keeps, the most recently used first."""

_SCALARS = (str, int, float, bool, type(None))

_Known = tuple[str, dict[str, Any], bool]
"""A conversation's token hash, its user, and whether the user holds scalars only (a shallow copy is a whole one)."""


class ServerStore(AccountStore, Protocol):
    async def create_conversation(self, user: dict[str, Any]) -> tuple[str, str]:
        """A new webchat conversation: ``(id, token)``."""
        ...

    async def conversation_user(self, conversation_id: str, token: str) -> dict[str, Any] | None:
        """The conversation's user when ``token`` is its token; None for a wrong token or an unknown id."""
        ...


class DatabaseServerStore(DeskAccounts):
    """``ServerStore`` on the shared storage layer (see ``DeskAccounts`` for the locations it takes). Its table,
    ``webchat_conversations``, is in the ``accounts`` migrations that ``DeskAccounts`` applies.

    A conversation's row is written once and never changed or deleted, so what was read of it stays true: each
    process keeps the token hash and user of the conversations it saw last (``_KNOWN_CONVERSATIONS``), and a
    message checks its token without a database read. (Should rows ever change or go, this must go with them.)"""

    def __init__(self, url_or_path: str | os.PathLike[str] = ":memory:", *, password_cost: int = PASSWORD_COST) -> None:
        super().__init__(url_or_path, password_cost=password_cost)
        self._known: OrderedDict[str, _Known] = OrderedDict()

    # -- webchat conversations --

    async def create_conversation(self, user: dict[str, Any]) -> tuple[str, str]:
        conversation_id, token = f"web-{new_token()[:16]}", new_token()
        token_hash, user_json = hash_token(token), json.dumps(user)
        # Through ``run``: on SQLite it shares a commit (one fsync) with the other writes in flight.
        await self.database.run(lambda db: _create_conversation(db, conversation_id, token_hash, user_json))
        self._remember(conversation_id, token_hash, json.loads(user_json))  # as a read of the row gives it
        return conversation_id, token

    async def conversation_user(self, conversation_id: str, token: str) -> dict[str, Any] | None:
        known = self._known.get(conversation_id)
        if known is None:
            sql = "SELECT token_hash, user_json FROM webchat_conversations WHERE id = ?"
            row = await self._run(self._one, sql, (conversation_id,))
            if row is None:
                return None
            known = self._remember(conversation_id, str(row["token_hash"]), json.loads(row["user_json"]))
        else:
            self._known.move_to_end(conversation_id)
        token_hash, user, flat = known
        if not same(token_hash, hash_token(token)):
            return None
        # A copy each time: the caller may change it. Parsed once, not at every message. The webchat's users hold
        # strings only, and a shallow copy is then a whole one; a profile with lists or dicts inside (another
        # caller of ``create_conversation`` may give one) is copied deep, or callers would share its insides.
        return dict(user) if flat else copy.deepcopy(user)

    def _remember(self, conversation_id: str, token_hash: str, user: dict[str, Any]) -> _Known:
        flat = all(isinstance(value, _SCALARS) for value in user.values())
        self._known[conversation_id] = known = (token_hash, user, flat)
        if len(self._known) > _KNOWN_CONVERSATIONS:
            self._known.popitem(last=False)
        return known


def _create_conversation(db: Connection, conversation_id: str, token_hash: str, user_json: str) -> None:
    db.execute(
        "INSERT INTO webchat_conversations (id, token_hash, user_json, created_at) VALUES (?, ?, ?, ?)",
        (conversation_id, token_hash, user_json, time.time()),
    )
