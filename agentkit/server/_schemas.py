"""The JSON bodies of the REST API, as pydantic models: they validate requests and document the API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..handoff import Priority, Role, TranscriptLine, User

__all__ = [
    "ConversationCreated",
    "ConversationView",
    "DeskSessionView",
    "ErrorView",
    "Handoff",
    "Health",
    "Login",
    "MessageView",
    "MessagesView",
    "NewConversation",
    "Reply",
    "SendMessage",
    "TicketList",
    "TicketSummary",
    "TicketView",
    "TicketMessageView",
    "WebhookResult",
]

TicketStatus = Literal["open", "assigned", "closed"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorView(BaseModel):
    error: str = Field(description="What went wrong and, where it helps, what to do")


class Health(BaseModel):
    status: Literal["ok"]
    agent: str
    model: str
    desk: bool = Field(description="Whether this server has a desk inbox")


# -- webchat --


class NewConversation(_Body):
    name: str | None = Field(default=None, max_length=100, description="The user's name, shown to human agents")
    email: str | None = Field(default=None, max_length=200)


class ConversationCreated(BaseModel):
    id: str
    token: str = Field(description="Send it as X-Conversation-Token on every later call for this conversation")


class MessageView(BaseModel):
    id: int = Field(description="Grows with time; pass the last one seen as `after` to get only newer messages")
    role: Role = Field(description="system: a notice (a person joined, left)")
    text: str
    at: float
    agent_name: str | None = None


class Handoff(BaseModel):
    state: Literal["none", "pending", "assigned", "ended"]
    agent_name: str | None = None


class ConversationView(BaseModel):
    id: str
    handoff: Handoff
    messages: list[MessageView]


class MessagesView(BaseModel):
    messages: list[MessageView]


class SendMessage(_Body):
    text: str = Field(min_length=1, max_length=4000)


# -- desk --


class Login(_Body):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class DeskSessionView(BaseModel):
    agent: str
    csrf_token: str = Field(description="Send it as X-CSRF-Token on every desk request that changes something")


class TicketSummary(BaseModel):
    id: str
    conversation_id: str
    title: str = Field(description="The reason for the handoff")
    priority: Priority
    status: TicketStatus
    assignee: str | None
    user: User
    created_at: float
    updated_at: float
    messages: int = Field(description="Messages exchanged since the handoff")


class TicketList(BaseModel):
    tickets: list[TicketSummary] = Field(description="Most urgent first, then oldest first")


class TicketMessageView(BaseModel):
    id: int
    author: Literal["user", "agent", "system"]
    author_name: str | None
    text: str
    at: float


class TicketView(TicketSummary):
    description: str
    closed_reason: str | None
    transcript: list[TranscriptLine] = Field(description="The conversation before the handoff")
    thread: list[TicketMessageView] = Field(description="What the user and the agents wrote since the handoff")


class Reply(_Body):
    text: str = Field(min_length=1, max_length=4000)


class WebhookResult(BaseModel):
    status: int = Field(description="200 applied, 202 accepted without change, 4xx refused")
