"""``from agentkit import plugins``: the plugins of the agent handling the current message, by alias.

``plugins["desk-hitl"].actions.start_hitl(...)`` works in conversation handlers and tools, where the agent sets
``context.get("agent")``; the same tool code then works in every agent, whatever provider its alias is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import context
from ..exceptions import ConfigError

__all__ = ["PluginRegistry", "plugins"]


class PluginRegistry:
    """A read-only view of the current agent's ``plugins``; outside an agent's turn, a ``ConfigError``."""

    def __getitem__(self, alias: str) -> Any:
        return _current_agent(alias).plugin(alias)

    def __contains__(self, alias: object) -> bool:
        agent = context.get("agent", None)
        return agent is not None and alias in agent.plugins

    def __iter__(self) -> Iterator[str]:
        agent = context.get("agent", None)
        return iter(() if agent is None else agent.plugins)

    def get(self, alias: str, default: Any = None) -> Any:
        agent = context.get("agent", None)
        return default if agent is None else agent.plugins.get(alias, default)

    def __repr__(self) -> str:
        agent = context.get("agent", None)
        return "plugins(<no agent here>)" if agent is None else f"plugins({sorted(agent.plugins)})"


def _current_agent(alias: str) -> Any:
    agent = context.get("agent", None)
    if agent is None:
        raise ConfigError(
            f"plugins[{alias!r}] is only available while an Agent handles a message (in a conversation handler or "
            f"a tool it runs); elsewhere use agent.plugins[{alias!r}]"
        )
    return agent


plugins = PluginRegistry()
