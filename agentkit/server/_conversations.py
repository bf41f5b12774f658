"""What the server keeps of its own: webchat conversation tokens, beside the desk's accounts.

The app talks to ``ServerStore`` (a protocol): the desk's ``AccountStore`` plus the webchat's conversations.
``DatabaseServerStore`` keeps both in one database: by default one small SQLite file beside the desk
(``.agentkit/server.sqlite3``), or the PostgreSQL database that several workers share
(``agentkit serve --db postgresql://...``). Tokens are stored hashed (SHA-256).
"""

from __future__ import annotations

import json
import time
from typing import Any, Protocol

from ..desk import AccountStore, DeskAccounts, hash_token, new_token, same

__all__ = ["DatabaseServerStore", "ServerStore"]



class ServerStore(AccountStore, Protocol):
    async def create_conversation(self, user: dict[str, Any]) -> tuple[str, str]:
        """A new webchat conversation: ``(id, token)``."""
        ...

    async def conversation_user(self, conversation_id: str, token: str) -> dict[str, Any] | None:
        """The conversation's user when ``token`` is its token; None for a wrong token or an unknown id."""
        ...


class DatabaseServerStore(DeskAccounts):
    """``ServerStore`` on the shared storage layer (see ``DeskAccounts`` for the locations it takes). Its table,
    ``webchat_conversations``, is in the ``accounts`` migrations that ``DeskAccounts`` applies."""

    # -- webchat conversations --

    async def create_conversation(self, user: dict[str, Any]) -> tuple[str, str]:
        conversation_id, token = f"web-{new_token()[:16]}", new_token()
        await self._run(self._create_conversation, conversation_id, hash_token(token), json.dumps(user))
        return conversation_id, token

    def _create_conversation(self, conversation_id: str, token_hash: str, user_json: str) -> None:
        with self._db.transaction() as db:
            db.execute(
                "INSERT INTO webchat_conversations (id, token_hash, user_json, created_at) VALUES (?, ?, ?, ?)",
                (conversation_id, token_hash, user_json, time.time()),
            )

    async def conversation_user(self, conversation_id: str, token: str) -> dict[str, Any] | None:
        sql = "SELECT token_hash, user_json FROM webchat_conversations WHERE id = ?"
        row = await self._run(self._one, sql, (conversation_id,))
        if row is None or not same(str(row["token_hash"]), hash_token(token)):
            return None
        user: dict[str, Any] = json.loads(row["user_json"])
        return user
