"""The HITL provider contract: what a helpdesk integration must do, and nothing about conversations.

A provider opens a session (a ticket or conversation) in a helpdesk, relays the user's messages to the human
agent, closes the session, and turns the helpdesk's signed webhooks into ``HitlEvent``s. It keeps no
conversation state and does not retry: the outbox above it retries when ``ProviderError.retryable`` is true,
and the plugin above it remembers sessions and event ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from agentkit.exceptions import HitlError
from agentkit.handoff import Priority, TranscriptLine, User

__all__ = [
    "EscalationRequest",
    "HitlEvent",
    "HitlEventKind",
    "HitlProvider",
    "ProviderError",
    "WebhookRejected",
]

HitlEventKind = Literal["agent_assigned", "agent_message", "session_stopped"]


@dataclass(frozen=True)
class EscalationRequest:
    """Everything a provider needs to open one session. ``idempotency_key`` is stable across retries."""

    conversation_id: str
    title: str
    description: str
    priority: Priority
    user: User
    transcript: tuple[TranscriptLine, ...]
    idempotency_key: str
    configuration_overrides: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The request as JSON data, for the outbox. Written out rather than ``dataclasses.asdict`` (its generic
        deep copy was ~2 % of a server's CPU under load: one per escalation, on the database's thread)."""
        user = self.user
        return {
            "conversation_id": self.conversation_id,
            "title": self.title,
            "description": self.description,
            "priority": self.priority,
            "user": {"id": user.id, "name": user.name, "email": user.email},
            "transcript": [{"role": line.role, "text": line.text, "at": line.at} for line in self.transcript],
            "idempotency_key": self.idempotency_key,
            "configuration_overrides": dict(self.configuration_overrides),
        }


@dataclass(frozen=True)
class HitlEvent:
    """Something the human side did.

    ``session_id`` is what ``start_hitl`` returned; ``event_id`` is unique per event, for dedup.
    """

    kind: HitlEventKind
    session_id: str
    event_id: str
    agent_name: str | None = None
    text: str | None = None
    occurred_at: float | None = None


@runtime_checkable
class HitlProvider(Protocol):
    """A helpdesk integration. Every method may raise ``ProviderError``; ``verify_webhook`` raises
    ``WebhookRejected``."""

    name: str

    async def start_hitl(self, request: EscalationRequest) -> str:
        """Open a session for ``request`` and return the helpdesk's id for it (one per idempotency key)."""
        ...

    async def send_to_agent(self, session_id: str, text: str, user: User) -> None:
        """Relay one message from the user to the human agent."""
        ...

    async def stop_hitl(self, session_id: str, reason: str) -> None:
        """Close the session in the helpdesk (safe to call again on a closed session)."""
        ...

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> list[HitlEvent]:
        """Check the signature, the timestamp window and the size, then return the events the body carries."""
        ...

    async def aclose(self) -> None:
        """Release the HTTP client or other resources."""
        ...


class ProviderError(HitlError):
    """A helpdesk call failed. ``retryable`` says whether sending the same call later may succeed.

    ``status`` is the HTTP status when the helpdesk answered, ``retry_after`` its Retry-After in seconds.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        provider: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.provider = provider
        self.status = status
        self.retry_after = retry_after


class WebhookRejected(HitlError):
    """An inbound webhook must be refused; answer the sender with ``status`` (400, 401, 403, 409 or 413)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"webhook rejected ({status}): {reason}")
        self.status = status
        self.reason = reason
