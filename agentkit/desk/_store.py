"""The desk's ticket store, on SQLite or PostgreSQL: blocking calls, each write one transaction.

An event is written in the same transaction as the change it reports, so a committed assignment, reply or
close always has its event, and events are numbered in commit order: no transaction commits a higher ``seq`` before
a lower one, so a reader of ``seq > cursor`` misses none. On SQLite ``BEGIN IMMEDIATE`` runs one write at a time.
On PostgreSQL a write first locks its ticket's row (``FOR UPDATE``), which decides each change on the current
ticket and orders the writes of one ticket; the desk's lock (``NamedLock.DESK_EVENTS``) is taken last, right before
the event's INSERT, which goes to the server with the COMMIT: it is held for the insert and the commit alone, not
across the transaction's round trips, and writes to other tickets wait for nothing else. No lock is ever taken
after it, so the two cannot deadlock.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

from agentkit.desk._migrations import DESK_MIGRATIONS
from agentkit.desk._models import (
    DeskEvent,
    DeskEventKind,
    MessageAuthor,
    Ticket,
    TicketClosed,
    TicketMessage,
    TicketNotFound,
    TicketStatus,
)
from agentkit.handoff import Priority, TranscriptLine, User
from agentkit.storage import DESK_CHANNEL, Connection, NamedLock, migrate, open_database

__all__ = ["NewTicket", "TicketStore"]



@dataclass(frozen=True)
class NewTicket:
    conversation_id: str
    idempotency_key: str
    title: str
    description: str
    priority: Priority
    user: User
    transcript: tuple[TranscriptLine, ...] = ()
    bot_name: str | None = None


class TicketStore:
    """Tickets at ``url_or_path``: a SQLite file, ``":memory:"`` (a throwaway desk) or a ``postgresql://`` URL.
    Thread-safe; not async."""

    def __init__(self, url_or_path: str | os.PathLike[str]) -> None:
        self._db = open_database(url_or_path)
        self.database = self._db
        self.errors = self._db.errors
        self._db.open()
        try:
            migrate(self._db, [DESK_MIGRATIONS])
        except BaseException:  # a database newer than this code, say: let go of the connection
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._db.transaction() as db:
            yield db

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._db.transaction(write=False) as db:
            yield db

    def write_ticket(self, db: Connection, new: NewTicket) -> Callable[[], Ticket | None]:
        """Insert the ticket, unless one with the same idempotency key exists, in ``db``'s write transaction; call
        the result once it has committed: the new ticket (with a ``ticket_created`` event), built from what was
        written, not read back; None when an earlier try's ticket was there (``ticket_by_key`` reads it). Nothing is
        read before the COMMIT (on PostgreSQL the transaction is no round trip of its own): the INSERT's key comes
        back at commit, and the event is written for the key's ticket if it has no event yet: a ticket and its
        ``ticket_created`` event are written together, so only the ticket this transaction inserted has none (an
        earlier try's committed its own; a try running at once waits for it on the key, then sees it)."""
        now = time.time()
        # Written out rather than ``dataclasses.asdict`` (a generic deep copy per line), as ``EscalationRequest``.
        transcript = json.dumps([{"role": line.role, "text": line.text, "at": line.at} for line in new.transcript])
        inserted = db.read_at_commit(
            "INSERT INTO desk_tickets (idempotency_key, conversation_id, title, description, priority,"
            " user_id, user_name, user_email, transcript, created_at, updated_at, bot_name)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            (
                new.idempotency_key,
                new.conversation_id,
                new.title,
                new.description,
                new.priority,
                new.user.id,
                new.user.name,
                new.user.email,
                transcript,
                now,
                now,
                new.bot_name,
            ),
        )
        db.lock(NamedLock.DESK_EVENTS)  # last, right before the event (see the module's docstring)
        db.execute(
            "INSERT INTO desk_events (ticket_id, kind, agent_name, text, at) SELECT t.id, 'ticket_created', NULL, ?, ?"
            " FROM desk_tickets t WHERE t.idempotency_key = ?"
            " AND NOT EXISTS (SELECT 1 FROM desk_events e WHERE e.ticket_id = t.id)",
            (new.title, now, new.idempotency_key),
        )
        db.notify(DESK_CHANNEL)  # other workers' inboxes (the ticket's id is known at commit only)

        def written() -> Ticket | None:
            row = next(iter(inserted()), None)
            return None if row is None else _new_ticket(str(row["id"]), new, now)

        return written

    def ticket_by_key(self, idempotency_key: str) -> Ticket:
        """The ticket opened with ``idempotency_key``."""
        with self._read() as db:
            row = db.execute("SELECT id FROM desk_tickets WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if row is None:
                raise TicketNotFound(idempotency_key)
            return self._load(db, str(row["id"]))

    def get(self, ticket_id: str) -> Ticket:
        with self._read() as db:
            return self._load(db, ticket_id)

    def select(self, status: TicketStatus | None = None) -> list[Ticket]:
        with self._read() as db:
            query, args = "SELECT id FROM desk_tickets ORDER BY id", tuple[str, ...]()
            if status is not None:
                query, args = "SELECT id FROM desk_tickets WHERE status = ? ORDER BY id", (status,)
            ids = [str(row["id"]) for row in db.execute(query, args)]
            return [self._load(db, ticket_id) for ticket_id in ids]

    def assign(self, ticket_id: str, agent_name: str) -> tuple[Ticket, DeskEvent]:
        with self._write() as db:
            self._require_open(db, ticket_id, "assign")
            self._update(db, ticket_id, "status = 'assigned', assignee = ?", (agent_name,))
            self._add_message(db, ticket_id, "system", None, f"{agent_name} joined the conversation")
            ticket = self._load(db, ticket_id)
            event = self._add_event(db, ticket_id, "agent_assigned", agent_name, None)
        return ticket, event()

    def agent_reply(self, ticket_id: str, text: str, agent_name: str | None) -> tuple[Ticket, DeskEvent]:
        with self._write() as db:
            row = self._require_open(db, ticket_id, "reply to")
            name = agent_name or row["assignee"]
            self._update(db, ticket_id, "", ())
            self._add_message(db, ticket_id, "agent", name, text)
            ticket = self._load(db, ticket_id)
            event = self._add_event(db, ticket_id, "agent_message", name, text)
        return ticket, event()

    def user_message(self, ticket_id: str, text: str, user_name: str | None) -> TicketMessage:
        """The message as stored (see ``write_user_message``), in a transaction of its own."""
        with self._write() as db:
            stored = self.write_user_message(db, ticket_id, text, user_name)
        return stored() or self.refused_user_message(ticket_id)

    def write_user_message(
        self,
        db: Connection,
        ticket_id: str,
        text: str,
        user_name: str | None,
        *,
        only_if: tuple[str, tuple[object, ...]] | None = None,
    ) -> Callable[[], TicketMessage | None]:
        """A user's message, in ``db``'s write transaction, if its ticket is open; call the result once it has
        committed: the message as stored, or None when the ticket is closed or missing (nothing was written:
        ``refused_user_message`` says why). Nothing is read before the COMMIT (on PostgreSQL the transaction is no
        round trip of its own): one statement checks that the ticket is open, locks it and touches it, and the
        message and its event are each written only if it is open (the lock held: it stays so until COMMIT).

        ``only_if``: a condition of the caller's in SQL (``?`` marks) and its parameters, that each of those
        statements also asks (None, and nothing written, when it does not hold). It must stay as it is for the
        rest of the transaction (decided on rows the caller holds locked), so that the three statements agree."""
        at, key = time.time(), _int_id(ticket_id)
        also, also_params = _and(only_if)
        touched = db.read_at_commit(
            f"UPDATE desk_tickets SET updated_at = ? WHERE id = ? AND status != 'closed'{also} RETURNING id",
            (at, key, *also_params),
        )
        message_id = db.insert_at_commit(
            f"INSERT INTO desk_messages (ticket_id, author, author_name, text, at) SELECT id, 'user', ?, ?, ? "
            f"{_IF_OPEN}{also}",
            (user_name, text, at, key, *also_params),
        )
        self._add_event(db, ticket_id, "user_message", None, text, if_open=True, only_if=only_if)
        return lambda: TicketMessage(message_id(), "user", user_name, text, at) if touched() else None

    @staticmethod
    def open_ticket(ticket_id: str) -> tuple[str, tuple[object, ...]]:
        """A condition in SQL (one ``?``) and its parameter: the ticket is open. Once ``write_user_message`` has
        touched it in a transaction, it stays so to its end (a closed ticket stays closed)."""
        return f"EXISTS (SELECT 1 {_IF_OPEN})", (_int_id(ticket_id),)

    def refused_user_message(self, ticket_id: str) -> NoReturn:
        """Why ``write_user_message`` wrote nothing: the ticket is missing (``TicketNotFound``) or closed."""
        with self._read() as db:
            if self._row(db, ticket_id)["status"] == "closed":
                raise TicketClosed(ticket_id, "send a user message to")
        raise AssertionError(f"ticket {ticket_id} is open but the user's message to it changed no row")

    def close_ticket(self, ticket_id: str, reason: str | None, by_agent: bool) -> tuple[Ticket, DeskEvent | None]:
        """Close once (``session_stopped`` by an agent, ``ticket_closed`` by the bot); closing a closed ticket
        changes nothing and reports no new event."""
        with self._write() as db:
            row = self._row(db, ticket_id, lock=True)
            if row["status"] == "closed":
                return self._load(db, ticket_id), None
            self._update(db, ticket_id, "status = 'closed', closed_reason = ?", (reason,))
            self._add_message(
                db, ticket_id, "system", None, f"Ticket closed{f': {reason}' if reason else ''}"
            )
            ticket = self._load(db, ticket_id)
            kind: DeskEventKind = "session_stopped" if by_agent else "ticket_closed"
            event = self._add_event(db, ticket_id, kind, row["assignee"], reason)
        return ticket, event()

    def events_since(self, after: int, limit: int) -> list[DeskEvent]:
        with self._read() as db:
            rows = db.execute("SELECT * FROM desk_events WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)).fetchall()
        return [_event(row) for row in rows]

    def head(self) -> int:
        """The newest event's ``seq`` (0 when there is none)."""
        with self._read() as db:
            return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM desk_events").fetchone()[0])

    # -- inside a transaction --

    @staticmethod
    def _row(db: Connection, ticket_id: str, *, lock: bool = False) -> Any:
        """The ticket's row; ``lock``: held until the transaction ends (a write decides on it, then changes it)."""
        sql = "SELECT * FROM desk_tickets WHERE id = ?" + (db.for_update() if lock else "")
        row = db.execute(sql, (_int_id(ticket_id),)).fetchone()
        if row is None:
            raise TicketNotFound(ticket_id)
        return row

    def _require_open(self, db: Connection, ticket_id: str, action: str) -> Any:
        row = self._row(db, ticket_id, lock=True)
        if row["status"] == "closed":
            raise TicketClosed(ticket_id, action)
        return row

    @staticmethod
    def _update(db: Connection, ticket_id: str, assignments: str, args: Sequence[Any]) -> None:
        sets = f"{assignments}, updated_at = ?" if assignments else "updated_at = ?"
        db.execute(f"UPDATE desk_tickets SET {sets} WHERE id = ?", (*args, time.time(), _int_id(ticket_id)))

    @staticmethod
    def _add_message(
        db: Connection, ticket_id: str, author: MessageAuthor, name: str | None, text: str
    ) -> None:
        db.execute(
            "INSERT INTO desk_messages (ticket_id, author, author_name, text, at) VALUES (?, ?, ?, ?, ?)",
            (_int_id(ticket_id), author, name, text, time.time()),
        )

    @staticmethod
    def _add_event(
        db: Connection,
        ticket_id: str,
        kind: DeskEventKind,
        agent: str | None,
        text: str | None,
        *,
        if_open: bool = False,
        only_if: tuple[str, tuple[object, ...]] | None = None,
    ) -> Callable[[], DeskEvent]:
        """The transaction's last statement: the event, under the desk's lock until COMMIT (see the module's
        docstring). Call the result once the transaction has committed. ``if_open``: written only if the ticket is
        open (then read the result only if it was); ``only_if``: and the caller's condition holds (with ``if_open``
        only, see ``write_user_message``)."""
        db.lock(NamedLock.DESK_EVENTS)
        at = time.time()
        if if_open:
            also, also_params = _and(only_if)
            sql = (f"INSERT INTO desk_events (ticket_id, kind, agent_name, text, at) SELECT id, ?, ?, ?, ? "
                   f"{_IF_OPEN}{also}")  # fmt: skip
            params: tuple[object, ...] = (kind, agent, text, at, _int_id(ticket_id), *also_params)
        else:
            sql = "INSERT INTO desk_events (ticket_id, kind, agent_name, text, at) VALUES (?, ?, ?, ?, ?)"
            params = (_int_id(ticket_id), kind, agent, text, at)
        seq = db.insert_at_commit(sql, params, key="seq")
        db.notify(DESK_CHANNEL, ticket_id)  # the ticket, not the seq: an INSERT ... SELECT may write no row
        return lambda: DeskEvent(seq(), kind, ticket_id, agent, text, at)

    def _load(self, db: Connection, ticket_id: str) -> Ticket:
        # Both statements before either is read: one round trip in a pipelined transaction.
        ticket = db.execute("SELECT * FROM desk_tickets WHERE id = ?", (_int_id(ticket_id),))
        messages = db.execute("SELECT * FROM desk_messages WHERE ticket_id = ? ORDER BY id", (_int_id(ticket_id),))
        row = ticket.fetchone()
        if row is None:
            raise TicketNotFound(ticket_id)
        return _ticket(
            row,
            tuple(
                TicketMessage(m["id"], m["author"], m["author_name"], m["text"], m["at"])
                for m in messages.fetchall()
            ),
        )


_IF_OPEN = "FROM desk_tickets WHERE id = ? AND status != 'closed'"
"""The rest of an ``INSERT ... SELECT`` that writes a row only for an open ticket (one ``?``: its id)."""


def _int_id(ticket_id: str) -> int:
    try:
        return int(ticket_id)
    except (TypeError, ValueError):
        raise TicketNotFound(str(ticket_id)) from None


def _new_ticket(ticket_id: str, new: NewTicket, now: float) -> Ticket:
    """The ticket ``create`` has just stored (the columns' defaults: open, nobody assigned, no message yet)."""
    return Ticket(
        ticket_id, new.conversation_id, new.idempotency_key, new.title, new.description, new.priority, "open", None,
        new.user, new.transcript, (), now, now, bot_name=new.bot_name,
    )  # fmt: skip


def _ticket(row: Any, messages: tuple[TicketMessage, ...]) -> Ticket:
    transcript = tuple(TranscriptLine(**line) for line in json.loads(row["transcript"]))
    return Ticket(
        id=str(row["id"]),
        conversation_id=row["conversation_id"],
        idempotency_key=row["idempotency_key"],
        title=row["title"],
        description=row["description"],
        priority=row["priority"],
        status=row["status"],
        assignee=row["assignee"],
        user=User(row["user_id"], row["user_name"], row["user_email"]),
        transcript=transcript,
        messages=messages,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        closed_reason=row["closed_reason"],
        bot_name=row["bot_name"],
    )


def _event(row: Any) -> DeskEvent:
    return DeskEvent(
        row["seq"], row["kind"], str(row["ticket_id"]), row["agent_name"], row["text"], row["at"]
    )


def _and(condition: tuple[str, tuple[object, ...]] | None) -> tuple[str, tuple[object, ...]]:
    """A caller's condition (``only_if``) as the end of a WHERE clause, and its parameters; nothing for None."""
    return (f" AND {condition[0]}", condition[1]) if condition is not None else ("", ())
