"""``hand_to_support()``: the ready ``handToSupport`` tool, so a bot needs no escalation code of its own.

The tool finds its plugin by alias on the agent handling the message (``context.get("agent")``), so the same tool
works whatever provider that alias is given: the desk in development, Zendesk in production.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .. import context
from ..exceptions import ConfigError, HitlError, ToolError
from ..handoff import HANDOFF_TOOL_NAME, Priority
from ..tools import Tool

__all__ = ["HandToSupportInput", "HandToSupportTool", "hand_to_support"]

DEFAULT_DESCRIPTION = (
    "Hand the conversation to a human support agent. Use it when the user asks for a person, or when their "
    "request is beyond what you can do with your tools. After calling it, say nothing more: the user is told "
    "that a person is joining."
)


class HandToSupportInput(BaseModel):
    reason: str = Field(description="Why the conversation needs a support agent; it becomes the ticket's title")
    priority: Priority = Field(
        default="medium", description="How urgent the request is for the support team"
    )


class HandToSupportTool(Tool[HandToSupportInput]):
    """A ``Tool`` that also knows the alias of the HITL plugin it escalates through (checked when the Agent is
    built)."""

    def __init__(self, plugin: str, name: str, description: str) -> None:
        self.plugin = plugin
        super().__init__(name, description, HandToSupportInput, self._escalate, ends_turn=True)

    async def _escalate(self, args: HandToSupportInput) -> str:
        agent = context.get("agent", None)
        conversation = context.get("conversation", None)
        if agent is None or conversation is None:
            raise ConfigError(
                f"{self.name} runs inside an Agent (it needs context 'agent' and 'conversation'); "
                "give it to ctx.execute(...) in a conversation handler"
            )
        plugin = _plugin(agent, self.plugin)
        try:
            started = await plugin.actions.start_hitl(
                conversation_id=conversation.id, title=args.reason, priority=args.priority
            )
        except HitlError as error:
            raise ToolError(
                f"the handoff failed: {error}. Tell the user plainly that you could not reach the support team "
                "right now, and keep helping them as well as you can."
            ) from error
        return _tell_model(started.status)


def _plugin(agent: Any, alias: str) -> Any:
    plugins = getattr(agent, "plugins", {})
    if alias not in plugins:
        known = ", ".join(sorted(plugins)) or "none"
        raise ConfigError(f"{HANDOFF_TOOL_NAME} escalates through plugin {alias!r}, which this agent lacks ({known})")
    return plugins[alias]


def _tell_model(status: str) -> str:
    if status == "already_escalated":
        return "already escalated: this conversation is already with the support team; nothing new was opened"
    if status == "queued":
        return "escalated: the request is saved and will reach the support team; the user has been told"
    return "escalated"


def hand_to_support(
    plugin: str = "desk-hitl", name: str = HANDOFF_TOOL_NAME, description: str = DEFAULT_DESCRIPTION
) -> HandToSupportTool:
    """The handoff tool: input ``reason`` and ``priority`` (one of ``PRIORITIES``, default medium); it ends
    the turn, so the model says nothing after the handoff. ``plugin`` is the alias of the HITL plugin to use."""
    return HandToSupportTool(plugin, name, description)
