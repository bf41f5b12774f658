"""``Conversation`` (which handler answers) and the context a handler gets: ``ctx.execute``, ``ctx.conversation``,
``ctx.message``, as in the Botpress ADK's ``Conversation({channel, handler})``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..loop import ExecuteResult
from ..tools import Tool
from ._messages import ChatMessage

if TYPE_CHECKING:
    from ._agent import Agent

__all__ = ["Conversation", "ConversationInfo", "Handler", "HandlerContext"]

Handler = Callable[["HandlerContext"], Awaitable[None]]


@dataclass(frozen=True)
class ConversationInfo:
    """What ``context.get("conversation")`` returns: the conversation's id and its user (``id``, ``name``,
    ``email``; any may be missing)."""

    id: str
    user: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


class Conversation:
    """Which handler answers the user's messages. ``channel="*"`` takes every channel; the channel name is kept
    for the web layer, which routes by it. Without a handler, the agent's default one runs: ``execute`` with the
    support-assistant prompt and ``hand_to_support()`` of the agent's first HITL plugin."""

    def __init__(self, channel: str | Sequence[str] = "*", handler: Handler | None = None) -> None:
        if handler is not None and not callable(handler):
            raise TypeError(f"handler must be an async function taking the context, not {handler!r}")
        self.channels = (channel,) if isinstance(channel, str) else tuple(channel)
        self.handler = handler

    def accepts(self, channel: str) -> bool:
        return "*" in self.channels or channel in self.channels


class HandlerContext:
    """What a conversation handler receives for one user message."""

    def __init__(self, agent: Agent, conversation: ConversationInfo, message: ChatMessage) -> None:
        self.agent = agent
        self.conversation = conversation
        self.message = message

    @property
    def user(self) -> Mapping[str, Any]:
        return self.conversation.user

    async def execute(
        self, instructions: str | None = None, tools: Sequence[Tool[Any]] = (), **options: Any
    ) -> ExecuteResult:
        """Run the agent's model on this conversation's history with ``instructions`` (default: the agent's) and
        ``tools``; the reply is sent to the user. ``options`` go to ``agentkit.execute`` (``iterations``, ...)."""
        return await self.agent.run_model(self.conversation.id, instructions, tools, **options)

    async def send(self, text: str) -> ChatMessage:
        """Send ``text`` to the user as the bot (it becomes part of the model's history too)."""
        return await self.agent.send(self.conversation.id, text)
