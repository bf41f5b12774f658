"""``plugin.actions``: ``start_hitl`` and ``stop_hitl``, as the Botpress HITL plugin names them.

``start_hitl`` opens at most one session per conversation at a time: a second call while one is pending or
assigned opens nothing and says so (``status="already_escalated"``). The escalation is written to the outbox in
the same transaction as the new session, before the helpdesk is called.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, get_args

from agentkit.handoff import Priority, TranscriptLine, User

from .. import context, telemetry
from ..exceptions import UserError
from ..storage import Connection
from . import _outbox as outbox
from . import _state as state
from ._config import SessionConfig, check_provider_overrides, split_overrides
from ._delivery import Claimed, request_to_json
from ._host import HitlHost, Post, SessionEvent
from ._lifecycle import close_reason, end_session
from ._provider import EscalationRequest, ProviderError
from ._spelling import snake_case_keywords, unknown_attribute
from ._summary import summarize

if TYPE_CHECKING:
    from ._plugin import HitlPlugin, _NoneOpen

__all__ = ["HitlActions", "HitlStart"]

StartStatus = Literal["opened", "queued", "already_escalated"]
_PRIORITIES: tuple[str, ...] = get_args(Priority)


@dataclass(frozen=True)
class HitlStart:
    """What ``start_hitl`` did. ``opened``: the helpdesk has the ticket. ``queued``: it is saved in the outbox and
    will be sent (the helpdesk is failing, or delivery is in the background). ``already_escalated``: a session was
    open already, nothing new was opened; ``session`` is that one."""

    status: StartStatus
    session: state.HitlSession


@dataclass(frozen=True)
class _Escalation:
    """What ``start_hitl`` was asked, checked; the transcript (and the description made from it) is read in the
    transaction that opens the session."""

    conversation_id: str
    title: str
    description: str | None
    priority: Priority
    user: User
    config: SessionConfig
    provider_overrides: Mapping[str, Any]
    config_json: str | None = None
    """``config`` as stored, when it is the plugin's own (made once by the plugin, not per handoff)."""


OpenThrough = Callable[[Connection, EscalationRequest], tuple[Callable[[], object], tuple[str, tuple[object, ...]]]]
"""The helpdesk's ticket opened in the caller's transaction (a helpdesk in the agent's database): ``(connection,
request)`` writes it, unless one with the request's idempotency key exists, and gives back a function to call once
the transaction has committed, and the ticket's id (either way) as a SQL expression and its parameters."""


@dataclass(frozen=True)
class _Opened:
    """What one pass of ``_open`` found or did. ``session``: the open session (new or not), None when the admission
    must be asked first; ``start``: the new session's start row, claimed when it is delivered inline (None: none
    was opened, or its ticket was: ``opened``); ``ended``: a session past its timeout, ended in this transaction;
    ``transcript``: as read; ``opened``: a new session whose ticket this transaction opened too (``OpenThrough``)."""

    session: state.HitlSession | None
    start: Claimed | None = None
    ended: state.HitlSession | None = None
    transcript: tuple[TranscriptLine, ...] | None = None
    opened: bool = False


class HitlActions:
    def __init__(self, plugin: HitlPlugin) -> None:
        self._plugin = plugin

    def __getattr__(self, name: str) -> Any:
        """Only reached for a name that does not exist: ``startHitl`` says ``start_hitl``."""
        raise unknown_attribute("actions", name, ("start_hitl", "stop_hitl"))

    @snake_case_keywords
    async def start_hitl(
        self,
        conversation_id: str,
        title: str,
        description: str | None = None,
        priority: Priority = "medium",
        user_id: str | None = None,
        user_name: str | None = None,
        user_email: str | None = None,
        configuration_overrides: Mapping[str, Any] | None = None,
    ) -> HitlStart:
        """Hand the conversation to a human: open a session and a ticket with the transcript.

        ``description`` defaults to a short summary of the conversation; the user defaults to the one the agent
        was given for this conversation. ``configuration_overrides`` may change this session's plugin settings
        (texts, timeout, close command); other keys go to the provider (ticket fields).
        """
        with telemetry.handoff(conversation_id, priority) as span:
            started = await self._start(
                conversation_id, title, description, priority, (user_id, user_name, user_email), configuration_overrides
            )
            telemetry.record_ticket(span, started.session.session_id)
            return started

    async def _start(
        self,
        conversation_id: str,
        title: str,
        description: str | None,
        priority: Priority,
        who: tuple[str | None, str | None, str | None],
        configuration_overrides: Mapping[str, Any] | None,
    ) -> HitlStart:
        plugin = self._plugin
        escalation = await self._escalation(conversation_id, title, description, priority, who, configuration_overrides)
        # A server may limit handoffs (``context.scope(admit_escalation=...)``: an async callable that raises when
        # over its quota), asked only when a new session would open: a repeated handoff costs nothing. Without one,
        # the session opens in the first transaction; with one, that transaction only looks, and a second opens,
        # unless the turn found no open session as it stored the user's message (then it is asked first, and the
        # session opens in one transaction; one opened meanwhile by code outside the turn is still found there).
        admit = context.get("admit_escalation", None)
        seen = plugin.none_open_seen(conversation_id)
        if admit is not None and seen is not None:
            await admit(conversation_id)
            admit = None
        opened = await self._open(escalation, None, admitted=admit is None, seen=seen)
        if opened.session is None and admit is not None:
            await admit(conversation_id)
            opened = await self._open(escalation, opened.transcript, admitted=True)
        assert opened.session is not None
        plugin.note_open(conversation_id, opened.session)  # the next messages go to the person: with the turn's message
        if opened.opened:  # its ticket too, in that transaction: nothing to send
            plugin.wake(outbox=False, timeouts=opened.session.timeout_at is not None)
            return HitlStart("opened", opened.session)
        if opened.start is None:
            return HitlStart("already_escalated", opened.session)
        # Inline, this call sends the row; waking the background deliverer would only race it for the row. The
        # timeouts' pass need not look again for a session that has no timeout (two transactions, per handoff).
        plugin.wake(outbox=not plugin.deliver_inline, timeouts=opened.session.timeout_at is not None)
        if not plugin.deliver_inline:
            return HitlStart("queued", opened.session)
        started = await self._deliver_start(opened.start)
        plugin.note_open(conversation_id, started.session)  # delivered: with its helpdesk id now
        return started

    async def _open(
        self,
        escalation: _Escalation,
        transcript: tuple[TranscriptLine, ...] | None,
        *,
        admitted: bool,
        seen: _NoneOpen | None = None,
    ) -> _Opened:
        plugin = self._plugin
        lease = plugin.delivery.claim_seconds if plugin.deliver_inline else None
        through = plugin.open_through() if lease is not None else None  # inline only, as a relayed message
        if through is not None and admitted and seen is not None:
            opened_as_seen = await self._open_as_seen(escalation, seen.latest, through)
            if opened_as_seen is not None:
                return opened_as_seen

        def open_(connection: Connection, posts: list[Post]) -> Callable[[], _Opened]:
            return _open(connection, posts, plugin.alias, plugin.host, escalation, transcript, admitted, lease,
                         through)  # fmt: skip

        opened = (await plugin.host.transact(open_))()
        if opened.ended is not None:  # its ticket is closed (or its unsent start dropped) through the outbox
            ended = opened.ended
            await plugin.deliverer.drain(ended.row_id, due_only=True, conversation_id=ended.conversation_id)
        return opened

    async def _open_as_seen(
        self, escalation: _Escalation, latest: state.HitlSession | None, through: OpenThrough
    ) -> _Opened | None:
        """The session and its ticket opened as the turn saw the conversation when it stored the user's message:
        ``latest`` its latest session (none open), and the transcript it read then (``transcript_of_turn``), with
        nothing read in this transaction (on PostgreSQL, no round trip before its COMMIT). If either has changed
        since (another session opened, by this process or another: the session's number is taken; a message shown
        meanwhile: the transcript is stale), the transaction fails whole and nothing is written; None then, as
        when the turn has no transcript: ``_open`` reads them in a transaction of its own, as before."""
        plugin, conversation_id = self._plugin, escalation.conversation_id
        read = plugin.host.transcript_of_turn(conversation_id)
        if read is None:
            return None
        transcript, unchanged = tuple(read[0]), read[1]

        def open_(connection: Connection, posts: list[Post]) -> Callable[[], _Opened]:
            connection.lock_conversation(conversation_id)  # first: another open of the conversation waits here
            created = _create_with_ticket(connection, posts, plugin.alias, escalation, transcript, latest, through,
                                          unchanged)  # fmt: skip
            return lambda: _Opened(created(), None, None, transcript, opened=True)

        try:
            return (await plugin.host.transact(open_))()
        except plugin.host.database.errors:
            return None

    @snake_case_keywords
    async def stop_hitl(self, conversation_id: str, reason: str = "stopped by the bot") -> bool:
        """End the conversation's open session from the bot's side; False if none was open."""
        plugin = self._plugin
        session = await plugin.session(conversation_id)
        if session is None or not session.is_open:
            return False
        ended = await plugin.host.transact(lambda c, posts: _stop(c, posts, session, reason))
        if ended:
            plugin.note_ended(conversation_id)
            await plugin.deliverer.drain(session.row_id, due_only=True, conversation_id=conversation_id)
        return ended

    async def _escalation(
        self,
        conversation_id: str,
        title: str,
        description: str | None,
        priority: Priority,
        who: tuple[str | None, str | None, str | None],
        overrides: Mapping[str, Any] | None,
    ) -> _Escalation:
        if priority not in _PRIORITIES:
            raise UserError(f"priority must be one of {', '.join(_PRIORITIES)}, not {priority!r}")
        if not title or not title.strip():
            raise UserError("start_hitl needs a title (the reason for the handoff); it becomes the ticket's subject")
        config, provider_overrides = split_overrides(self._plugin.config, overrides)
        check_provider_overrides(self._plugin.provider, provider_overrides)  # a typo must not pass silently
        user = await self._user(conversation_id, *who)
        config_json = self._plugin._config_json() if config is self._plugin.config else None
        return _Escalation(conversation_id, title.strip(), description, priority, user, config, provider_overrides,
                           config_json)  # fmt: skip

    async def _user(self, conversation_id: str, user_id: str | None, name: str | None, email: str | None) -> User:
        """The given fields, completed from the user the agent knows for this conversation."""
        known: Mapping[str, Any] | None = None
        conversation = context.get("conversation", None)
        if conversation is not None and getattr(conversation, "id", None) == conversation_id:
            known = getattr(conversation, "user", None)
        if known is None:
            known = await self._plugin.host.user_of(conversation_id)
        known = known or {}
        return User(
            user_id or known.get("id") or f"conversation:{conversation_id}",
            name or known.get("name"),
            email or known.get("email"),
        )

    async def _deliver_start(self, start: Claimed) -> HitlStart:
        plugin = self._plugin
        row, session, _ = start
        delivery = await plugin.deliverer.deliver(session.row_id, row.id, session.conversation_id, claimed=start)
        if delivery.status == "failed":
            raise ProviderError(
                f"{plugin.provider_or_fail.name}: the helpdesk refused the escalation: {delivery.error}",
                retryable=False,
                provider=plugin.provider_or_fail.name,
            )
        current = delivery.session or session
        if delivery.status == "pending":
            current = await plugin.host.transact(lambda c, posts: _tell_delayed(c, posts, session))
        return HitlStart("opened" if delivery.status == "done" else "queued", current)


def _open(
    connection: Connection,
    posts: list[Post],
    plugin: str,
    host: HitlHost,
    escalation: _Escalation,
    transcript: tuple[TranscriptLine, ...] | None,
    admitted: bool,
    lease: float | None,
    through: OpenThrough | None = None,
) -> Callable[[], _Opened]:
    """The open session, or a new one and its ``start`` outbox row (claimed for ``lease`` seconds when given: the
    caller sends it), in one transaction; a session past its timeout must not block a new one: it ends here. Not
    ``admitted``: nothing opens, the transcript is read for the transaction that will open it. Call the result once
    the transaction has ended.

    On PostgreSQL one round trip before the COMMIT: the latest session and the transcript are read together (the
    transcript for nothing when a session is open already, the rare repeated handoff), and the new rows' keys are
    read at commit. ``through``: the ticket is opened in this transaction too (``_create``)."""
    conversation_id = escalation.conversation_id
    latest_later = state.latest_session_locked_later(connection, plugin, conversation_id)
    if transcript is None:
        transcript = tuple(host.transcript(connection, conversation_id))  # sent with the session's read
    latest, ended = latest_later(), None
    existing = latest if latest is not None and latest.is_open else None
    if existing is not None and state.timed_out(existing, time.time()):
        config = existing.config
        end_session(connection, posts, existing, "timeout", config.agent_assigned_timeout_message,
                    close_reason(config, "timeout"))  # fmt: skip
        existing, ended = None, existing
    if existing is not None:
        found = _Opened(existing, ended=ended)
        return lambda: found
    if not admitted:
        looked = _Opened(None, ended=ended, transcript=transcript)
        return lambda: looked
    if through is not None:
        with_ticket = _create_with_ticket(connection, posts, plugin, escalation, transcript, latest, through)
        return lambda: _Opened(with_ticket(), None, ended, transcript, opened=True)
    created = _create(connection, posts, plugin, escalation, transcript, lease, latest)

    def opened() -> _Opened:
        session, start = created()
        return _Opened(session, start, ended, transcript)

    return opened


def _create(
    connection: Connection,
    posts: list[Post],
    plugin: str,
    escalation: _Escalation,
    transcript: tuple[TranscriptLine, ...],
    lease: float | None,
    after: state.HitlSession | None,
) -> Callable[[], tuple[state.HitlSession, Claimed]]:
    """The session and its start row, both keys read at commit (call the result once the transaction has ended).
    Not inline, the user is told at once (saved is as good as sent: the background deliverer sends it)."""
    now = time.time()
    notice = None if lease is not None else "handoff"
    number = (after.escalation if after else 0) + 1
    session_later = state.create_session(
        connection, plugin, escalation.conversation_id, after=number - 1, title=escalation.title,
        priority=escalation.priority, user=escalation.user, config=escalation.config, now=now,
        config_json=escalation.config_json, notice=notice,
    )  # fmt: skip
    request = _request(escalation, transcript, number)
    payload, token = request_to_json(request), outbox.new_claim_token()
    claim = (token, now + lease) if lease is not None else None
    # Sent inline: marked as maybe sent here (no transaction of its own before the call, see ``_delivery``).
    row_later = outbox.enqueue_start_at_commit(
        connection, plugin, (escalation.conversation_id, number), payload, now, claim=claim
    )
    started = SessionEvent("hitl_started", escalation.conversation_id, plugin)
    posts.append(Post(escalation.conversation_id, None, event=started))  # no text: for bot code only
    if notice is not None:
        posts.append(Post(escalation.conversation_id, escalation.config.on_hitl_handoff_message))

    def created() -> tuple[state.HitlSession, Claimed]:
        session = session_later()
        row = outbox.OutboxRow(row_later(), session.row_id, "start", payload, 0, sending=claim is not None)
        return session, (row, session, token)

    return created


def _create_with_ticket(
    connection: Connection,
    posts: list[Post],
    plugin: str,
    escalation: _Escalation,
    transcript: tuple[TranscriptLine, ...],
    after: state.HitlSession | None,
    through: OpenThrough,
    unchanged: tuple[str, tuple[object, ...]] | None = None,
) -> Callable[[], state.HitlSession]:
    """``_create`` for a helpdesk whose tables are in the agent's database: its ticket is written here, before the
    session (with its key: an earlier ticket of this escalation is kept, one ticket per escalation), and the session
    is created with the ticket's id, the user told at once. No start row: nothing is left to send, and no helpdesk
    event can come for the ticket before the session knows it (both commit together), so none waits for it. The
    session, with the ticket's id, comes back at commit (call the result once the transaction has ended).
    ``unchanged``: a condition in SQL and its parameters that must hold, or the session's INSERT fails and the
    transaction with it (``state.create_session``'s ``require``)."""
    now = time.time()
    number = (after.escalation if after else 0) + 1
    request = _request(escalation, transcript, number)
    committed, ticket_id = through(connection, request)
    session_later = state.create_session(
        connection, plugin, escalation.conversation_id, after=number - 1, title=escalation.title,
        priority=escalation.priority, user=escalation.user, config=escalation.config, now=now,
        config_json=escalation.config_json, notice="handoff", session_id=ticket_id, require=unchanged,
    )  # fmt: skip
    started = SessionEvent("hitl_started", escalation.conversation_id, plugin)
    posts.append(Post(escalation.conversation_id, None, event=started))  # no text: for bot code only
    posts.append(Post(escalation.conversation_id, escalation.config.on_hitl_handoff_message))

    def created() -> state.HitlSession:
        committed()
        return session_later()

    return created


def _request(escalation: _Escalation, transcript: tuple[TranscriptLine, ...], number: int) -> EscalationRequest:
    description = escalation.description or summarize(escalation.title, escalation.priority, transcript)
    return EscalationRequest(
        escalation.conversation_id, escalation.title, description, escalation.priority, escalation.user,
        transcript, state.idempotency_key(escalation.conversation_id, number), escalation.provider_overrides,
    )  # fmt: skip


def _tell_delayed(connection: Connection, posts: list[Post], session: state.HitlSession) -> state.HitlSession:
    current = state.session_by_row(connection, session.row_id, session.conversation_id)
    if not current.is_open or current.notice is not None:
        return current
    state.set_notice(connection, session.row_id, "delayed")
    posts.append(Post(session.conversation_id, session.config.delivery_delayed_message))
    return replace(current, notice="delayed")


def _stop(connection: Connection, posts: list[Post], session: state.HitlSession, reason: str) -> bool:
    current = state.session_by_row(connection, session.row_id, session.conversation_id)
    if not current.is_open:
        return False
    return end_session(connection, posts, current, "stopped", current.config.session_stopped_message, reason)
