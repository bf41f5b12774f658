"""Rejected webhooks, logged at INFO and at most once a minute per plugin: anyone can post junk to a public
webhook URL, and a flood of forgeries must not become a flood of log lines (or of WARNINGs paging someone)."""

from __future__ import annotations

import logging
import time

from ._provider import WebhookRejected

__all__ = ["RejectionLog"]

logger = logging.getLogger("agentkit.hitl")


class RejectionLog:
    def __init__(self, interval: float = 60.0) -> None:
        self.interval = interval
        self._quiet_until = float("-inf")
        self._unlogged = 0

    def note(self, alias: str, rejected: WebhookRejected) -> None:
        now = time.monotonic()
        if now < self._quiet_until:
            self._unlogged += 1
            return
        more = f" ({self._unlogged} more rejected since the last one logged)" if self._unlogged else ""
        logger.info("HITL %s: webhook rejected (%s): %s%s", alias, rejected.status, rejected, more)
        self._quiet_until, self._unlogged = now + self.interval, 0
