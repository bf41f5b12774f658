"""``LocalDesk``: the embedded helpdesk's async service over its ticket store (SQLite, or PostgreSQL by URL).

Events and how a consumer keeps up with them:

- every change is written as a ``DeskEvent`` in the same transaction, numbered by ``seq``: a ticket opened, a
  user's message, the bot's close, and what human agents do (``AGENT_EVENT_KINDS``: assign, reply, close);
- ``desk.subscribe(callback)`` pushes each new event, in ``seq`` order, to ``await callback(event)``. If
  the callback raises, the error is logged and that subscriber's cursor stays before the event: the event is
  pushed again, still in order, on the next change or on ``await desk.deliver_pending()``;
- a consumer that restarts remembers the last ``seq`` it handled and either calls
  ``await desk.events_since(seq)`` or subscribes with ``subscribe(callback, after=seq)``, which replays what
  it missed before anything new;
- an agent's act is pushed at once. The bot's own writes (a ticket, a user's message, its close) are pushed on the
  next delivery instead: they are made inside the bot's turn, where a subscriber's callback must not run;
- ``desk.watch()`` wakes an inbox when this process changes anything, so it reads ``events_since`` at once.
  On PostgreSQL another process's changes wake it too (and push to subscribers), by notification (sent with each
  event while another process listens: ``agentkit.storage``); reading ``events_since`` now and then (one indexed
  query) catches what a notification missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Literal, Self, TypeVar

from agentkit.desk._models import (
    DeskEvent,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from agentkit.desk._store import NewTicket, TicketStore
from agentkit.handoff import PRIORITIES, Priority, TranscriptLine, User
from agentkit.storage import DESK_CHANNEL, AsyncDatabase, Connection, Database, Listening, Notification, parse_url

__all__ = ["DeskCallback", "DeskSubscription", "DeskWatch", "LocalDesk"]

logger = logging.getLogger("agentkit.desk")

DeskCallback = Callable[[DeskEvent], Awaitable[None]]
_T = TypeVar("_T")


class DeskSubscription:
    """One subscriber's callback and cursor (the ``seq`` of the last event it handled)."""

    def __init__(self, desk: LocalDesk, callback: DeskCallback, cursor: int) -> None:
        self.callback = callback
        self.cursor = cursor
        self._desk = desk

    def cancel(self) -> None:
        self._desk._subscriptions.discard(self)


class DeskWatch:
    """Wakes its owner when this process changes the desk: ``await watch.wait(seconds)``; ``cancel()`` to stop."""

    def __init__(self, desk: LocalDesk) -> None:
        self._desk = desk
        self._changed = asyncio.Event()

    def notify(self) -> None:
        self._changed.set()

    async def wait(self, seconds: float) -> None:
        """Until a change since the last ``wait`` returned (maybe already), or ``seconds``."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._changed.wait()
        self._changed.clear()

    def cancel(self) -> None:
        self._desk._watches.discard(self)


class LocalDesk:
    """The embedded helpdesk. ``url_or_path``: a SQLite file, ``sqlite:///file.db``, ``":memory:"``, or
    ``postgresql://user:password@host:5432/db`` (needs ``pip install 'agentkit[postgres]'``), which several
    processes can share. ``path`` is the SQLite file (or the PostgreSQL URL)."""

    def __init__(self, url_or_path: str | os.PathLike[str] = ":memory:") -> None:
        self.path = parse_url(url_or_path).target
        self._store = TicketStore(url_or_path)
        self._db = AsyncDatabase(self._store.database)
        self._subscriptions: set[DeskSubscription] = set()
        self._watches: set[DeskWatch] = set()
        self._delivering: asyncio.Task[object] | None = None  # the task delivering now, if any
        self._delivered: asyncio.Future[None] | None = None  # done when that delivery is
        self._pending = False
        self._listening: Listening | None = None  # other processes' events, notified (PostgreSQL)
        self._woken: set[asyncio.Task[None]] = set()

    @property
    def storage_errors(self) -> tuple[type[Exception], ...]:
        """What the ticket store raises when it is down, busy or broken (the database driver's errors)."""
        return self._store.errors

    async def _run(self, function: Callable[..., _T], *args: object) -> _T:
        return await self._db.call(function, *args)  # the database driver blocks; keep it off the event loop

    async def create_ticket(
        self,
        *,
        conversation_id: str,
        idempotency_key: str,
        title: str,
        description: str,
        priority: Priority,
        user: User,
        transcript: Iterable[TranscriptLine] = (),
    ) -> Ticket:
        """Open a ticket; with an idempotency key seen before, return that ticket unchanged instead."""
        _require_priority(priority)
        new = NewTicket(
            conversation_id, idempotency_key, title, description, priority, user, tuple(transcript),
            await self._opening_bot(),
        )
        # Through ``run``, as ``add_user_message``: on SQLite the tickets of many handoffs then share a commit.
        stored = (await self._db.run(lambda db: self._store.write_ticket(db, new)))()
        if stored is None:  # an earlier try's, as it stands now
            return await self._run(self._store.ticket_by_key, idempotency_key)
        self._notify()
        return stored

    async def _opening_bot(self) -> str | None:
        """The registered bot opening a ticket, recorded on it; none here: an embedded desk has no bot tokens."""
        return None

    async def tickets(self, status: TicketStatus | None = None) -> list[Ticket]:
        """All tickets, oldest first, or those with ``status``."""
        return await self._run(self._store.select, status)

    async def ticket(self, ticket_id: str) -> Ticket:
        """One ticket with its transcript and messages; ``TicketNotFound`` if there is none."""
        return await self._run(self._store.get, str(ticket_id))

    async def assign(self, ticket_id: str, agent_name: str) -> Ticket:
        ticket, _event = await self._run(self._store.assign, str(ticket_id), agent_name)
        self._notify()
        await self.deliver_pending()
        return ticket

    async def reply(self, ticket_id: str, text: str, *, agent_name: str | None = None) -> Ticket:
        """An agent's message to the user (by ``agent_name``, or the assignee)."""
        ticket, _event = await self._run(self._store.agent_reply, str(ticket_id), text, agent_name)
        self._notify()
        await self.deliver_pending()
        return ticket

    async def add_user_message(self, ticket_id: str, text: str, *, user_name: str | None = None) -> TicketMessage:
        """A message from the user to the agent (relayed by the bot): a ``user_message`` event. Returns the message
        as stored, not the whole ticket (``ticket(ticket_id)`` reads that)."""
        # Through ``run``: on SQLite the relays of many conversations then share a commit (group commit), where a
        # transaction of its own each would be one fsync each, one after the other on the desk's one writer.
        stored = (await self._db.run(lambda db: self._store.write_user_message(db, str(ticket_id), text, user_name)))()
        if stored is None:  # the ticket is closed or missing: nothing was written
            return await self._run(self._store.refused_user_message, str(ticket_id))
        self._notify()
        return stored

    def shares_database(self, database: Database) -> bool:
        """Whether the desk's tables are in ``database`` (the agent's store at the desk's URL): then its users'
        messages may be written in that database's transactions (``write_user_message``), and their notifications
        are the desk's own (``Database.written_by``)."""
        if not self._store.database.same_as(database):
            return False
        self._store.database.written_by(database)
        return True

    def write_user_message(
        self,
        connection: Connection,
        ticket_id: str,
        text: str,
        *,
        user_name: str | None = None,
        only_if: tuple[str, tuple[object, ...]] | None = None,
    ) -> Callable[[], TicketMessage | None]:
        """``add_user_message`` in the caller's write transaction on a database the desk shares
        (``shares_database``), if the ticket is open and ``only_if`` holds (see ``TicketStore.write_user_message``:
        the caller's condition must stay as it is until COMMIT). Call the result once the transaction has committed:
        the message as stored (the inbox is woken then), or None when nothing was written. ``open_ticket`` gives
        the ticket's condition in SQL, which holds to the end of the transaction once this has touched it."""
        stored = self._store.write_user_message(connection, str(ticket_id), text, user_name, only_if=only_if)
        return self._notify_if_written(stored)

    def _notify_if_written(self, stored: Callable[[], _T | None]) -> Callable[[], _T | None]:
        """``stored`` (a write in another's transaction, read once it has committed), waking the inbox when it wrote
        something: pushed to subscribers on the next delivery, as the bot's own writes are."""

        def written() -> _T | None:
            value = stored()
            if value is not None:
                self._notify()
            return value

        return written

    checks_opening_bot = False
    """Whether each new ticket waits for a check of the bot opening it (``BotTokenDesk``): such a desk cannot open
    one in another's transaction (``write_ticket``)."""

    def write_ticket(self, connection: Connection, request: NewTicket) -> Callable[[], Ticket | None]:
        """``create_ticket`` in the caller's write transaction on a database the desk shares (``shares_database``):
        the ticket, unless one with the same idempotency key exists. Call the result once the transaction has
        committed: the new ticket (the inbox is woken then), or None when one with that key was there already.
        ``ticket_id_sql`` names the ticket, either way, in the transaction's statements after this one."""
        if self.checks_opening_bot:
            raise TypeError(f"{type(self).__name__} checks the bot before each ticket: use create_ticket")
        _require_priority(request.priority)
        return self._notify_if_written(self._store.write_ticket(connection, request))

    @staticmethod
    def ticket_id_sql(idempotency_key: str) -> tuple[str, tuple[object, ...]]:
        """The id of the ticket opened with ``idempotency_key``, as text, in SQL (``?`` marks) with its parameters
        (NULL when there is none)."""
        return "(SELECT CAST(id AS TEXT) FROM desk_tickets WHERE idempotency_key = ?)", (idempotency_key,)

    @staticmethod
    def open_ticket(ticket_id: str) -> tuple[str, tuple[object, ...]]:
        """A condition in SQL (``?`` marks) and its parameters: the ticket is open (``write_user_message``)."""
        return TicketStore.open_ticket(str(ticket_id))

    async def close(
        self, ticket_id: str, *, reason: str | None = None, by: Literal["agent", "bot"] = "agent"
    ) -> Ticket:
        """Close the ticket: ``session_stopped`` by an agent (pushed at once), ``ticket_closed`` by the bot."""
        ticket, event = await self._run(self._store.close_ticket, str(ticket_id), reason, by == "agent")
        if event is not None:
            self._notify()
            if by == "agent":
                await self.deliver_pending()
        return ticket

    async def head(self) -> int:
        """The newest event's ``seq`` (0 when there is none)."""
        return await self._run(self._store.head)

    def watch(self) -> DeskWatch:
        """Be woken when this process changes the desk (see ``DeskWatch``), or, on PostgreSQL, another does."""
        watch = DeskWatch(self)
        self._watches.add(watch)
        self._follow_other_processes()
        return watch

    @property
    def notified(self) -> bool:
        """True while other processes' changes wake the watches and subscribers through PostgreSQL's
        notifications: whoever reads ``events_since`` now and then may do it seldom."""
        return self._listening is not None and self._listening.connected

    def _follow_other_processes(self) -> None:
        if self._listening is None:
            with contextlib.suppress(RuntimeError):  # called outside a running loop: polling only, as before
                self._listening = self._store.database.listen(DESK_CHANNEL, self._on_notification)

    def _on_notification(self, notification: Notification | None) -> None:
        """Another process wrote an event (None: the listener reconnected, and may have missed some)."""
        self._notify()
        if self._subscriptions:
            delivery = asyncio.get_running_loop().create_task(self.deliver_pending())
            self._woken.add(delivery)
            delivery.add_done_callback(self._woken.discard)

    def _notify(self) -> None:
        for watch in self._watches:
            watch.notify()

    async def events_since(self, cursor: int = 0, limit: int = 100) -> list[DeskEvent]:
        """Events with ``seq`` greater than ``cursor``, oldest first, at most ``limit``."""
        return await self._run(self._store.events_since, cursor, limit)

    def subscribe(self, callback: DeskCallback, *, after: int | None = None) -> DeskSubscription:
        """Push events after ``after`` (default: from now on) to ``callback``; ``.cancel()`` to stop."""
        cursor = self._store.head() if after is None else after
        subscription = DeskSubscription(self, callback, cursor)
        self._subscriptions.add(subscription)
        self._follow_other_processes()
        return subscription

    async def deliver_pending(self) -> None:
        """Push every event a subscriber has not handled yet. One delivery runs at a time, in ``seq`` order;
        a call made while one runs is folded into it: from a callback (inside it) it returns at once, from
        elsewhere (say, a delivery a notification started) it returns once that delivery, now covering it, is done."""
        if self._delivering is not None:
            self._pending = True
            if self._delivering is not asyncio.current_task() and self._delivered is not None:
                await asyncio.shield(self._delivered)
            return
        self._delivering, self._delivered = asyncio.current_task(), asyncio.get_running_loop().create_future()
        try:
            self._pending = True
            while self._pending:
                self._pending = False
                for subscription in list(self._subscriptions):
                    await self._deliver_to(subscription)
        finally:
            delivered, self._delivering, self._delivered = self._delivered, None, None
            delivered.set_result(None)

    async def _deliver_to(self, subscription: DeskSubscription) -> None:
        while subscription in self._subscriptions:
            events = await self.events_since(subscription.cursor)
            for event in events:
                if subscription not in self._subscriptions:
                    return  # cancelled by an earlier callback
                try:
                    await subscription.callback(event)
                except Exception:
                    logger.exception(
                        "desk subscriber failed on event %s; it is retried on the next delivery", event.seq
                    )
                    return
                subscription.cursor = event.seq
            if len(events) < 100:
                return

    async def aclose(self) -> None:
        self._subscriptions.clear()
        self._watches.clear()
        listening, self._listening = self._listening, None
        if listening is not None:
            listening.cancel()
        for delivery in list(self._woken):
            delivery.cancel()
        await self._db.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _require_priority(priority: str) -> None:
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}, got {priority!r}")
