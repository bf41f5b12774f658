"""What a HITL plugin needs from the agent it is plugged into, as a protocol, so ``hitl`` never imports ``runtime``.

The agent (``agentkit.runtime.Agent``) is the host. It lends its store (the plugin keeps its tables next to the
conversations, and a state change commits together with the messages it causes) and its way of delivering
messages to the user (the store, the reply to the current message, the subscribers).

The plugin takes no conversation lock of its own: each transition is one transaction that checks the state it
starts from (on PostgreSQL, under the conversation's lock for that transaction: see ``_state``), which is enough,
and a lock held longer would deadlock against the agent's own lock when the model calls two tools at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from agentkit.handoff import TranscriptLine

from ..storage import Component, Connection, Database

__all__ = ["SESSION_EVENT_TYPES", "HitlHost", "Post", "SessionEvent", "SessionEventType"]

T = TypeVar("T")

SessionEventType = Literal["hitl_started", "hitl_assigned", "hitl_stopped", "hitl_timeout"]
SESSION_EVENT_TYPES: tuple[SessionEventType, ...] = ("hitl_started", "hitl_assigned", "hitl_stopped", "hitl_timeout")


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """A step of a HITL session, for bot code (``@agent.on("hitl_assigned")``). ``type``: ``hitl_started`` (a
    session was opened), ``hitl_assigned`` (a person took it: ``agent_name``), ``hitl_stopped`` (it ended:
    ``reason`` is ``agent_closed``, ``user_closed``, ``stopped`` by the bot, or ``error``), ``hitl_timeout``
    (nobody took it in time; it ended). ``plugin`` is the alias of the HITL plugin."""

    type: SessionEventType
    conversation_id: str
    plugin: str
    agent_name: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """A message the plugin sends in a conversation.

    ``text`` goes to the user (None: nothing visible); ``model_note`` is given to the model on its next turn as a
    system message, so that after a human session it knows what happened. ``unanswered``: a user message (stored
    already) that was meant for the person and never reached them: the host's bot answers it once this commits.
    """

    conversation_id: str
    text: str | None
    role: Literal["bot", "agent", "system"] = "system"
    agent_name: str | None = None
    model_note: str | None = None
    event: SessionEvent | None = None
    """The session step this post belongs to, passed on to bot code once the transaction has committed."""
    unanswered: str | None = None
    unanswered_id: int | None = None
    """The stored id of ``unanswered``, if its outbox row kept it (rows queued by earlier releases did not)."""
    only_if: tuple[str, tuple[object, ...]] | None = None
    """A condition in SQL (what both backends speak, ``?`` marks) and its parameters: the message is stored, and
    sent, only if it holds where the post is stored (after the writes of the function that posted it, in the same
    transaction), so that a transaction need not read before it decides (on PostgreSQL, a round trip). For a
    message only: a post with an ``event`` or ``unanswered`` has none."""


class HitlHost(Protocol):
    """The agent, as seen by a plugin."""

    @property
    def name(self) -> str: ...

    async def transact(self, fn: Callable[[Connection, list[Post]], T]) -> T:
        """Run ``fn(connection, posts)`` in one transaction on the store's thread. The ``Post``s that ``fn`` appends
        are stored in that same transaction, and delivered to the user once it has committed."""
        ...

    def with_run(
        self, conversation_id: str, write: Callable[[Connection, list[Post]], T], then: Callable[[T], None]
    ) -> bool:
        """Leave ``write(connection, posts)`` to the transaction that stores the conversation's model run in
        progress, when the tool running now ends that run (its posts are stored there first, before the run's
        messages); ``then`` gets its value once that has committed. False, and nothing done, when there is no such
        run: the caller writes it itself."""
        ...

    @property
    def database(self) -> Database:
        """The store's database: a helpdesk whose tables are in it too (the embedded desk at the store's URL) may
        write them in the store's transactions."""
        ...

    async def script(self, sql: str) -> None:
        """Run DDL in the store (``CREATE TABLE IF NOT EXISTS``)."""
        ...

    async def migrate(self, component: Component) -> None:
        """Bring ``component``'s tables in the store to their latest schema version."""
        ...

    def transcript(self, connection: Connection, conversation_id: str) -> list[TranscriptLine]:
        """The conversation as the user saw it, oldest first, read in the caller's transaction (``transact``): the
        handoff reads it with the session it opens, not in a transaction of its own."""
        ...

    def transcript_of_turn(
        self, conversation_id: str
    ) -> tuple[list[TranscriptLine], tuple[str, tuple[object, ...]]] | None:
        """The conversation as the user saw it, as the turn in progress read it with the user's message (when the
        plugin wants it: ``wants_turn_transcript``), and a condition in SQL (``?`` marks) and its parameters that
        holds while no visible message has been stored after it; None when the turn did not read it, or has written
        a message since (then ``transcript``, in the transaction)."""
        ...

    def message_key_sql(self) -> str:
        """A SQL expression of one parameter, a conversation's id: the key of its newest stored message (in the
        transaction that stored a user's message, that message's: ``read_for_intercept`` keeps it with the row)."""
        ...

    async def user_of(self, conversation_id: str) -> dict[str, Any] | None:
        """The user profile last given to ``receive`` for this conversation (``id``, ``name``, ``email``)."""
        ...
