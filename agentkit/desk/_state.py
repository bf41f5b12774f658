"""What every desk endpoint reaches through ``desk_state(request)``: the desk service, the accounts, the session
signer, the sign-in throttle, and the hub that ends the open event streams. ``DeskApp`` puts it in the scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request

from ._accounts import AccountStore
from ._auth import LoginThrottle
from ._models import DeskEvent, Ticket, TicketStatus
from ._security import SessionSigner
from ._sse import StreamHub

__all__ = ["DESK_SCOPE_KEY", "DeskService", "DeskState", "desk_state"]

DESK_SCOPE_KEY = "agentkit.desk"


class DeskWatcher(Protocol):
    async def wait(self, seconds: float) -> None: ...

    def cancel(self) -> None: ...


class DeskService(Protocol):
    """The part of ``LocalDesk`` the desk app uses; another desk backend implements the same."""

    async def tickets(self, status: TicketStatus | None = None) -> list[Ticket]: ...

    async def ticket(self, ticket_id: str) -> Ticket: ...

    async def assign(self, ticket_id: str, agent_name: str) -> Ticket: ...

    async def reply(self, ticket_id: str, text: str, *, agent_name: str | None = None) -> Ticket: ...

    async def close(self, ticket_id: str, *, reason: str | None = None, by: Any = "agent") -> Ticket: ...

    def subscribe(self, callback: Callable[[DeskEvent], Awaitable[None]], *, after: int | None = None) -> Any: ...

    async def head(self) -> int: ...

    async def events_since(self, cursor: int = 0, limit: int = 100) -> list[DeskEvent]: ...

    def watch(self) -> DeskWatcher:
        """Wakes on this process's changes; another process's are found by reading ``events_since``."""
        ...


@dataclass
class DeskState:
    desk: DeskService | None
    """None when the agent hands off to an external helpdesk: the pages and the API say so."""
    accounts: AccountStore
    signer: SessionSigner
    poll_interval: float = 1.0
    keepalive_interval: float = 15.0
    idle_timeout: float = 2 * 3600
    """A session not used for this many seconds ends."""
    hub: StreamHub = field(default_factory=StreamHub)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    labelling: Any = None
    """The labelling queue (``_labelling.LabellingQueue``) when the desk offers one."""


def desk_state(request: Request) -> DeskState:
    state: DeskState = request.scope[DESK_SCOPE_KEY]
    return state
