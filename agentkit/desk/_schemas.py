"""The JSON bodies of the desk's API, as pydantic models: they validate requests and document the API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..handoff import Priority, TranscriptLine, User

__all__ = [
    "Claim",
    "DeskSessionView",
    "Login",
    "Reply",
    "TicketList",
    "TicketMessageView",
    "TicketSummary",
    "TicketView",
]

TicketStatus = Literal["open", "assigned", "closed"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")



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
    bot_name: str | None = Field(description="The registered bot that opened the ticket; null when opened in-process")
    transcript: list[TranscriptLine] = Field(description="The conversation before the handoff")
    thread: list[TicketMessageView] = Field(description="What the user and the agents wrote since the handoff")


class Claim(_Body):
    takeover: bool = Field(default=False, description="Take the ticket from the agent who has it (logged)")


class Reply(_Body):
    text: str = Field(min_length=1, max_length=4000)
