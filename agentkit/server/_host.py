"""What the server needs from the agent it serves, as a protocol (the way ``hitl`` sees its host), so the app is
typed without tying it to ``agentkit.runtime.Agent``: a test double or another runtime serves as well."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self

__all__ = ["MessageLike", "ServedAgent", "SubscriptionLike"]


class MessageLike(Protocol):
    """A message as the user saw it (``agentkit.runtime.ChatMessage``)."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def at(self) -> float: ...

    @property
    def agent_name(self) -> str | None: ...


class SubscriptionLike(Protocol):
    """New messages of one conversation as they are stored; closed by leaving the ``async with``."""

    def __aiter__(self) -> Self: ...

    async def __anext__(self) -> object:
        """A ``MessageLike`` stored, or a piece of a bot reply being written (``agentkit.runtime.ReplyDelta``)."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any: ...


class ServedAgent(Protocol):
    """The agent, as the server sees it: the webchat calls these; the app's lifespan opens and closes it."""

    @property
    def name(self) -> str: ...

    @property
    def plugins(self) -> Mapping[str, Any]: ...

    async def receive(
        self, conversation_id: str, text: str, user: Mapping[str, Any] | None = None
    ) -> Sequence[MessageLike]:
        """Handle one user message; the messages it caused for the user (bot reply, notices)."""
        ...

    async def history(self, conversation_id: str) -> Sequence[MessageLike]:
        """The conversation as the user saw it, oldest first."""
        ...

    def subscribe(self, conversation_id: str, *, deltas: Literal[True]) -> SubscriptionLike: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Any: ...


if TYPE_CHECKING:  # mypy checks that the runtime's Agent is a ServedAgent
    from ..runtime import Agent

    def _served(agent: Agent) -> ServedAgent:
        return agent
