"""The handoff vocabulary every layer shares: priority, role, the user, a transcript line, the handoff tool's name.

It sits beside ``exceptions.py`` and imports nothing of agentkit, so that the desk, the HITL plugin, the
runtime, the server's API views and the evals all speak of one ``User`` and one ``Priority`` instead of
converting between their own copies at each boundary. A helpdesk's own values (Zendesk's ``normal``,
Freshdesk's 1..4) are mapped in its provider, from these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

__all__ = [
    "HANDOFF_TOOL_NAME",
    "PRIORITIES",
    "Priority",
    "ROLES",
    "Role",
    "TranscriptLine",
    "User",
]

Priority = Literal["low", "medium", "high", "urgent"]
"""How soon a human should look at an escalation; ``medium`` is the default everywhere."""

PRIORITIES: Final[tuple[Priority, ...]] = get_args(Priority)
"""The priorities, lowest first."""

Role = Literal["user", "bot", "agent", "system"]
"""Who wrote a line: the end user, the bot, a human agent, or ``system`` (a notice: a person joined, left)."""

ROLES: Final[tuple[Role, ...]] = get_args(Role)

HANDOFF_TOOL_NAME: Final = "handToSupport"
"""The name the Botpress pattern gives the handoff tool; the default wherever a handoff tool is named."""


@dataclass(frozen=True)
class User:
    """The end user the bot was talking to, as a human agent and a helpdesk should know them."""

    id: str
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class TranscriptLine:
    """One line of the conversation before the handoff, for the human agent to read. ``at``: Unix seconds."""

    role: Role
    text: str
    at: float | None = None
