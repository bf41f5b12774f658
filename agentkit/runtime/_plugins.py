"""What the agent asks of a plugin, the checks made when the agent is built, and the default handler."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..exceptions import ConfigError
from ..handoff import HANDOFF_TOOL_NAME
from ..hitl import HandToSupportTool, HitlPlugin, hand_to_support
from ..storage import Connection
from ..tools import Tool
from ._conversation import Handler, HandlerContext

if TYPE_CHECKING:
    from ._agent import Agent

__all__ = [
    "InterceptReader",
    "Plugin",
    "check_plugins",
    "default_handler",
    "intercept_readers",
    "message_takers",
    "transcript_wanters",
]

InterceptReader = Callable[[Connection, str, str], Callable[[], Any]]


@runtime_checkable
class Plugin(Protocol):
    """A plugin of an agent (``HitlPlugin`` is one). ``bind`` raises ``ConfigError`` when the plugin cannot work."""

    def bind(self, host: Agent, alias: str) -> None: ...

    async def setup(self) -> None:
        """Create its tables in the agent's store."""
        ...

    def start(self) -> None:
        """Start background work (owned tasks, cancelled by ``aclose``)."""
        ...

    async def aclose(self) -> None: ...

    async def intercept(self, conversation_id: str, text: str) -> bool:
        """Take a user message before the handler; True when it did (the handler then does not run).

        A plugin may also have ``read_for_intercept(connection, conversation_id, text)``: the agent then calls it
        (sync) in the transaction that stores the user's message, and once that has committed calls the function it
        returned and gives the result to ``intercept`` as a third argument: the plugin's reads (and writes) cost no
        transaction of their own, and done at commit (``Connection.read_at_commit``) no round trip either
        (``HitlPlugin`` reads its session so, and queues the message for the person there).

        And ``expects_message(conversation_id, text) -> bool``: a guess, without I/O, that it will take the
        message; the agent then reads no model history with it (if the plugin does not take it after all, the
        history is read when the model runs).

        And ``wants_turn_transcript() -> bool``: whether the turn's first transaction should also read the
        conversation as the user saw it, with the model's history (``Agent.transcript_of_turn``), for a handoff
        that opens its ticket without reading it again."""
        ...


def intercept_readers(plugins: Mapping[str, Any]) -> dict[str, InterceptReader]:
    """The plugins' optional ``read_for_intercept`` hooks, by alias."""
    return {alias: reader for alias, p in plugins.items() if callable(reader := getattr(p, "read_for_intercept", None))}


def message_takers(plugins: Mapping[str, Any]) -> list[Callable[[str, str], bool]]:
    """The plugins' optional ``expects_message`` hints."""
    return [expects for p in plugins.values() if callable(expects := getattr(p, "expects_message", None))]


def transcript_wanters(plugins: Mapping[str, Any]) -> list[Callable[[], bool]]:
    """The plugins' optional ``wants_turn_transcript`` hooks."""
    return [wants for p in plugins.values() if callable(wants := getattr(p, "wants_turn_transcript", None))]


def check_plugins(agent: Agent, plugins: Mapping[str, Any], tools: Sequence[Tool[Any]]) -> None:
    """Bind each plugin to the agent, and check that every ``hand_to_support`` tool names a plugin it has."""
    known = ", ".join(sorted(plugins)) or "none"
    for alias, plugin in plugins.items():
        if not isinstance(alias, str) or not alias:
            raise ConfigError(f"plugin aliases must be non-empty strings, not {alias!r} (plugins: {known})")
        if not isinstance(plugin, Plugin):
            raise ConfigError(
                f"plugin {alias!r} is {plugin!r}, not a plugin; use a HitlPlugin or DeskHitl (plugins: {known})"
            )
        try:
            plugin.bind(agent, alias)
        except ConfigError as error:
            raise ConfigError(f"{error} (plugins: {known})") from None
    for tool in tools:
        if isinstance(tool, HandToSupportTool) and tool.plugin not in plugins:
            raise ConfigError(
                f"tool {tool.name!r} escalates through plugin {tool.plugin!r}, which is not one of "
                f"this agent's plugins: {known}"
            )


def default_handler(agent: Agent, plugins: Mapping[str, Any]) -> Handler:
    """``execute`` with the agent's instructions, its tools, and ``hand_to_support()`` of its first HITL plugin."""
    alias = next((a for a, p in plugins.items() if isinstance(p, HitlPlugin)), None)
    if alias is None:
        raise ConfigError(
            "the default conversation handler hands off with hand_to_support(), which needs a HITL plugin: add "
            "plugins={'desk-hitl': DeskHitl('desk.sqlite3')}, or pass conversation=Conversation(handler=...)"
        )
    tools: list[Tool[Any]] = list(agent.tools)
    if not any(t.name == HANDOFF_TOOL_NAME for t in tools):
        tools.append(hand_to_support(alias))

    async def handle(ctx: HandlerContext) -> None:
        await ctx.execute(tools=tools)

    return handle
