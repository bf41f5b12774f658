"""What the desk stores: tickets, their messages, and the events the human side produces.

The desk imports nothing from ``agentkit.hitl`` (the HITL providers import the desk); the user, the transcript
line and the priority are the shared ones of ``agentkit.handoff``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agentkit.exceptions import HitlError
from agentkit.handoff import Priority, TranscriptLine, User

__all__ = [
    "DeskError",
    "DeskEvent",
    "AGENT_EVENT_KINDS",
    "AgentEventKind",
    "DeskEventKind",
    "MessageAuthor",
    "Ticket",
    "TicketClosed",
    "TicketMessage",
    "TicketNotFound",
    "TicketStatus",
]

TicketStatus = Literal["open", "assigned", "closed"]
MessageAuthor = Literal["user", "agent", "system"]
DeskEventKind = Literal[
    "ticket_created", "user_message", "ticket_closed", "agent_assigned", "agent_message", "session_stopped"
]
AgentEventKind = Literal["agent_assigned", "agent_message", "session_stopped"]
AGENT_EVENT_KINDS: tuple[AgentEventKind, ...] = ("agent_assigned", "agent_message", "session_stopped")
"""What a human agent did: the events the bot acts on. The others (a ticket opened, a user's message, the bot's own
close) tell the inbox what changed."""


@dataclass(frozen=True)
class TicketMessage:
    """One message exchanged on the ticket after the handoff."""

    id: int
    author: MessageAuthor
    author_name: str | None
    text: str
    at: float


@dataclass(frozen=True)
class Ticket:
    id: str
    conversation_id: str
    idempotency_key: str
    title: str
    description: str
    priority: Priority
    status: TicketStatus
    assignee: str | None
    user: User
    transcript: tuple[TranscriptLine, ...]
    messages: tuple[TicketMessage, ...]
    created_at: float
    updated_at: float
    closed_reason: str | None = None
    bot_name: str | None = None
    """The registered bot that opened the ticket with its token (``BotTokenDesk``); ``None`` for a ticket opened
    in-process by an embedded ``DeskHitl``, or by agentkit 0.1.0."""


@dataclass(frozen=True)
class DeskEvent:
    """Something that happened on the desk: a human agent's act (``AGENT_EVENT_KINDS``), or a ticket opened, a
    user's message, the bot's close. ``seq`` grows by one per event: it is the catch-up cursor."""

    seq: int
    kind: DeskEventKind
    ticket_id: str
    agent_name: str | None
    text: str | None
    occurred_at: float


class DeskError(HitlError):
    """A desk operation cannot be done as asked."""


class TicketNotFound(DeskError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"no desk ticket with id {ticket_id!r}; list them with `await desk.tickets()`")
        self.ticket_id = ticket_id


class TicketClosed(DeskError):
    def __init__(self, ticket_id: str, action: str) -> None:
        super().__init__(f"desk ticket {ticket_id} is closed; cannot {action} it")
        self.ticket_id = ticket_id
