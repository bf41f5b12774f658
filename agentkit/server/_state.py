"""What every server endpoint reaches through ``request.app.state.agentkit``: the agent, the server's store, the
HITL plugin the webchat shows, and the mounted desk app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from ..desk import DeskApp, StreamHub
from ._conversations import ServerStore
from ._host import ServedAgent
from ._quotas import QuotaCounter

__all__ = ["ServerState", "server_state"]


@dataclass
class ServerState:
    agent: ServedAgent
    """An ``agentkit.runtime.Agent`` (or anything with its ``receive``/``history``/``subscribe``/``plugins``)."""
    store: ServerStore
    desk_app: DeskApp
    hitl: Any | None
    """The HITL plugin whose handoff state the webchat shows (the agent's first one), or None."""
    keepalive_interval: float = 15.0
    message_poll_interval: float = 0.5
    """How often a webchat stream reads the store for messages another worker wrote (a shared ``--db``)."""
    hub: StreamHub = field(default_factory=StreamHub)
    quotas: QuotaCounter = field(default_factory=QuotaCounter)
    """Anonymous webchat limits and their counters."""

    @property
    def desk(self) -> Any | None:
        return self.desk_app.state.desk


def server_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.agentkit
    return state
