"""``LocalDeskProvider``: HITL on the embedded desk, with events pushed by callback instead of webhooks.

``event_id`` of every event is the desk's event ``seq`` as a string: keep the last one handled and pass
``after=int(event_id)`` to ``subscribe`` after a restart to get what was missed, in order.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from typing import NoReturn

from agentkit.desk import (
    AGENT_EVENT_KINDS,
    AgentEventKind,
    DeskError,
    DeskEvent,
    DeskSubscription,
    LocalDesk,
    TicketClosed,
    UnregisteredBot,
)
from agentkit.handoff import User
from agentkit.hitl._provider import EscalationRequest, HitlEvent, ProviderError, WebhookRejected

__all__ = ["LocalDeskProvider", "hitl_event"]

HitlCallback = Callable[[HitlEvent], Awaitable[None]]


def hitl_event(event: DeskEvent, kind: AgentEventKind) -> HitlEvent:
    """The provider-neutral form of a human agent's desk event."""
    return HitlEvent(
        kind,
        event.ticket_id,
        str(event.seq),
        agent_name=event.agent_name,
        text=event.text,
        occurred_at=event.occurred_at,
    )


class LocalDeskProvider:
    """HITL on a ``LocalDesk``: pass a desk to share it (``aclose`` leaves it open), or a path to own one."""

    name = "desk"
    override_fields: frozenset[str] = frozenset()  # the desk's tickets have no extra fields

    def __init__(self, desk: LocalDesk | str | os.PathLike[str] = ":memory:") -> None:
        self._owns_desk = not isinstance(desk, LocalDesk)
        self.desk = desk if isinstance(desk, LocalDesk) else LocalDesk(desk)

    async def start_hitl(self, request: EscalationRequest) -> str:
        try:
            ticket = await self.desk.create_ticket(
                conversation_id=request.conversation_id,
                idempotency_key=request.idempotency_key,
                title=request.title,
                description=request.description,
                priority=request.priority,
                user=request.user,
                transcript=request.transcript,
            )
        except UnregisteredBot as exc:
            raise ProviderError(str(exc), retryable=False, provider=self.name) from exc
        except self.desk.storage_errors as exc:
            _raise_storage(exc)
        return ticket.id

    async def send_to_agent(self, session_id: str, text: str, user: User) -> None:
        try:
            await self.desk.add_user_message(session_id, text, user_name=user.name or user.id)
        except TicketClosed as exc:
            raise ProviderError(
                f"desk: {exc}; the session has ended", retryable=False, provider=self.name
            ) from exc
        except DeskError as exc:
            raise ProviderError(f"desk: {exc}", retryable=False, provider=self.name) from exc
        except self.desk.storage_errors as exc:
            _raise_storage(exc)

    async def stop_hitl(self, session_id: str, reason: str) -> None:
        try:
            await self.desk.close(session_id, reason=reason, by="bot")
        except DeskError as exc:
            raise ProviderError(f"desk: {exc}", retryable=False, provider=self.name) from exc
        except self.desk.storage_errors as exc:
            _raise_storage(exc)

    def subscribe(self, callback: HitlCallback, *, after: int | None = None) -> DeskSubscription:
        """Push what human agents do on the desk to ``callback`` as ``HitlEvent``s (see ``LocalDesk.subscribe``);
        the desk's other events (a ticket opened, a user's message, the bot's close) are the bot's own doing."""

        async def forward(event: DeskEvent) -> None:
            kind = next((k for k in AGENT_EVENT_KINDS if k == event.kind), None)
            if kind is not None:
                await callback(hitl_event(event, kind))

        return self.desk.subscribe(forward, after=after)

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> list[HitlEvent]:
        raise WebhookRejected(
            400, "the local desk sends no webhooks; receive its events with LocalDeskProvider.subscribe()"
        )

    async def aclose(self) -> None:
        if self._owns_desk:
            await self.desk.aclose()


def _raise_storage(exc: Exception) -> NoReturn:
    # A locked or busy database clears up; anything else (a full disk, a broken file) is worth a retry too,
    # and the outbox gives up after its own limit.
    raise ProviderError(f"desk: the ticket store failed: {exc}", retryable=True, provider="desk") from exc
