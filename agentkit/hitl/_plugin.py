"""``HitlPlugin``: the human-in-the-loop lifecycle on top of any ``HitlProvider``.

Plug it into an agent (``Agent(plugins={"desk-hitl": DeskHitl(path)})``) and call
``plugins["desk-hitl"].actions.start_hitl(...)`` (or give the model ``hand_to_support()``). While a session is
pending or assigned, the agent hands every user message to ``intercept``: it goes to the human agent, and the
model is not called. Helpdesk events (pushed by the local desk, or posted to ``handle_webhook``) bring the human
agent's messages back. The session ends when the agent closes it, the user sends the close command, nobody takes
it in time, the bot stops it, or the helpdesk refuses it; then the bot has the conversation again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from contextvars import ContextVar
from typing import Any, Literal

from .. import context, telemetry
from ..exceptions import ConfigError
from ..storage import Connection
from . import _outbox as outbox
from . import _state
from ._actions import HitlActions, OpenThrough
from ._config import DeliveryConfig, SessionConfig, split_config
from ._delivery import Claimed, Deliverer
from ._host import HitlHost, Post
from ._lease import claim_to_the_end, claims_end
from ._lifecycle import (
    EventOutcome,
    Held,
    apply_early_events,
    apply_event,
    close_reason,
    end_session,
    enqueue_user_message,
)
from ._migrations import HITL_MIGRATIONS
from ._outbox import OutboxEntry, OutboxRow
from ._outbox import entries as outbox_entries
from ._provider import HitlEvent, HitlProvider, WebhookRejected
from ._rejections import RejectionLog
from ._relay import Queued, Relayed, Taken, Through, WriteThrough, queue_at_commit

__all__ = ["HitlPlugin"]

logger = logging.getLogger("agentkit.hitl")

_MIN_SLEEP = 0.05
_FIRST_RECHECK = 0.01  # an event waiting for its start looks again after this, then twice as long each time...
_LAST_RECHECK = 0.25  # ...up to this
_MAY_RELAY_MAX = 10_000


class _NotRead(enum.Enum):
    NOT_READ = "not read"


NOT_READ = _NotRead.NOT_READ
"""``intercept`` was given nothing read beforehand: it reads the session itself."""


class HitlPlugin:
    """Human in the loop through ``provider``; ``config`` takes the settings of ``SessionConfig`` (texts, timeout,
    close command, with the Botpress defaults) and ``DeliveryConfig`` (retries, intervals). With
    ``deliver_inline=False`` escalations and relayed messages are only written to the outbox and sent by the
    background deliverer."""

    def __init__(self, provider: HitlProvider | None, *, deliver_inline: bool = True, **config: Any) -> None:
        self.provider = provider
        self.deliver_inline = deliver_inline
        self.config: SessionConfig
        self.delivery: DeliveryConfig
        self.config, self.delivery = split_config(config)
        self.actions = HitlActions(self)
        self.alias = ""
        self._host: HitlHost | None = None
        self._deliverer: Deliverer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake_outbox = asyncio.Event()
        self._wake_timeouts = asyncio.Event()
        self._rejections = RejectionLog()
        self._config_json_of: tuple[SessionConfig, str] | None = None
        self._may_relay: dict[str, Through | None] = {}  # conversations seen with an open session: ``note_open``
        self._early_events_due = True  # the background pass looks for kept events: at its first pass, when told...
        self._early_events_looked_at = 0.0  # ...and every ``redeliver_interval`` (time.monotonic())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={getattr(self.provider, 'name', None)!r}, alias={self.alias!r})"

    # -- the agent's side --

    def bind(self, host: HitlHost, alias: str) -> None:
        """Called by the agent when it is built; a plugin that cannot work fails here, naming its alias."""
        if self._host is not None and self._host is not host:
            raise ConfigError(
                f"plugin {alias!r}: this {type(self).__name__} is already plugged into agent "
                f"{self._host.name!r}; build one plugin per agent"
            )
        if not isinstance(self.provider, HitlProvider):
            raise ConfigError(
                f"plugin {alias!r}: {type(self).__name__} needs a HITL provider (LocalDeskProvider, "
                f"ZendeskProvider, ...; see agentkit.hitl), got {self.provider!r}"
            )
        self._host, self.alias = host, alias
        self._deliverer = Deliverer(host, alias, self.provider, self.delivery, lambda: self.wake(timeouts=False),
                                    on_early_events=self._early_events_kept)  # fmt: skip

    async def setup(self) -> None:
        """Create or upgrade the plugin's tables in the agent's store (its migrations; idempotent)."""
        await self.host.migrate(HITL_MIGRATIONS)

    def start(self) -> None:
        """Start the background work: the outbox deliverer and the timeout checker."""
        self._wake_outbox, self._wake_timeouts = asyncio.Event(), asyncio.Event()  # of this event loop
        self._spawn(
            self._loop(
                self._deliver_due, self._next_outbox, self._wake_outbox, self.delivery.redeliver_interval
            ),
            "outbox",
        )
        self._spawn(
            self._loop(
                self.check_timeouts, self._next_timeout, self._wake_timeouts, self.delivery.timeout_check_interval
            ),
            "timeouts",
        )
        if callable(getattr(self.provider, "subscribe", None)):
            self._spawn(self._follow_pushed_events(), "events")

    async def aclose(self) -> None:
        """Stop the background work (a delivery in flight gives its row back) and close the provider."""
        tasks, self._tasks = list(self._tasks), set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.provider is not None:
            await self.provider.aclose()

    def read_for_intercept(
        self, connection: Connection, conversation_id: str, text: str
    ) -> Callable[[], _state.HitlSession | Relayed | None]:
        """What ``intercept`` starts from, in the transaction that stores the user's message, at its commit: the
        message queued for the person if the conversation's open session takes it as it is (``_relay``), else the
        conversation's latest session. The agent calls it there, and once it has committed calls the result and
        passes what that gives to ``intercept`` as ``read``."""
        latest = _state.latest_session_at_commit(connection, self.alias, conversation_id)
        queued = self._queue_at_commit(connection, conversation_id, text)  # last: it may write the helpdesk's event

        def read() -> _state.HitlSession | Relayed | None:
            session, row = latest(), queued()
            if row is None and (session is None or not session.is_open):
                self.note_ended(conversation_id)  # none open: its next messages pay nothing for one
            if row is None or session is None:
                return session
            if isinstance(row, Taken):
                return _taken(session, row)
            return _relayed(session, text, *row)

        return read

    def expects_message(self, conversation_id: str, text: str) -> bool:
        """Whether this message will most likely go to the person (the agent then reads no model history with it):
        the conversation was seen with an open session, and the text is not the close command (see ``note_open``)."""
        return conversation_id in self._may_relay and not self.config.is_close_command(text)

    async def intercept(
        self, conversation_id: str, text: str, read: _state.HitlSession | None | _NotRead = NOT_READ
    ) -> bool:
        """A user message: True if the open session took it (to the human agent), False if the bot should.
        ``read``: what ``read_for_intercept`` gave, in the transaction that stored the message (else read here)."""
        if isinstance(read, Relayed):  # queued with the message, or written through (``read_for_intercept``)
            self.note_open(conversation_id, read.session)
            if read.row is None:
                return True
            return await self._relay(read.session, (read.row, None if read.token is None else
                                                     (read.row, read.session, read.token)))  # fmt: skip
        session = await self.session(conversation_id) if isinstance(read, _NotRead) else read
        if session is not None and _state.timed_out(session, time.time()):  # before the background check saw it
            if await self._end(session, "timeout", session.config.agent_assigned_timeout_message):
                return False  # the bot answers it
            session = await self.session(conversation_id)  # a person took it meanwhile, or it ended
        if session is None or not session.is_open:
            _none_open.set(_NoneOpen(conversation_id, context.get("message", None), session))
            return False
        if session.config.is_close_command(text):
            await self._end(session, "user_closed", session.config.user_hitl_closed_message)
            return True
        self.note_open(conversation_id, session)
        relayed = await self._relay_through(session, text)
        if relayed is not None:
            return relayed
        queued = await self._enqueue(session, text)
        if queued is None:
            return False  # it ended meanwhile
        return await self._relay(session, queued)

    def none_open_seen(self, conversation_id: str) -> _NoneOpen | None:
        """What the turn handling the current message (``context.get("message")``) found if it found no open
        session of the conversation as it stored the message (``intercept``), else None: the model's handoff then
        needs no look before asking the server's admission, and knows the latest session (``latest``: ended, or
        None). Once per turn: a second handoff of the turn looks (the first may have opened one), whichever tool
        call of the turn asks first."""
        seen = _none_open.get()
        message = context.get("message", None)
        if seen is None or seen.used or message is None or seen.message is not message:
            return None
        seen.used = True  # a mutable mark: tool calls run together each have a copy of the context, not of it
        return seen if seen.conversation_id == conversation_id else None

    def wants_turn_transcript(self) -> bool:
        """Whether a handoff opens its ticket in the transaction that opens the session (``open_through``,
        inline): the turn then reads the transcript with the model's history, and the handoff need not read it
        (``HitlActions.start_hitl``)."""
        return self.deliver_inline and self.open_through() is not None

    def note_open(self, conversation_id: str, session: _state.HitlSession | None = None) -> None:
        """The conversation has an open session: its next messages are queued with the turn's first transaction
        (``read_for_intercept``). A hint only, of this process (bounded: forgotten all at once when full).
        ``session``: that session, as read; once delivered, a helpdesk that writes through (``_write_through``)
        may take the next messages in that transaction (the session is checked there)."""
        if len(self._may_relay) >= _MAY_RELAY_MAX:
            self._may_relay.clear()
        seen = None
        if session is not None and session.session_id is not None and session.is_open:
            seen = Through(session.row_id, session.session_id, session.user.name or session.user.id)
        if seen is not None or conversation_id not in self._may_relay:
            self._may_relay[conversation_id] = seen

    def note_ended(self, conversation_id: str) -> None:
        """This process ended the conversation's session: its next message goes to the bot (read with the model's
        history, ``expects_message``). A session ended elsewhere (the person, on the helpdesk) is forgotten at the
        next message, which finds none open."""
        self._may_relay.pop(conversation_id, None)

    async def _relay_through(self, session: _state.HitlSession, text: str) -> bool | None:
        """The message for the open session the turn read with it, which this process had not seen open (another
        worker opened it: ``note_open`` is each process's own hint): written to the helpdesk in one transaction,
        as the turn's first would have written it with the hint (``_queue_at_commit``), instead of queued, sent and
        marked sent in three. Anything but that plain case is queued and claimed in that transaction, and sent
        (``_relay``), as before. None: neither was done (the session ended, timed out or has settings of its own;
        or the helpdesk cannot take it so): the caller goes on as before."""
        write = self._write_through()
        message_id = _handled_message_id(session.conversation_id, text)
        if write is None or not self.deliver_inline or session.session_id is None or message_id is None:
            return None
        seen = Through(session.row_id, session.session_id, session.user.name or session.user.id)
        token = outbox.new_claim_token()
        claim = (token, time.time() + self.delivery.claim_seconds)
        key, config, conversation_id = self.host.message_key_sql(), self._config_json(), session.conversation_id

        def relay(connection: Connection, _: list[Post]) -> Callable[[], Queued | Taken | None]:
            connection.lock_conversation(conversation_id)  # first, as the transaction that stored the message
            return _once(queue_at_commit(connection, self.alias, conversation_id, text, message_key_sql=key,
                                         config_json=config, claim=claim, through=(seen, write),
                                         message_id=message_id))  # fmt: skip

        done = (await claim_to_the_end(self.host, relay, lambda settled: _claimed_queued(settled()), token))()
        if done is None:
            return None
        if isinstance(done, Taken):
            _taken(session, done)
            return True
        relayed = _relayed(session, text, *done)
        assert relayed.row is not None
        claimed = None if relayed.token is None else (relayed.row, session, relayed.token)
        return await self._relay(session, (relayed.row, claimed))

    async def _relay(self, session: _state.HitlSession, queued: _Queued) -> bool:
        """Send the queued message (inline; else wake the background deliverer); False when the bot should answer
        it: a refused message ended the session and the user was told."""
        if not self.deliver_inline:
            self.wake(timeouts=False)
            return True
        row, claimed = queued
        conversation_id = session.conversation_id
        delivery = await self.deliverer.deliver(row.session_row, row.id, conversation_id, claimed=claimed)
        if delivery.status == "pending":
            await self.host.transact(
                lambda _, posts: posts.append(Post(conversation_id, session.config.delivery_delayed_message))
            )
        return delivery.status != "failed"

    def _queue_at_commit(
        self, connection: Connection, conversation_id: str, text: str
    ) -> Callable[[], Queued | Taken | None]:
        """``_relay.queue_at_commit``, unless ``text`` is the close command (``intercept`` ends the session), or no
        session of the conversation was seen open by this process (a message to the bot pays no statement for it;
        one that should have gone is queued by ``intercept``, as before). Written through to the helpdesk when it
        can be (``_write_through``) and the session was seen delivered."""
        if not self.expects_message(conversation_id, text):
            return lambda: None
        lease = self.delivery.claim_seconds
        claim = (outbox.new_claim_token(), time.time() + lease) if self.deliver_inline else None
        key, config = self.host.message_key_sql(), self._config_json()
        write, seen = self._write_through(), self._may_relay.get(conversation_id)
        through = (seen, write) if write is not None and seen is not None else None
        return queue_at_commit(connection, self.alias, conversation_id, text, message_key_sql=key,
                               config_json=config, claim=claim, through=through)  # fmt: skip

    def open_through(self) -> OpenThrough | None:
        """The helpdesk's ticket opened in the transaction that opens the session, when its tables are in the
        agent's database (``HitlActions.start_hitl``); None here: a helpdesk is called through the outbox."""
        return None

    def _write_through(self) -> WriteThrough | None:
        """The helpdesk's write of a user's message in the agent's own transaction, when its tables are in the
        agent's database (``_relay``); None here: a helpdesk is called through the outbox."""
        return None

    def _config_json(self) -> str:
        """The plugin's settings as a session without overrides stores them (``_state.create_session``)."""
        if self._config_json_of is None or self._config_json_of[0] is not self.config:
            self._config_json_of = (self.config, json.dumps(self.config.to_json()))
        return self._config_json_of[1]

    async def _enqueue(self, read: _state.HitlSession, text: str) -> _Queued | None:
        """The message queued for the conversation's open session (None: none is open any more); inline, claimed
        in that same transaction when it can be sent at once. ``read``: the open session as the turn read it."""
        message_id = _handled_message_id(read.conversation_id, text)
        lease = self.delivery.claim_seconds if self.deliver_inline else None
        token = outbox.new_claim_token()

        def enqueue(connection: Connection, _: list[Post]) -> _Queued | None:
            return _enqueue_if_open(connection, read, text, message_id, lease, token)

        return await claim_to_the_end(self.host, enqueue, _claimed_row, token)

    # -- the helpdesk's side --

    async def handle_event(self, event: HitlEvent, *, pushed: bool = False) -> EventOutcome:
        """Apply one helpdesk event, at most once per ``event_id``. ``pushed``: it came from a subscription, whose
        position is remembered so that a restart resumes there.

        An event can come before its session's helpdesk id is recorded: the helpdesk (a rule, an auto-reply) acted
        on the ticket while its start was still being completed, here or in another worker, or while its start
        waits for another try (its call timed out after the helpdesk opened the ticket). So an event for a session
        not known yet waits while the starts that were on their way when it came (sent, not completed) are still
        being sent or completed, and is applied once they have: a pushed one holds the subscription (its position
        does not move past it, and the events after it wait, in order), at most ``inline_delivery_seconds +
        claim_seconds``; another one ``webhook_wait_seconds``. An event whose start will not complete by then, or
        waits for another try, is ``kept``: in the store, for whichever worker completes that start to apply, in
        the order they came and before the ticket's later events (``apply_early_events``); the feed goes on. If
        that start fails for good, its kept events are dropped, as those of an ended session are. An event whose
        session is unknown while no start is on its way is ``unknown_session`` at once: ignored, and not recorded
        (a retry can still apply it)."""
        hold = Held()
        outcome, waits = await self._apply_event(event, pushed, hold)
        if outcome == "session_starting":
            outcome, waits = await self._apply_once_started(event, pushed, hold)
        if outcome == "kept":  # its start may have completed as it was kept, and not seen it: look once more
            waits += (await self._apply_early_events(event.session_id))[1]
        _count_assigned(waits)
        if outcome == "unknown_session":
            logger.info(
                "HITL %s: event %s for unknown session %r ignored", self.alias, event.event_id, event.session_id
            )
        return outcome

    async def _apply_event(
        self, event: HitlEvent, pushed: bool, hold: Held | None
    ) -> tuple[EventOutcome, list[float]]:
        return await self.host.transact(lambda c, posts: _apply(c, posts, self.alias, event, pushed, hold))

    async def _apply_once_started(
        self, event: HitlEvent, pushed: bool, hold: Held
    ) -> tuple[EventOutcome, list[float]]:
        """``handle_event`` for an event whose start may be on its way: tried again, more and more seldom, until
        the starts that were on their way when it was first seen have completed or stopped being sent (a failed
        call, a dead deliverer's claim run out). A pushed event waits at most ``inline_delivery_seconds +
        claim_seconds`` (a turn's start is completed within that, or let go), another one ``webhook_wait_seconds``;
        then it is kept if a start that may be its is still on its way (the feed goes on, the webhook is answered)."""
        delivery = self.delivery
        limit = delivery.inline_delivery_seconds + delivery.claim_seconds if pushed else delivery.webhook_wait_seconds
        until, pause = time.monotonic() + limit, _FIRST_RECHECK
        logger.debug("HITL %s: event %s waits for a start on its way", self.alias, event.event_id)
        while (left := until - time.monotonic()) > 0:
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, _LAST_RECHECK)
            outcome, waits = await self._apply_event(event, pushed, hold)
            if outcome != "session_starting":
                return outcome, waits
        logger.info("HITL %s: event %s for session %r waited %.1f s for the starts on their way, which have not "
                    "completed: kept until they do", self.alias, event.event_id, event.session_id, limit)  # fmt: skip
        hold.may_wait = False
        return await self._apply_event(event, pushed, hold)

    async def handle_webhook(self, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> int:
        """Verify and apply a helpdesk webhook; returns the HTTP status to answer it with.

        200: applied. 202: accepted but changed nothing now: a replay, an unknown session, a session that ended, or
        an event kept to be applied once its session's start completes (see ``handle_event``); the helpdesk need
        not send it again.
        4xx: rejected by the provider's checks (signature, timestamp window, size, body); nothing changed.
        """
        try:
            events = self.provider_or_fail.verify_webhook(headers, body, now=now)
        except WebhookRejected as rejected:
            self._rejections.note(self.alias, rejected)
            return rejected.status
        outcomes = [await self.handle_event(event) for event in events]
        return 200 if "applied" in outcomes else 202

    async def apply_early_events(self) -> int:
        """Apply the events kept for sessions whose start has completed since (``handle_event``), in the order they
        came; drop those no start on its way may take any more (all that were when they came have completed with
        another ticket, or failed for good: as for an ended session, the bot has the conversation back). How many
        were applied. The background pass does this when a start completed here has events kept for its ticket,
        and every ``redeliver_interval`` in every worker, so events kept by a worker that stopped since, or as
        another worker completed their start, are not lost either."""
        remote_ids = await self.host.transact(lambda c, _: _state.early_remote_ids(c, self.alias))
        applied, waits = 0, list[float]()
        for remote_id in (remote_id for remote_id, known in remote_ids if known):  # one transaction each: one lock
            count, assigned = await self._apply_early_events(remote_id)
            applied, waits = applied + count, waits + assigned
        if not all(known for _, known in remote_ids):
            dropped = await self.host.transact(lambda c, _: _state.drop_orphan_early_events(c, self.alias))
            if dropped:
                logger.info("HITL %s: %s kept events dropped: their ticket is none of the starts that were on their "
                            "way when they came", self.alias, dropped)  # fmt: skip
        _count_assigned(waits)
        return applied

    async def _apply_early_events(self, remote_id: str) -> tuple[int, list[float]]:
        """``apply_early_events`` for one helpdesk id, in one transaction: how many, and the assignments' waits."""

        def apply(connection: Connection, posts: list[Post]) -> tuple[int, list[float]]:
            waits: list[float] = []  # made by each run: a run rolled back leaves nothing in the next one's
            return apply_early_events(connection, posts, self.alias, remote_id, waits), waits

        return await self.host.transact(apply)

    # -- sessions --

    async def session(self, conversation_id: str) -> _state.HitlSession | None:
        """The conversation's latest session (open or ended), or None if it was never escalated."""
        return await self.host.transact(lambda c, _: _state.latest_session(c, self.alias, conversation_id))

    async def state(self, conversation_id: str) -> Literal["none", "pending", "assigned", "ended"]:
        session = await self.session(conversation_id)
        return "none" if session is None else session.state

    async def check_timeouts(self, conversation_id: str | None = None) -> int:
        """End the pending sessions nobody took within ``agent_assigned_timeout_seconds``; how many ended. With
        ``conversation_id``, only that conversation's (its open session is its latest: no scan of the others)."""
        if conversation_id is None:
            due = await self.host.transact(lambda c, _: _state.due_timeouts(c, self.alias, time.time()))
        else:
            latest = await self.session(conversation_id)
            due = [latest] if latest is not None and _state.timed_out(latest, time.time()) else []
        ended = 0
        for session in due:
            ended += await self._end(session, "timeout", session.config.agent_assigned_timeout_message)
        return ended

    async def redeliver(self) -> int:
        """Send every queued outbox row now, backoff or not; the number of rows sent. A row claimed by a deliverer
        that stopped renewing its claim (a process that died) is sent once the claim runs out, within
        ``claim_seconds``; a row a live deliverer is sending is left to it. Then the events kept for the starts it
        completed are applied (``apply_early_events``)."""
        started = time.time()  # a claim live then made the first pass leave its row, even if it ran out since
        sent = await self.deliverer.deliver_due(force=True)
        until = await self.host.transact(lambda c, _: claims_end(c, self.alias, started))
        if until is not None:
            await asyncio.sleep(max(0.0, min(until - time.time(), self.delivery.claim_seconds)) + _MIN_SLEEP)
            sent += await self.deliverer.deliver_due(force=True)
        await self.apply_early_events()
        return sent

    async def outbox(self, *statuses: str) -> list[OutboxEntry]:
        """This plugin's outbox rows in ``statuses`` (default: the dead letters), newest first."""
        wanted = statuses or ("dead",)
        return await self.host.transact(lambda c, _: outbox_entries(c, self.alias, wanted))

    async def _end(self, session: _state.HitlSession, reason: _state.EndReason, text: str | None) -> bool:
        told = close_reason(session.config, reason)
        ended = await self.host.transact(lambda c, posts: _end_if_open(c, posts, session, reason, text, told))
        if ended:
            self.note_ended(session.conversation_id)
            await self.deliverer.drain(session.row_id, due_only=True, conversation_id=session.conversation_id)
        return ended

    # -- plumbing --

    @property
    def is_bound(self) -> bool:
        return self._host is not None

    def copy(self) -> HitlPlugin:
        """A new, unbound ``HitlPlugin`` on the same provider with the same settings (``redeliver`` uses it to
        send through a bot's plugins without its agent)."""
        settings = {**dataclasses.asdict(self.config), **dataclasses.asdict(self.delivery)}
        return HitlPlugin(self.provider, deliver_inline=self.deliver_inline, **settings)

    @property
    def host(self) -> HitlHost:
        if self._host is None:
            raise ConfigError(f"{type(self).__name__} is not plugged into an agent; pass it in Agent(plugins={{...}})")
        return self._host

    @property
    def deliverer(self) -> Deliverer:
        if self._deliverer is None:
            raise ConfigError(f"{type(self).__name__} is not plugged into an agent; pass it in Agent(plugins={{...}})")
        return self._deliverer

    @property
    def provider_or_fail(self) -> HitlProvider:
        if self.provider is None:
            raise ConfigError(f"plugin {self.alias!r} has no HITL provider")
        return self.provider

    def wake(self, *, outbox: bool = True, timeouts: bool = True) -> None:
        """Tell the background work to look again: a row is queued for later (``outbox``), or a session is open
        whose timeout may come before the one it sleeps until (``timeouts``)."""
        if outbox:
            self._wake_outbox.set()
        if timeouts:
            self._wake_timeouts.set()

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"agentkit-hitl-{self.alias}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _loop(
        self,
        work: Callable[[], Awaitable[int]],
        next_at: Callable[[], Awaitable[float | None]],
        wake: asyncio.Event,
        interval: float,
    ) -> None:
        """Do ``work``, then sleep until the next due time (at most ``interval``) or until woken; forever."""
        while True:
            wake.clear()
            try:
                await work()
                due = await next_at()
            except Exception:
                logger.exception("HITL %s: background pass failed; trying again in %.0f s", self.alias, interval)
                due = None
            delay = interval if due is None else min(max(due - time.time(), _MIN_SLEEP), interval)
            try:
                async with asyncio.timeout(delay):
                    await wake.wait()
            except TimeoutError:
                pass

    async def _follow_pushed_events(self) -> None:
        """Subscribe to a provider that pushes its events (the local desk), from where the last run stopped."""
        cursor = await self.host.transact(lambda c, _: _state.load_cursor(c, self.alias))
        subscription = self.provider.subscribe(self._on_pushed_event, after=cursor)  # type: ignore[union-attr]
        start = getattr(subscription, "cursor", None)
        if cursor is None and isinstance(start, int):
            # The first run starts at the stream's head; remember it, or events written while the bot is down
            # before its first event would be skipped by the next run.
            await self.host.transact(lambda c, _: _state.save_cursor(c, self.alias, str(start)))
        try:
            await self._poll_pushed_events()
        finally:
            subscription.cancel()

    async def _poll_pushed_events(self) -> None:
        """Wait while subscribed; a provider whose events can also be written by another process polls here."""
        await asyncio.Event().wait()

    async def _on_pushed_event(self, event: HitlEvent) -> None:
        await self.handle_event(event, pushed=True)

    async def _deliver_due(self) -> int:
        """The background pass: the outbox's due rows; then the events kept for starts that have completed, when a
        start of this process completed with events kept for its ticket, and every ``redeliver_interval`` (those
        another worker kept as this one completed the start, or that a worker stopped before applying)."""
        sent = await self.deliverer.deliver_due()
        now = time.monotonic()
        if self._early_events_due or now - self._early_events_looked_at >= self.delivery.redeliver_interval:
            self._early_events_due, self._early_events_looked_at = False, now
            await self.apply_early_events()
        return sent

    def _early_events_kept(self) -> None:
        self._early_events_due = True
        self.wake(timeouts=False)

    async def _next_outbox(self) -> float | None:
        return await self.deliverer.next_due()

    async def _next_timeout(self) -> float | None:
        return await self.host.transact(lambda c, _: _state.next_timeout(c, self.alias))


_Queued = tuple[OutboxRow, Claimed | None]


@dataclasses.dataclass(slots=True)
class _NoneOpen:
    """What ``intercept`` found: no open session of ``conversation_id`` as ``message`` was stored; ``latest``, its
    latest session (ended), if it had one."""

    conversation_id: str
    message: object
    latest: _state.HitlSession | None = None
    used: bool = False


_none_open: ContextVar[_NoneOpen | None] = ContextVar("agentkit_hitl_none_open", default=None)


def _enqueue_if_open(
    connection: Connection,
    read: _state.HitlSession,
    text: str,
    message_id: int | None,
    lease: float | None,
    token: str,
) -> _Queued | None:
    """Inline (``lease``), the row is claimed as it is queued, for the turn to send at once (no transaction of its
    own to claim it), unless an older row of the session is still queued: rows are sent in order, so the
    deliverer claims that one first. Not inline, the user is told at once that it went to the person. ``read``: the
    session the turn read; whether it is still open, and its helpdesk id, are read again here, with the look for
    an older queued row, in one statement (the rest of a session never changes)."""
    current = _state.open_session_now(connection, read)  # the conversation's lock, first
    if current is None:
        return None
    session, has_queued = current
    if lease is None or has_queued:
        told_user = lease is None  # inline, the turn first waits to see whether the helpdesk takes it
        return enqueue_user_message(connection, session, text, told_user=told_user, message_id=message_id), None
    row = enqueue_user_message(connection, session, text, message_id=message_id, claim=(token, time.time() + lease))
    return row, (row, session, token)


def _taken(session: _state.HitlSession, taken: Taken) -> Relayed:
    if session.row_id != taken.session_row:  # the session it went to is open, hence the latest: this cannot be
        raise AssertionError(f"a message went to session row {taken.session_row}, not to {session.row_id}")
    return Relayed(session, None, None)


def _relayed(session: _state.HitlSession, text: str, row_id: int, session_row: int, token: str | None) -> Relayed:
    if session.row_id != session_row:  # the open session is the latest one: this cannot be, the row must not wait
        raise AssertionError(f"outbox row {row_id} was queued for session row {session_row}, not {session.row_id}")
    payload = {"text": text}  # what ``Deliverer._call`` reads of a message's payload (the stored one has its id too)
    return Relayed(session, OutboxRow(row_id, session_row, "message", payload, 0), token)


def _once(settled: Callable[[], Queued | Taken | None]) -> Callable[[], Queued | Taken | None]:
    """``settled``, read once however often it is called."""
    kept: list[Queued | Taken | None] = []

    def read() -> Queued | Taken | None:
        if not kept:
            kept.append(settled())
        return kept[0]

    return read


def _claimed_queued(done: Queued | Taken | None) -> int | None:
    return done[0] if isinstance(done, tuple) and done[2] is not None else None


def _claimed_row(queued: _Queued | None) -> int | None:
    return queued[0].id if queued is not None and queued[1] is not None else None


def _handled_message_id(conversation_id: str, text: str) -> int | None:
    """The id of the stored user message the agent's turn is handling (``context.get("message")``), if it is this
    one: kept with the outbox row, so that a message given back is found exactly, not by its text."""
    message = context.get("message", None)
    if getattr(message, "conversation_id", None) == conversation_id and getattr(message, "text", None) == text:
        return getattr(message, "id", None)
    return None


def _end_if_open(
    connection: Any,
    posts: list[Post],
    session: _state.HitlSession,
    reason: _state.EndReason,
    text: str | None,
    told: str,
) -> bool:
    current = _state.session_by_row(connection, session.row_id, session.conversation_id)
    if not current.is_open or (reason == "timeout" and current.state != "pending"):
        return False  # it ended, or an agent took it, since it was read
    return end_session(connection, posts, current, reason, text, told)


def _count_assigned(waits: list[float]) -> None:
    for seconds in waits:  # counted once committed, not in the transaction: it may be run twice
        telemetry.emit("assigned", seconds=seconds)


def _apply(
    connection: Any, posts: list[Post], plugin: str, event: HitlEvent, pushed: bool, hold: Held | None
) -> tuple[EventOutcome, list[float]]:
    waits: list[float] = []  # made by each run: a run rolled back leaves nothing in the next one's
    outcome = apply_event(connection, posts, plugin, event, waits, hold=hold)
    if pushed and outcome != "session_starting":  # the position stays before an event that waits for its start
        _state.save_cursor(connection, plugin, event.event_id)
    return outcome, waits

