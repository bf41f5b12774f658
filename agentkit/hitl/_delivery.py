"""Sending the outbox: one session's rows in order, retried with backoff, and what each outcome means for the user.

A delivered ``start`` records the helpdesk's session id and, if the user has not heard it yet, sends the handoff
message. A row the helpdesk refuses for good (``ProviderError`` with ``retryable=False``) ends the session with
``error``, so the bot takes the conversation back instead of leaving the user talking to a wall.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from agentkit.handoff import TranscriptLine, User

from ..retry import SYSTEM_CLOCK, Backoff, Clock, GaveUp, Retrier, deadline
from ..storage import Connection
from . import _outbox as outbox
from . import _state as state
from ._config import DeliveryConfig
from ._host import HitlHost, Post
from ._lease import claim_to_the_end, keep_claim
from ._lifecycle import end_session, return_unsent
from ._provider import EscalationRequest, HitlProvider, ProviderError

__all__ = ["Claimed", "Deliverer", "Delivery", "request_from_json", "request_to_json"]

logger = logging.getLogger("agentkit.hitl")

DeliveryStatus = Literal["done", "pending", "failed"]


@dataclass(frozen=True)
class Delivery:
    """Where a session's outbox stands after a delivery pass: all sent, some still queued, or refused."""

    status: DeliveryStatus
    sent: int = 0
    error: str | None = None
    session: state.HitlSession | None = None
    """The session as it stood when the delivery was concluded (its helpdesk id once the start is delivered)."""


def request_to_json(request: EscalationRequest) -> dict[str, Any]:
    return request.to_json()


def request_from_json(data: dict[str, Any]) -> EscalationRequest:
    return EscalationRequest(
        conversation_id=data["conversation_id"],
        title=data["title"],
        description=data["description"],
        priority=data["priority"],
        user=User(**data["user"]),
        transcript=tuple(TranscriptLine(**line) for line in data["transcript"]),
        idempotency_key=data["idempotency_key"],
        configuration_overrides=data.get("configuration_overrides") or {},
    )


def _retryable(error: ProviderError) -> bool:
    return error.retryable


def _retry_after(error: ProviderError) -> float | None:
    return error.retry_after


class Deliverer:
    """Sends one plugin's outbox rows through its provider."""

    def __init__(
        self,
        host: HitlHost,
        plugin: str,
        provider: HitlProvider,
        config: DeliveryConfig,
        on_postponed: Callable[[], None] = lambda: None,
        clock: Clock = SYSTEM_CLOCK,
        on_early_events: Callable[[], None] = lambda: None,
    ) -> None:
        self.host = host
        self.plugin = plugin
        self.provider = provider
        self.config = config
        self.on_postponed = on_postponed  # the background deliverer must look at the new due time
        self.on_early_events = on_early_events  # a start completed whose ticket has events kept: to apply them
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        backoff = Backoff(config.retry_initial_delay, config.retry_max_delay, max_retry_after=config.retry_max_delay)
        self._retrier = Retrier[ProviderError](
            ProviderError, _retryable, attempts=config.retry_attempts, backoff=backoff, retry_after=_retry_after,
            clock=clock,
        )  # fmt: skip

    async def deliver(
        self, session_row: int, row_id: int, conversation_id: str | None = None, *, claimed: Claimed | None = None
    ) -> Delivery:
        """Send the session's due rows, in order, until one fails or none is left; report on row ``row_id``.
        A person is waiting on this (a turn): the helpdesk gets ``inline_delivery_seconds``, retries included.
        ``conversation_id``: the session's, when known (see ``drain``). ``claimed``: the first row, claimed already
        by the caller (in the transaction that queued it), with the session and the claim's token."""
        with deadline(self.config.inline_delivery_seconds):
            sent, concluded = await self._drain_locked(session_row, True, conversation_id, claimed, row_id)
        if concluded is None:  # the drain did not end on a completed row: where ``row_id`` stands, read now

            def conclude(connection: Connection, _: list[Post]) -> _Concluded:
                return _conclude(connection, state.session_by_row(connection, session_row, conversation_id), row_id)

            concluded = await self.host.transact(conclude)
        status, error, session = concluded
        return Delivery(status, sent, error, session)

    async def deliver_due(self, *, force: bool = False) -> int:
        """One pass over every session with a due row (every queued row with ``force``); rows sent."""
        sessions = await self.host.transact(lambda c, _: outbox.due_sessions(c, self.plugin, time.time(), force=force))
        sent = 0
        for session_row in sessions:
            sent += await self.drain(session_row, due_only=not force)
        return sent

    async def next_due(self) -> float | None:
        return await self.host.transact(lambda c, _: outbox.next_due(c, self.plugin))

    async def drain(self, session_row: int, *, due_only: bool, conversation_id: str | None = None) -> int:
        """Send the session's rows one by one while they succeed; one drain per session at a time in a process.
        ``conversation_id``: the session's, when the caller knows it (its lock is then taken without a lookup)."""
        sent, _ = await self._drain_locked(session_row, due_only, conversation_id)
        return sent

    async def _drain_locked(
        self,
        session_row: int,
        due_only: bool,
        conversation_id: str | None,
        claimed: Claimed | None = None,
        report_on: int | None = None,
    ) -> tuple[int, _Concluded | None]:
        """``drain``; with ``report_on``, also where that row stands, if the drain ended on a completed row."""
        lock, users = self._locks.get(session_row, (asyncio.Lock(), 0))
        self._locks[session_row] = (lock, users + 1)
        try:
            async with lock:
                if claimed is None:
                    return await self._drain(session_row, outbox.new_claim_token(), due_only, conversation_id, None,
                                             report_on)  # fmt: skip
                row, session, token = claimed
                return await self._drain(session_row, token, due_only, conversation_id, (row, session), report_on)
        finally:
            lock, users = self._locks[session_row]
            if users == 1:
                del self._locks[session_row]  # an idle session keeps no lock
            else:
                self._locks[session_row] = (lock, users - 1)

    async def _drain(
        self,
        session_row: int,
        token: str,
        due_only: bool,
        conversation_id: str | None,
        first: _Claimed | None,
        report_on: int | None,
    ) -> tuple[int, _Concluded | None]:
        sent, concluded = 0, None
        claimed = first or await self._claim_first(session_row, token, due_only, conversation_id)
        while claimed is not None:
            row, session = claimed
            done = await self._send_one(row, session, token)
            if done is None:
                return sent, None
            sent += 1
            if row.kind == "start" and row.id == report_on:  # the turn's own start: maybe with the turn's last write
                with_run = self._complete_with_run(row, session, done)
                if with_run is not None:
                    return sent, with_run
            claimed, concluded = await self._complete(row, done, session, token, due_only, report_on)
        return sent, concluded

    async def _claim_first(
        self, session_row: int, token: str, due_only: bool, conversation_id: str | None
    ) -> _Claimed | None:
        lease = self.config.claim_seconds

        def claim(connection: Connection, _: list[Post]) -> _Claimed | None:
            return _claim(connection, session_row, token, lease, due_only, conversation_id)

        return await claim_to_the_end(self.host, claim, lambda r: r[0].id if r else None, token)

    async def _complete(
        self,
        row: outbox.OutboxRow,
        done: _Sent,
        sent_with: state.HitlSession,
        token: str,
        due_only: bool,
        report_on: int | None,
    ) -> tuple[_Claimed | None, _Concluded | None]:
        """The sent row marked done and the session's next row claimed, in one transaction (not two); when there is
        no next row to send, where row ``report_on`` stands is read there too (``deliver`` needs no transaction
        more). ``sent_with``: the session the row was sent with.

        When that row is the one to report on (a relayed message, a start), or there is none (a background drain),
        the next row's claim is one statement read at commit: on PostgreSQL the transaction reads nothing before its
        COMMIT. A row claimed that way goes with the session as ``_sent`` read it (a start's), else as ``sent_with``:
        what sending a row uses of it (the helpdesk's id, the user) does not change once the start is delivered."""
        lease = self.config.claim_seconds
        conversation_id = sent_with.conversation_id
        at_commit = report_on is None or row.id == report_on
        early: list[Callable[[], list[Any]]] = []  # a delivered start: whether events were kept for its ticket

        def complete(connection: Connection, posts: list[Post]) -> Callable[[], _Completed]:
            reported = row.id == report_on  # where it stands is known: done, and the user is told so with it
            session = self._sent(connection, posts, row, done.remote_id, conversation_id, told_user=reported)
            early.clear()  # of this run only: a run rolled back leaves nothing in the next one's
            if row.kind == "start" and done.remote_id is not None:
                early.append(connection.read_at_commit(state.EARLY_EVENTS_OF, (self.plugin, done.remote_id)))
            if at_commit:
                later = outbox.claim_next_at_commit(connection, row.session_row, token, time.time(), lease,
                                                    due_only=due_only)  # fmt: skip

                def settled() -> _Completed:
                    claimed = later()
                    if claimed is not None:
                        return (claimed, session or sent_with), None
                    return None, (("done", None, session) if reported else None)

                return settled
            claimed = _claim(connection, row.session_row, token, lease, due_only, conversation_id, session,
                             locked=True)  # fmt: skip
            completed: _Completed = (claimed, None)
            if claimed is None and report_on is not None:
                completed = None, _conclude(connection, session, report_on)
            return lambda: completed

        def row_of(settled: Callable[[], _Completed]) -> int | None:
            claimed = settled()[0]
            return claimed[0].id if claimed else None

        completed = (await claim_to_the_end(self.host, complete, row_of, token))()
        if any(rows() for rows in early):
            self.on_early_events()
        return completed

    def _complete_with_run(
        self, row: outbox.OutboxRow, session: state.HitlSession, done: _Sent
    ) -> _Concluded | None:
        """The start's completion (the helpdesk's id, the handoff notice) left to the transaction that stores the
        turn's model run (``HitlHost.with_run``), which comes right after the tool that sent it: one write less
        per handoff. None: no such run, complete it now. Until that commits the row stays claimed (and marked as
        maybe sent): a crash meanwhile sends it again, with the same idempotency key, once the claim runs out. A
        row queued behind it (a stop) is left to the background deliverer, woken once that has committed.

        Two writes of that transaction, so that it reads nothing before its COMMIT (on PostgreSQL, no round trip of
        its own): the row marked done and the notice posted if the session is open and not told yet (``only_if``,
        decided where the post is stored, right after this write); then the session's helpdesk id and notice
        written on the same condition, and whether a row waits after the start or helpdesk events were kept for
        its ticket (they came before its id was recorded), read at commit: either wakes the background
        deliverer, which sends the row and applies the events."""
        conversation_id = session.conversation_id

        def complete(connection: Connection, posts: list[Post]) -> None:
            _complete_start(connection, posts, row, session, done.remote_id)

        def record(connection: Connection, _: list[Post]) -> Callable[[], list[Any]]:
            return _record_start(connection, row, done.remote_id, self.plugin)

        def then(queued_after: Callable[[], list[Any]]) -> None:
            (after,) = queued_after()
            if after["queued_after"]:
                self.on_postponed()
            if after["early_events"]:
                self.on_early_events()

        if not self.host.with_run(conversation_id, complete, _ignore):
            return None
        if not self.host.with_run(conversation_id, record, then):  # the same run takes both, or neither
            raise AssertionError(f"the model run of conversation {conversation_id!r} took one write and not the next")
        if done.remote_id is not None:  # as ``_sent`` will leave it (the session opened in this turn)
            session = replace(session, session_id=done.remote_id, notice=session.notice or "handoff")
        return "done", None, session

    async def _send_one(self, row: outbox.OutboxRow, session: state.HitlSession, token: str) -> _Sent | None:
        """Call the helpdesk with the row; None when it was not sent (and what that means is done). Once sent,
        the row is marked done by the caller, with the next row's claim (``_complete``)."""
        conversation = session.conversation_id
        marking = row.kind == "start" and not row.sending  # a start claimed where it was queued is marked there
        if marking and not await self.host.transact(lambda c, _: _mark_sending(c, row, token, conversation)):
            return None  # the user ended the session since the claim: nothing was sent, and nothing will be
        tries = _Tries()
        try:
            with keep_claim(self.host, row.id, token, self.config.claim_seconds):
                remote_id = await self._call_with_retries(row, session, tries)
        except asyncio.CancelledError:
            await asyncio.shield(self.host.transact(lambda c, _: outbox.release(c, row.id, token)))
            raise
        except ProviderError as error:
            if error.retryable and row.attempts + 1 >= self.config.max_attempts:
                await self._bury(row, error)
            elif error.retryable:
                await self._postpone(row, error, maybe_sent=row.maybe_sent or tries.maybe_sent)
            else:
                await self._refused(row, session, error)
            return None
        except Exception as error:  # a provider bug: keep it visible, and do not lose the user
            logger.exception("HITL provider %r failed on outbox row %s", self.provider.name, row.id)
            await self._refused(row, session, error)
            return None
        return _Sent(remote_id)

    async def _call_with_retries(self, row: outbox.OutboxRow, session: state.HitlSession, tries: _Tries) -> str | None:
        """Exponential backoff, stretched to the helpdesk's Retry-After when it asks for longer. The first try is
        made here, outside the retrier (it nearly always succeeds); the retrier makes the ones after it."""
        try:
            try:
                return await tries.watch(self._call(row, session))
            except ProviderError as error:
                first_error = error
            return await self._retrier.after_first(lambda: tries.watch(self._call(row, session)), first_error)
        except GaveUp as gave_up:
            raise gave_up.error from gave_up.error.__cause__

    async def _call(self, row: outbox.OutboxRow, session: state.HitlSession) -> str | None:
        if row.kind == "start":
            return await self.provider.start_hitl(request_from_json(row.payload))
        if session.session_id is None:
            raise AssertionError(f"outbox row {row.id} ({row.kind}) ran before its session's start was delivered")
        if row.kind == "message":
            await self.provider.send_to_agent(session.session_id, row.payload["text"], session.user)
        else:
            await self.provider.stop_hitl(session.session_id, row.payload["reason"])
        return None

    def _sent(
        self,
        connection: Connection,
        posts: list[Post],
        row: outbox.OutboxRow,
        remote: str | None,
        conversation: str,
        *,
        told_user: bool,
    ) -> state.HitlSession | None:
        """The row marked done (a start: the helpdesk's id kept, the user told); the session as it now stands, read
        only for a start (a message changes nothing in it: the next row's claim reads it if there is one).
        ``told_user``: a message's turn ends with it (see ``outbox.tell_user``)."""
        if row.kind != "start":
            connection.lock_conversation(conversation)  # as a session read would: before the rows' locks
            outbox.complete(connection, row.id, time.time(), told_user=told_user and row.kind == "message")
            return None
        session = state.session_by_row(connection, row.session_row, conversation)  # locks the conversation first
        told = _start_done(connection, posts, row, remote, session)
        if remote is None:
            return session
        return replace(session, session_id=remote, notice="handoff" if told else session.notice)

    async def _postpone(self, row: outbox.OutboxRow, error: ProviderError, *, maybe_sent: bool) -> None:
        wait = outbox.backoff(row.attempts + 1, self.config.redeliver_interval, self.config.redeliver_max_delay)
        logger.warning(
            "HITL %s: %s; outbox row %s is queued for another try in %.0f s", self.plugin, error, row.id, wait
        )
        again = time.time() + wait
        await self.host.transact(lambda c, _: outbox.postpone(c, row.id, str(error), again, maybe_sent=maybe_sent))
        self.on_postponed()

    async def _bury(self, row: outbox.OutboxRow, error: ProviderError) -> None:
        logger.error("HITL %s: outbox row %s (%s) failed %s times and is now a dead letter: %s", self.plugin, row.id,
                     row.kind, row.attempts + 1, error)  # fmt: skip
        reason = f"gave up after {row.attempts + 1} attempts: {error}"
        await self.host.transact(lambda c, posts: _end_with_error(c, posts, row, reason, dead=True))

    async def _refused(self, row: outbox.OutboxRow, session: state.HitlSession, error: Exception) -> None:
        logger.error("HITL %s: the helpdesk refused outbox row %s (%s): %s", self.plugin, row.id, row.kind, error)
        await self.host.transact(lambda c, posts: _end_with_error(c, posts, row, str(error)))


_Claimed = tuple[outbox.OutboxRow, state.HitlSession]
Claimed = tuple[outbox.OutboxRow, state.HitlSession, str]
"""A row claimed by a caller of ``deliver``, its session, and the claim's token."""
_Concluded = tuple[DeliveryStatus, str | None, state.HitlSession | None]
"""Where the reported row stands, its error, and the session if it was read (a message's completion does not)."""
_Completed = tuple[_Claimed | None, _Concluded | None]
"""A completion's next row claimed (and its session), or where the reported row stands."""


@dataclass(frozen=True, slots=True)
class _Sent:
    """A row the helpdesk took; ``remote_id``: the session id it gave a ``start``."""

    remote_id: str | None


_UNCERTAIN_STATUSES = frozenset({500, 502, 504})
"""Answers after which the helpdesk may have done the work anyway (it failed midway, or a gateway gave up on it)."""


class _Tries:
    """Whether any call of one delivery may have reached the helpdesk: a refusal it answered (503, 429, 4xx) proves
    it did nothing; a timeout, a dropped connection, a 500/502/504 or a provider bug proves nothing."""

    def __init__(self) -> None:
        self.maybe_sent = False

    async def watch(self, call: Awaitable[str | None]) -> str | None:
        try:
            return await call
        except ProviderError as error:
            self.maybe_sent = self.maybe_sent or error.status is None or error.status in _UNCERTAIN_STATUSES
            raise
        except BaseException:
            self.maybe_sent = True
            raise


_UNTOLD = "state != 'ended' AND (notice IS NULL OR notice <> 'handoff')"
"""A session the user must now be told a person is coming about: open, and not told so yet."""
_TELL = f"EXISTS (SELECT 1 FROM hitl_sessions WHERE id = ? AND {_UNTOLD})"
_TOLD = (
    f"UPDATE hitl_sessions SET session_id = ?, notice = CASE WHEN {_UNTOLD} THEN 'handoff' ELSE notice END WHERE id = ?"
)
_QUEUED_AFTER = (
    "SELECT EXISTS (SELECT 1 FROM hitl_outbox WHERE session_row = ? AND id != ? AND status = 'queued') "
    f"AS queued_after, EXISTS ({state.EARLY_EVENTS_OF}) AS early_events"
)


def _complete_start(
    connection: Connection, posts: list[Post], row: outbox.OutboxRow, session: state.HitlSession, remote: str | None
) -> None:
    """``Deliverer._sent`` for a start whose session the caller holds (opened in this turn), first part: the row
    marked done and, with the helpdesk's id, the handoff notice posted on the condition ``_start_done`` decides on
    (the session open and not told yet), evaluated where the post is stored, before ``_record_start`` changes it."""
    connection.lock_conversation(session.conversation_id)  # as a session read would: before the rows' locks
    outbox.complete(connection, row.id, time.time())
    if remote is not None:
        text = session.config.on_hitl_handoff_message
        posts.append(Post(session.conversation_id, text, only_if=(_TELL, (row.session_row,))))


def _record_start(
    connection: Connection, row: outbox.OutboxRow, remote: str | None, plugin: str
) -> Callable[[], list[Any]]:
    """The second part: the helpdesk's id kept, and the notice recorded on the same condition; the result, called
    once the transaction has ended, is one row: ``queued_after``, a row was queued after the start, and
    ``early_events``, events were kept for its ticket (both for the background deliverer)."""
    if remote is not None:
        connection.execute(_TOLD, (remote, row.session_row))
    return connection.read_at_commit(_QUEUED_AFTER, (row.session_row, row.id, plugin, remote))


def _ignore(_: object) -> None:
    return None


def _start_done(
    connection: Connection, posts: list[Post], row: outbox.OutboxRow, remote: str | None, session: state.HitlSession
) -> bool:
    """The start row marked done and the helpdesk's id kept; the user told that a person is coming unless the
    session (as read in this transaction) ended or was told already (``_UNTOLD``, decided on the row read). True:
    told."""
    outbox.complete(connection, row.id, time.time())
    if remote is None:
        return False
    if not session.is_open or session.notice == "handoff":
        state.set_remote_id(connection, row.session_row, remote)
        return False
    state.set_remote_id(connection, row.session_row, remote, notice="handoff")  # one UPDATE of the row, not two
    posts.append(Post(session.conversation_id, session.config.on_hitl_handoff_message))
    return True


def _mark_sending(connection: Connection, row: outbox.OutboxRow, token: str, conversation_id: str) -> bool:
    connection.lock_conversation(conversation_id)  # as ``/end`` takes it; the session itself is not needed here
    return outbox.mark_sending(connection, row.id, token)


def _claim(
    connection: Connection,
    session_row: int,
    token: str,
    lease: float,
    due_only: bool,
    conversation_id: str | None,
    session: state.HitlSession | None = None,
    *,
    locked: bool = False,
) -> _Claimed | None:
    """``session``: read already in this transaction (its conversation locked), as it now stands. ``locked``: the
    conversation is locked already (``conversation_id`` given); the session is read only if a row is claimed."""
    if session is None and not locked:
        session = state.session_by_row(connection, session_row, conversation_id)  # the conversation's lock, first
    row = outbox.claim_next(connection, session_row, token, time.time(), lease, due_only=due_only)
    if row is None:
        return None
    return row, session or state.session_by_row(connection, session_row, conversation_id)


def _end_with_error(
    connection: Connection, posts: list[Post], row: outbox.OutboxRow, error: str, *, dead: bool = False
) -> None:
    session = state.session_by_row(connection, row.session_row)  # the conversation's lock, before the rows'
    (outbox.bury if dead else outbox.fail)(connection, row.id, error, time.time())
    if session.is_open:
        # Only a user who was told about the handoff hears that it broke; an escalation refused on its first try
        # fails the tool call instead, and the model tells the user.
        text = session.config.session_error_message if session.notice is not None else None
        end_session(connection, posts, session, "error", text, f"delivery failed: {error}")  # gives them back
    else:  # the session ended first (the person closed it): the refused message still goes back to the bot
        return_unsent(connection, posts, session.conversation_id, session.row_id)


def _conclude(connection: Connection, session: state.HitlSession | None, row_id: int) -> _Concluded:
    """Where the turn's row stands once the turn stops waiting for it. Unless it failed (then the turn's bot
    answers the message), the user is told a message went to the person (a start has nothing to tell: only
    messages are given back); under the conversation's lock (taken earlier in this transaction), so a refusal that
    comes later, in any process, knows to give the message back to the bot."""
    sql = "SELECT status, last_error, kind FROM hitl_outbox WHERE id = ?"
    row = connection.execute(sql, (row_id,)).fetchone()
    if row["status"] in ("failed", "dead", "cancelled"):
        return "failed", row["last_error"] or "the session ended before this was sent", session
    if row["kind"] == "message":
        outbox.tell_user(connection, row_id)
    if row["status"] == "done":
        return "done", None, session
    return "pending", row["last_error"], session
