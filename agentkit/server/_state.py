"""What every endpoint reaches through ``request.app.state.agentkit``: the agent, the desk, the server's store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request

from ..desk import DeskEvent, Ticket, TicketStatus
from ._auth import LoginThrottle
from ._security import SessionSigner
from ._sse import StreamHub
from ._store import ServerStore

__all__ = ["DeskService", "ServerState", "server_state"]


class DeskSubscription(Protocol):
    def cancel(self) -> None: ...


class DeskService(Protocol):
    """The part of ``LocalDesk`` the server uses; another desk backend implements the same."""

    async def tickets(self, status: TicketStatus | None = None) -> list[Ticket]: ...

    async def ticket(self, ticket_id: str) -> Ticket: ...

    async def assign(self, ticket_id: str, agent_name: str) -> Ticket: ...

    async def reply(self, ticket_id: str, text: str, *, agent_name: str | None = None) -> Ticket: ...

    async def close(self, ticket_id: str, *, reason: str | None = None, by: Any = "agent") -> Ticket: ...

    def subscribe(self, callback: Callable[[DeskEvent], Awaitable[None]], *, after: int | None = None) -> Any: ...


@dataclass
class ServerState:
    agent: Any
    """An ``agentkit.runtime.Agent`` (or anything with its ``receive``/``history``/``subscribe``/``plugins``)."""
    desk: DeskService | None
    store: ServerStore
    signer: SessionSigner
    hitl: Any | None
    """The HITL plugin whose handoff state the webchat shows (the agent's first one), or None."""
    poll_interval: float = 1.0
    keepalive_interval: float = 15.0
    message_poll_interval: float = 0.5
    """How often a webchat stream reads the store for messages another worker wrote (a shared ``--db``)."""
    hub: StreamHub = field(default_factory=StreamHub)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.agentkit
    return state
