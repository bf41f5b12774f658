"""``Conversation`` (which handler answers) and the context a handler gets: ``ctx.execute``, ``ctx.conversation``,
``ctx.message``, as in the Botpress ADK's ``Conversation({channel, handler})`` (one handler for every channel)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigError
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
    """Which handler answers the user's messages. Without a handler, the agent's default one runs: ``execute``
    with the support-assistant prompt and ``hand_to_support()`` of the agent's first HITL plugin.

    One agent answers every channel (webchat, terminal, API) with its one handler, so ``channel`` is only there for
    code ported from the Botpress ADK's ``Conversation({channel: "*", handler})``: ``"*"`` is the one value. To
    answer two channels differently, build two agents.
    """

    def __init__(self, channel: str = "*", handler: Handler | None = None) -> None:
        if channel != "*":
            raise ConfigError(
                f"Conversation(channel={channel!r}): an agent answers every channel with one handler, so channel "
                "can only be '*' (or left out); to answer channels differently, build one Agent per channel"
            )
        if handler is not None and not callable(handler):
            raise TypeError(f"handler must be an async function taking the context, not {handler!r}")
        self.handler = handler


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
