"""``agentkit hitl redeliver --store URL``: send what the outbox still holds, now, and exit.

For an operator after a helpdesk outage (or after fixing credentials): every queued escalation, relayed message
and close is sent, backoff or not. Rows another process is sending right now are left to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from ..hitl import HitlPlugin, OutboxEntry
from ._agent import Agent
from ._store import Store

__all__ = ["outbox_entries", "redeliver", "redeliver_sync"]


async def redeliver(store_url: str | Path | Store, plugins: Mapping[str, Any]) -> int:
    """Deliver every queued outbox row of ``plugins`` (by the aliases the bot uses: ``agent.plugins`` of the bot
    will do); returns the number of rows sent. The plugins' providers are closed afterwards."""
    hitl = {alias: plugin for alias, plugin in plugins.items() if isinstance(plugin, HitlPlugin)}
    if not hitl:
        raise ConfigError("redeliver needs the bot's HITL plugins, by the aliases the bot uses, to send through")
    # A bot's own plugins (``agent.plugins`` of a loaded example) are bound to it: send through copies.
    unbound = {alias: plugin.copy() if plugin.is_bound else plugin for alias, plugin in hitl.items()}
    agent = Agent("redeliver", "offline", plugins=unbound, store=store_url)
    try:
        sent = 0
        for plugin in unbound.values():
            sent += await plugin.redeliver()
        return sent
    finally:
        await agent.aclose()


def redeliver_sync(store_url: str | Path | Store, plugins: Mapping[str, Any]) -> int:
    """``redeliver`` from synchronous code (the CLI)."""
    return asyncio.run(redeliver(store_url, plugins))


async def outbox_entries(
    store_url: str | Path | Store, plugins: Mapping[str, Any], statuses: tuple[str, ...] = ("dead",)
) -> list[OutboxEntry]:
    """The outbox rows of ``plugins`` in ``statuses`` (default: the dead letters), newest first, per plugin."""
    hitl = {alias: plugin for alias, plugin in plugins.items() if isinstance(plugin, HitlPlugin)}
    if not hitl:
        raise ConfigError("the outbox belongs to the bot's HITL plugins; pass them by the aliases the bot uses")
    unbound = {alias: plugin.copy() if plugin.is_bound else plugin for alias, plugin in hitl.items()}
    agent = Agent("outbox", "offline", plugins=unbound, store=store_url)
    try:
        return [entry for plugin in unbound.values() for entry in await plugin.outbox(*statuses)]
    finally:
        await agent.aclose()
