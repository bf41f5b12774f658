"""``DeskHitl``: the HITL plugin on the embedded desk, with its events pushed by subscription, no webhooks."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from ..desk import LocalDesk
from ._plugin import HitlPlugin
from .providers import LocalDeskProvider

__all__ = ["DeskHitl"]

logger = logging.getLogger("agentkit.hitl")


class DeskHitl(HitlPlugin):
    """Human in the loop on a ``LocalDesk`` (pass it to share it) or on the desk at a path or URL (owned here):
    a SQLite file (its folder is created) or ``postgresql://...``.

    The desk pushes its events to the plugin as a human works a ticket. Every ``poll_interval`` seconds the plugin
    also reads the desk's event log, to catch events written by another process (a desk web app run on its own)
    and, after a restart, those written while the agent was down.
    """

    def __init__(
        self, desk_or_path: LocalDesk | str | os.PathLike[str], *, poll_interval: float = 2.0, **config: Any
    ) -> None:
        super().__init__(LocalDeskProvider(desk_or_path), **config)
        self.poll_interval = poll_interval

    @property
    def desk(self) -> LocalDesk:
        provider = self.provider
        assert isinstance(provider, LocalDeskProvider)
        return provider.desk

    async def _poll_pushed_events(self) -> None:
        while True:
            try:
                await self.desk.deliver_pending()
            except Exception:
                logger.exception("HITL %s: reading the desk's events failed; trying again", self.alias)
            await asyncio.sleep(self.poll_interval)
