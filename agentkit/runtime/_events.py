"""``@agent.on("hitl_assigned")``: bot code reacting to HITL sessions, as Botpress bots do with
``plugin.on.event('hitl:...')``.

The HITL plugin marks the messages of a transition with a ``SessionEvent``; once the transaction has committed,
the agent calls the functions registered for that event type, in registration order. A function that raises is
logged in one line and the others still run: the transition has happened whatever bot code does about it.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from ..exceptions import ConfigError
from ..hitl import SESSION_EVENT_TYPES, SessionEvent

__all__ = ["H", "EventHandler", "EventHooks"]

logger = logging.getLogger("agentkit.runtime")
EventHandler = Callable[[SessionEvent], Awaitable[None] | None]
H = TypeVar("H", bound=EventHandler)


class EventHooks:
    """The functions bot code registered per event type."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[EventHandler]] = {name: [] for name in SESSION_EVENT_TYPES}

    def on(self, event_type: str) -> Callable[[H], H]:
        """A decorator registering a function (sync or async, taking the ``SessionEvent``) for ``event_type``."""
        handlers = self._handlers.get(event_type)
        if handlers is None:
            raise ConfigError(_unknown(event_type))

        def register(handler: H) -> H:
            if not callable(handler):
                raise ConfigError(f"@agent.on({event_type!r}) decorates a function, not {handler!r}")
            handlers.append(handler)
            return handler

        return register

    async def emit(self, events: Iterable[SessionEvent]) -> None:
        for event in events:
            for handler in self._handlers[event.type]:
                await _call(handler, event)


async def _call(handler: EventHandler, event: SessionEvent) -> None:
    try:
        result: Any = handler(event)
        if inspect.isawaitable(result):
            await result
    except Exception as error:
        name = getattr(handler, "__qualname__", repr(handler))
        logger.warning("@agent.on(%r) handler %s failed on conversation %r: %s: %s",
                       event.type, name, event.conversation_id, type(error).__name__, error)  # fmt: skip
        logger.debug("the handler's traceback", exc_info=error)


def _unknown(event_type: str) -> str:
    known = ", ".join(SESSION_EVENT_TYPES)
    # Botpress spells them hitl:started, hitlStarted: compare in snake_case
    spelt = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", event_type).lower().replace(":", "_")
    spelt = spelt if spelt.startswith("hitl_") else spelt.replace("hitl", "hitl_", 1)
    close = difflib.get_close_matches(spelt, SESSION_EVENT_TYPES, n=1, cutoff=0.7)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown event {event_type!r}{hint} (the events: {known})"
