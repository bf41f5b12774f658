"""Helpers for the HITL lifecycle tests: the texts the user sees, and waiting for messages that arrive later."""

from __future__ import annotations

import asyncio

from agentkit.hitl import DeskHitl
from agentkit.hitl._config import SessionConfig
from agentkit.models import ScriptedModel
from agentkit.runtime import Agent, ChatMessage, Subscription

DEFAULTS = SessionConfig()
HANDOFF = DEFAULTS.on_hitl_handoff_message
ASSIGNED = DEFAULTS.agent_assigned_message
ENDED = DEFAULTS.session_ended_message
CLOSED = DEFAULTS.user_hitl_closed_message
TIMED_OUT = DEFAULTS.agent_assigned_timeout_message
DELAYED = DEFAULTS.delivery_delayed_message
BROKEN = DEFAULTS.session_error_message
USER = {"id": "u1", "name": "Jo Doe", "email": "jo@example.com"}
FAST = {"retry_initial_delay": 0.01, "retry_max_delay": 0.05}


def texts(messages: list[ChatMessage]) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in messages]


async def next_messages(subscription: Subscription, count: int, wait: float = 5.0) -> list[ChatMessage]:
    """The next ``count`` messages of a subscription; fails the test after ``wait`` seconds."""
    async with asyncio.timeout(wait):
        return [await anext(subscription) for _ in range(count)]


def desk_agent(store_url: str, model: ScriptedModel | None = None, **config: object) -> Agent:
    """The bot and its desk in one store (a SQLite file, or a PostgreSQL database), as `agentkit serve` has them."""
    plugin = DeskHitl(store_url, poll_interval=0.05, **config)
    return Agent("support", model or ScriptedModel([]), plugins={"desk-hitl": plugin}, store=store_url)
