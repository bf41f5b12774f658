"""``DeskHitl``: the HITL plugin on the embedded desk, with its events pushed by subscription, no webhooks."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any

from ..desk import LocalDesk, NewTicket
from ..storage import FALLBACK_POLL, Connection
from ._actions import OpenThrough
from ._host import HitlHost
from ._plugin import HitlPlugin
from ._provider import EscalationRequest
from ._relay import Condition, Through, WriteThrough
from .providers import LocalDeskProvider

__all__ = ["DeskHitl"]

logger = logging.getLogger("agentkit.hitl")


class DeskHitl(HitlPlugin):
    """Human in the loop on a ``LocalDesk`` (pass it to share it) or on the desk at a path or URL (owned here):
    a SQLite file (its folder is created) or ``postgresql://...``.

    The desk pushes its events to the plugin as a human works a ticket. Every ``poll_interval`` seconds the plugin
    also reads the desk's event log, to catch events written by another process (a desk web app run on its own)
    and, after a restart, those written while the agent was down. On PostgreSQL another process's events are
    pushed too, by notification, and the log is read only now and then (``FALLBACK_POLL``) while they arrive.

    When the desk is in the agent's own database (the same PostgreSQL URL, or the same SQLite file), a handoff opens
    its ticket in the transaction that opens the session, and a user's message for the person goes to the ticket in
    the transaction that stores it: no outbox row, no transaction of the desk's own (``_relay``).
    """

    def __init__(
        self, desk_or_path: LocalDesk | str | os.PathLike[str], *, poll_interval: float = 2.0, **config: Any
    ) -> None:
        super().__init__(LocalDeskProvider(desk_or_path), **config)
        self.poll_interval = poll_interval
        self._shares_database = False  # the desk's tables are in the agent's database (``bind``)

    def bind(self, host: HitlHost, alias: str) -> None:
        super().bind(host, alias)
        self._shares_database = self.desk.shares_database(host.database)

    def _write_through(self) -> WriteThrough | None:
        """On the agent's own database, the desk takes a user's message in the transaction that stores it."""
        return self._write_user_message if self._shares_database else None

    def open_through(self) -> OpenThrough | None:
        """On the agent's own database, the desk opens the ticket in the transaction that opens the session (unless
        it checks its bot before each ticket, which it does outside any transaction)."""
        if not self._shares_database or self.desk.checks_opening_bot:
            return None
        return self._write_ticket

    def _write_ticket(
        self, connection: Connection, request: EscalationRequest
    ) -> tuple[Callable[[], object], tuple[str, tuple[object, ...]]]:
        desk = self.desk
        new = NewTicket(request.conversation_id, request.idempotency_key, request.title, request.description,
                        request.priority, request.user, request.transcript)  # fmt: skip
        # Once committed, ``write_ticket``'s result wakes the inbox when the ticket is new.
        return desk.write_ticket(connection, new), desk.ticket_id_sql(request.idempotency_key)

    def _write_user_message(
        self, connection: Connection, seen: Through, text: str, only_if: Condition
    ) -> tuple[Callable[[], bool], Condition]:
        desk = self.desk
        stored = desk.write_user_message(connection, seen.remote_id, text, user_name=seen.user_name, only_if=only_if)
        return (lambda: stored() is not None), desk.open_ticket(seen.remote_id)

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
            await asyncio.sleep(self._interval())

    def _interval(self) -> float:
        """``poll_interval``; while the desk's notifications arrive (PostgreSQL), only now and then, for one that
        was missed: another process's events are pushed as they are written."""
        return max(self.poll_interval, FALLBACK_POLL) if self.desk.notified else self.poll_interval
