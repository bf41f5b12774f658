"""Conversations and their messages in the store.

One table holds two views of a conversation. What the user saw (``visible``): their messages, the bot's replies,
the human agent's messages and the notices (handoff, agent joined, session ended). What the model is given
(``model_json``): the user's messages, its own tool calls and tool results, and notes about the human session.
A row can be in both views (a user message, a bot reply) or in one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from ..handoff import Role
from ..hitl import Post
from ..loop import ExecuteResult
from ..models import Message
from ..storage import Connection

__all__ = [
    "ChatMessage",
    "insert_message",
    "last_seq",
    "load_model_history",
    "load_user",
    "load_visible",
    "store_post",
    "store_run",
    "store_user_message",
    "store_user_turn",
]




@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message as the user saw it. ``id`` grows with time within a store."""

    id: int
    conversation_id: str
    role: Role
    text: str
    at: float
    agent_name: str | None = None


def insert_message(
    connection: Connection,
    conversation_id: str,
    role: Role,
    text: str | None,
    *,
    visible: bool = True,
    model: Message | None = None,
    agent_name: str | None = None,
    at: float | None = None,
) -> ChatMessage | None:
    """Store one row; returns the message the user sees, or None for a model-only row."""
    # Messages of a conversation are numbered in the order they commit, across processes too: a reader that
    # asks for those after the last ``seq`` it saw never skips one that committed later with a lower number.
    connection.lock_conversation(conversation_id)
    at = time.time() if at is None else at
    seq = connection.insert(
        "INSERT INTO messages (conversation_id, role, text, agent_name, at, visible, model_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (conversation_id, role, text, agent_name, at, int(visible), json.dumps(model) if model else None),
        key="seq",
    )
    if not visible:
        return None
    return ChatMessage(seq, conversation_id, role, text or "", at, agent_name)


def upsert_conversation(connection: Connection, conversation_id: str, user: Mapping[str, Any] | None) -> None:
    """Create the conversation, or remember a newer user profile for it."""
    now = time.time()
    connection.execute(
        "INSERT INTO conversations (id, user_json, created_at, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET user_json = COALESCE(excluded.user_json, conversations.user_json), "
        "updated_at = excluded.updated_at",
        (conversation_id, json.dumps(dict(user)) if user else None, now, now),
    )


def load_user(connection: Connection, conversation_id: str) -> dict[str, Any] | None:
    row = connection.execute("SELECT user_json FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    if row is None or row["user_json"] is None:
        return None
    return cast(dict[str, Any], json.loads(row["user_json"]))


def load_visible(connection: Connection, conversation_id: str, after: int = 0) -> list[ChatMessage]:
    rows = connection.execute(
        "SELECT seq, role, text, at, agent_name FROM messages "
        "WHERE conversation_id = ? AND visible = 1 AND seq > ? ORDER BY seq",
        (conversation_id, after),
    ).fetchall()
    return [ChatMessage(r["seq"], conversation_id, r["role"], r["text"] or "", r["at"], r["agent_name"]) for r in rows]


def last_seq(connection: Connection, conversation_id: str) -> int:
    """The number of the conversation's latest message (0 if none): the ones stored later are numbered above it."""
    sql = "SELECT MAX(seq) AS seq FROM messages WHERE conversation_id = ?"
    row = connection.execute(sql, (conversation_id,)).fetchone()
    return int(row["seq"] or 0) if row is not None else 0


def load_model_history(connection: Connection, conversation_id: str) -> list[Message]:
    rows = connection.execute(
        "SELECT model_json FROM messages WHERE conversation_id = ? AND model_json IS NOT NULL ORDER BY seq",
        (conversation_id,),
    ).fetchall()
    return [cast(Message, json.loads(r["model_json"])) for r in rows]


def store_user_message(
    connection: Connection, conversation_id: str, text: str, user: Mapping[str, Any] | None
) -> tuple[ChatMessage, dict[str, Any]]:
    connection.lock_conversation(conversation_id)
    upsert_conversation(connection, conversation_id, _profile(user) if user else None)
    profile = load_user(connection, conversation_id) or {}
    said = {"role": "user", "content": text}
    message = insert_message(connection, conversation_id, "user", text, model=said)
    assert message is not None
    return message, profile


def find_user_message(
    connection: Connection, conversation_id: str, text: str, message_id: int | None = None
) -> tuple[ChatMessage, dict[str, Any]] | None:
    """The user message ``message_id`` of the conversation (else, for what was queued before ids were kept, the
    latest with this text), and the user's profile."""
    where, key = ("seq = ?", message_id) if message_id is not None else ("text = ?", text)
    row = connection.execute(
        f"SELECT seq, text, at FROM messages WHERE conversation_id = ? AND role = 'user' AND {where} "
        "ORDER BY seq DESC LIMIT 1",
        (conversation_id, key),
    ).fetchone()
    if row is None:
        return None
    message = ChatMessage(row["seq"], conversation_id, "user", row["text"], row["at"])
    return message, load_user(connection, conversation_id) or {}


def store_user_turn(
    connection: Connection, conversation_id: str, text: str, user: Mapping[str, Any] | None
) -> tuple[ChatMessage, dict[str, Any], list[Message]]:
    """``store_user_message``, and the model's history with the message in it: a turn's first transaction."""
    message, profile = store_user_message(connection, conversation_id, text, user)
    return message, profile, load_model_history(connection, conversation_id)


def _profile(user: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(user, Mapping):
        raise TypeError(f"user must be a mapping like {{'id': ..., 'name': ..., 'email': ...}}, not {user!r}")
    return {key: user.get(key) for key in ("id", "name", "email") if user.get(key) is not None}


def store_run(connection: Connection, conversation_id: str, result: ExecuteResult) -> list[ChatMessage]:
    """Every message of the run goes to the model's history; the final reply is also shown to the user."""
    shown: list[ChatMessage] = []
    last = len(result.messages) - 1
    for position, message in enumerate(result.messages):
        is_reply = position == last and result.text is not None and not message.get("tool_calls")
        stored = insert_message(
            connection, conversation_id, "bot", result.text if is_reply else None, visible=is_reply, model=message
        )
        if stored is not None:
            shown.append(stored)
    return shown


def store_post(connection: Connection, post: Post) -> ChatMessage | None:
    if post.text is None and post.model_note is None:
        return None
    note = {"role": "system", "content": post.model_note} if post.model_note else None
    return insert_message(
        connection, post.conversation_id, post.role, post.text, visible=post.text is not None, model=note,
        agent_name=post.agent_name,
    )  # fmt: skip
