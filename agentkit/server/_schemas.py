"""The JSON bodies of the server's own API (health, webchat, webhooks), as pydantic models: they validate requests
and document the API. The desk's are in ``agentkit.desk``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..handoff import Role

__all__ = [
    "ConversationCreated",
    "ConversationView",
    "DeadLetterList",
    "DeadLetterView",
    "Handoff",
    "Health",
    "MessageView",
    "MessagesView",
    "NewConversation",
    "SendMessage",
    "WebhookResult",
]

class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(BaseModel):
    status: Literal["ok"]
    agent: str
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
    messages: list[MessageView] = Field(description="The latest page of messages, oldest first")
    more: bool = Field(default=False, description="Older messages exist: GET .../messages?before=<first id>")


class MessagesView(BaseModel):
    messages: list[MessageView]
    more: bool = Field(
        default=False,
        description="More messages lie beyond this page, in the direction asked: "
        "before the first one, or (with `after`) after the last one",
    )


class SendMessage(_Body):
    text: str = Field(min_length=1, max_length=4000)


class DeadLetterView(BaseModel):
    id: int = Field(description="The outbox row")
    plugin: str
    conversation_id: str
    kind: Literal["start", "message", "stop"] = Field(
        description="start: open the ticket; message: a user's message for the agent; stop: close the ticket"
    )
    attempts: int
    last_error: str | None
    created_at: float
    given_up_at: float | None


class DeadLetterList(BaseModel):
    letters: list[DeadLetterView] = Field(
        description="Helpdesk calls that failed too often and are no longer tried, newest first"
    )


class WebhookResult(BaseModel):
    status: int = Field(
        description="200 applied, 202 accepted without change now (a replay, an unknown session, or kept until its "
        "session's start completes, then applied), 4xx refused"
    )
