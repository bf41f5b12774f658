"""Conversations and their messages in the store.

One table holds two views of a conversation. What the user saw (``visible``): their messages, the bot's replies,
the human agent's messages and the notices (handoff, agent joined, session ended). What the model is given
(``model_json``): the user's messages, its own tool calls and tool results, and notes about the human session.
A row can be in both views (a user message, a bot reply) or in one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from ..handoff import Role, TranscriptLine
from ..hitl import Post
from ..loop import ExecuteResult
from ..models import Message
from ..storage import MESSAGES_CHANNEL, Connection

__all__ = [
    "ChatMessage",
    "Transcript",
    "insert_message",
    "insert_message_at_commit",
    "last_seq",
    "load_model_history",
    "load_user",
    "load_visible",
    "store_post",
    "store_run",
    "stored_posts",
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


_INSERT = (
    "INSERT INTO messages (conversation_id, role, text, agent_name, at, visible, model_json) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


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
    at, params = _row(connection, conversation_id, role, text, visible, model, agent_name, at)
    if not visible:
        connection.execute(_INSERT, params)  # no key to read: on PostgreSQL, no round trip of its own
        return None
    seq = connection.insert(_INSERT, params, key="seq")
    _notify(connection, conversation_id)
    return ChatMessage(seq, conversation_id, role, text or "", at, agent_name)


def insert_message_at_commit(
    connection: Connection,
    conversation_id: str,
    role: Role,
    text: str | None,
    *,
    visible: bool = True,
    model: Message | None = None,
    agent_name: str | None = None,
) -> Callable[[], ChatMessage | None]:
    """``insert_message``, with the message given once the transaction has ended (call the result then): on
    PostgreSQL its number comes back with the COMMIT (``Connection.insert_at_commit``), not in a round trip of its
    own."""
    at, params = _row(connection, conversation_id, role, text, visible, model, agent_name, None)
    if not visible:
        connection.execute(_INSERT, params)
        return lambda: None
    seq = connection.insert_at_commit(_INSERT, params, key="seq")
    _notify(connection, conversation_id)
    return lambda: ChatMessage(seq(), conversation_id, role, text or "", at, agent_name)


_LATEST_VISIBLE = "SELECT max(seq) FROM messages WHERE conversation_id = ? AND visible = 1"


_STORED_AT = f"{_LATEST_VISIBLE} AND at = ?"
"""The message a conditional post stored (its time is its own: no older message has it), or NULL: nothing stored, no
notification. Naming the conversation's latest message instead made another worker read that one again and put it
to a subscription that had subscribed after it: a message older than the subscription."""


def _notify(connection: Connection, conversation_id: str) -> None:
    """Other workers' subscriptions to the conversation (``_foreign``): ``"seq:conversation_id"``, with the seq of
    the message just stored (the conversation's newest: it is locked), once per transaction (those after it in the
    transaction are read with it)."""
    connection.notify(MESSAGES_CHANNEL, conversation_id, prefix=_LATEST_VISIBLE, prefix_params=(conversation_id,))


def _row(
    connection: Connection,
    conversation_id: str,
    role: Role,
    text: str | None,
    visible: bool,
    model: Message | None,
    agent_name: str | None,
    at: float | None,
) -> tuple[float, tuple[object, ...]]:
    # Messages of a conversation are numbered in the order they commit, across processes too: a reader that
    # asks for those after the last ``seq`` it saw never skips one that committed later with a lower number.
    connection.lock_conversation(conversation_id)
    at = time.time() if at is None else at
    model_json = json.dumps(model) if model else None
    return at, (conversation_id, role, text, agent_name, at, int(visible), model_json)


def upsert_conversation(connection: Connection, conversation_id: str, user: Mapping[str, Any] | None) -> None:
    """Create the conversation, or remember a newer user profile for it. The row is written only when it is new or
    its profile changed (``updated_at``: when that was): a channel passes the same profile with every message, and
    rewriting the row each time cost every message a row write (and on PostgreSQL a dead tuple)."""
    now = time.time()
    connection.execute(_UPSERT, (conversation_id, json.dumps(dict(user)) if user else None, now, now))


_UPSERT = (
    "INSERT INTO conversations (id, user_json, created_at, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET user_json = excluded.user_json, updated_at = excluded.updated_at "
    "WHERE excluded.user_json IS NOT NULL "
    "AND (conversations.user_json IS NULL OR conversations.user_json <> excluded.user_json)"
)


def load_user(connection: Connection, conversation_id: str) -> dict[str, Any] | None:
    return _user(connection.execute(_USER, (conversation_id,)).fetchone())


_USER = "SELECT user_json FROM conversations WHERE id = ?"
NEWEST_KEY_SQL = "(SELECT MAX(seq) FROM messages WHERE conversation_id = ?)"
"""The key (``ChatMessage.id``) of a conversation's newest message, as a SQL expression of its id."""


def _user(row: Any) -> dict[str, Any] | None:
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
    return _model_history(connection.execute(_MODEL_HISTORY, (conversation_id,)).fetchall())


_MODEL_HISTORY = "SELECT model_json FROM messages WHERE conversation_id = ? AND model_json IS NOT NULL ORDER BY seq"


def _model_history(rows: list[Any], *, both: bool = False) -> list[Message]:
    """``both``: rows of ``_HISTORY_AND_TRANSCRIPT``, some of them shown to the user only (no ``model_json``)."""
    if both:
        return [cast(Message, json.loads(r["model_json"])) for r in rows if r["model_json"] is not None]
    return [cast(Message, json.loads(r["model_json"])) for r in rows]


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
    connection: Connection,
    conversation_id: str,
    text: str,
    user: Mapping[str, Any] | None,
    *,
    history: bool = True,
    transcript: bool = False,
) -> Callable[[], tuple[ChatMessage, dict[str, Any], Callable[[], list[Message]] | None, Transcript | None]]:
    """A turn's first transaction: the user's message stored; the user's profile and the model's history (with the
    message in it) read. Call the result once the transaction has committed: everything is read at commit
    (``Connection.read_at_commit``), so on PostgreSQL the transaction is one round trip. The history comes as a
    function that parses its rows: a message a plugin takes (relayed to a person) never needs it. ``history=False``:
    not read (None instead): a plugin expects to take the message, and reading every row of the conversation for
    nothing would cost each relayed message more than the one before. ``transcript`` (with the history only): the
    conversation as the user saw it too, from the same statement (``Transcript``), for a handoff the model may ask
    for in this turn; None when not read."""
    connection.lock_conversation(conversation_id)
    given = _profile(user) if user else None
    upsert_conversation(connection, conversation_id, given)
    # A profile given is the one stored now (its values are checked strings: JSON gives them back unchanged), so
    # only a message without one reads the row.
    profile = connection.read_at_commit(_USER, (conversation_id,)) if given is None else lambda: []
    said = {"role": "user", "content": text}
    message = insert_message_at_commit(connection, conversation_id, "user", text, model=said)
    with_transcript = history and transcript
    model_rows = (
        connection.read_at_commit(_HISTORY_AND_TRANSCRIPT if with_transcript else _MODEL_HISTORY, (conversation_id,))
        if history
        else None
    )

    def read() -> tuple[ChatMessage, dict[str, Any], Callable[[], list[Message]] | None, Transcript | None]:
        stored = message()
        assert stored is not None
        known = given if given is not None else _user(next(iter(profile()), None)) or {}
        if model_rows is None:
            return stored, known, None, None
        rows = model_rows()
        if not with_transcript:
            return stored, known, lambda: _model_history(rows), None
        return stored, known, lambda: _model_history(rows, both=True), Transcript(rows, stored.id)

    return read


_HISTORY_AND_TRANSCRIPT = (
    "SELECT model_json, role, text, at, visible FROM messages "
    "WHERE conversation_id = ? AND (model_json IS NOT NULL OR visible = 1) ORDER BY seq"
)
"""The model's history and the conversation as the user saw it, in one statement: most rows are in both."""


@dataclass(frozen=True, slots=True)
class Transcript:
    """The conversation as the user saw it, read with the user's message ``seq`` (its newest then): ``lines()``;
    ``unchanged()``, a condition in SQL (``?`` marks) and its parameters that holds while no visible message has
    been stored after it (the conversation's messages are numbered in the order they commit: ``_row``)."""

    rows: list[Any]
    seq: int

    def lines(self) -> list[TranscriptLine]:
        return [TranscriptLine(r["role"], r["text"] or "", r["at"]) for r in self.rows if r["visible"]]

    def unchanged(self, conversation_id: str) -> tuple[str, tuple[object, ...]]:
        return _NONE_SHOWN_AFTER, (conversation_id, self.seq)


_NONE_SHOWN_AFTER = "NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ? AND visible = 1 AND seq > ?)"


def _profile(user: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(user, Mapping):
        raise TypeError(f"user must be a mapping like {{'id': ..., 'name': ..., 'email': ...}}, not {user!r}")
    return {key: user.get(key) for key in ("id", "name", "email") if user.get(key) is not None}


def store_run(
    connection: Connection, conversation_id: str, result: ExecuteResult
) -> Callable[[], list[ChatMessage]]:
    """Every message of the run goes to the model's history; the final reply is also shown to the user. Call the
    result once the transaction has committed: the shown messages (their numbers come back at commit)."""
    shown: list[Callable[[], ChatMessage | None]] = []
    last = len(result.messages) - 1
    for position, message in enumerate(result.messages):
        is_reply = position == last and result.text is not None and not message.get("tool_calls")
        shown.append(insert_message_at_commit(
            connection, conversation_id, "bot", result.text if is_reply else None, visible=is_reply, model=message
        ))  # fmt: skip
    return lambda: [stored for later in shown if (stored := later()) is not None]


def store_post(connection: Connection, post: Post) -> Callable[[], ChatMessage | None]:
    """The post stored, with its number read at commit (``insert_message_at_commit``): call the result once the
    transaction has ended. A plugin's transaction reads before its posts are stored, never after, so on PostgreSQL
    a notice costs it no round trip of its own."""
    if post.text is None and post.model_note is None:
        return _NO_MESSAGE
    note = {"role": "system", "content": post.model_note} if post.model_note else None
    if post.only_if is not None:
        return _insert_if(connection, post, note, *post.only_if)
    return insert_message_at_commit(
        connection, post.conversation_id, post.role, post.text, visible=post.text is not None, model=note,
        agent_name=post.agent_name,
    )  # fmt: skip


def _insert_if(
    connection: Connection, post: Post, note: Message | None, condition: str, condition_params: tuple[object, ...]
) -> Callable[[], ChatMessage | None]:
    """A post stored only if ``condition`` holds (``Post.only_if``), its number read at commit (None: not stored)."""
    at, params = _row(connection, post.conversation_id, post.role, post.text, post.text is not None, note,
                      post.agent_name, None)  # fmt: skip
    marks = ", ".join("?" for _ in params)
    rows = connection.read_at_commit(
        f"INSERT INTO messages (conversation_id, role, text, agent_name, at, visible, model_json) SELECT {marks} "
        f"WHERE {condition} RETURNING seq",
        (*params, *condition_params),
    )
    if post.text is not None:  # stored or not, it cannot know: the notification names the post only if it was
        connection.notify(MESSAGES_CHANNEL, post.conversation_id, prefix=_STORED_AT,
                          prefix_params=(post.conversation_id, at))  # fmt: skip

    def stored() -> ChatMessage | None:
        seq = next((row["seq"] for row in rows()), None)
        if seq is None or post.text is None:
            return None
        return ChatMessage(seq, post.conversation_id, post.role, post.text, at, post.agent_name)

    return stored


def _no_message() -> None:
    return None


_NO_MESSAGE: Callable[[], ChatMessage | None] = _no_message


def stored_posts(connection: Connection, posts: list[Post]) -> Callable[[], list[ChatMessage]]:
    """Every post stored (``store_post``): call the result once the transaction has ended for the messages shown."""
    later = [store_post(connection, post) for post in posts]
    return lambda: [message for each in later if (message := each()) is not None]
