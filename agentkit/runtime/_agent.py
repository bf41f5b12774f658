"""``Agent``: a model, a conversation handler, plugins and a store; ``receive`` is what every channel calls.

```python
agent = Agent("support", "offline", plugins={"desk-hitl": DeskHitl("desk.sqlite3")}, store="sqlite:///bot.db")
async with agent:
    replies = await agent.receive("conv-1", "I want to talk to a person", user={"id": "u1", "name": "Jo"})
```

Each conversation's messages are handled one after the other, in arrival order. Before the handler, each plugin
may take the message (an open HITL session relays it to the human agent; the model is not called). Messages that
arrive later on their own (a human agent's reply, a timeout notice) reach the user through the store and
``agent.subscribe(conversation_id)``.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, Generic, Literal, Self, TypeVar, overload

from .. import context, telemetry
from ..exceptions import ConfigError
from ..handoff import Priority, TranscriptLine
from ..hitl import Post
from ..loop import ExecuteResult, ending_turn
from ..models import Message, Model, resolve_model
from ..prompts import render
from ..storage import Component, Connection, Database
from ..tools import Tool
from . import _messages as messages
from ._aliases import check_handler_aliases, check_tool_aliases
from ._conversation import Conversation, ConversationInfo, HandlerContext
from ._events import EventHooks, H
from ._failure import OnModelFailure, failure_policy
from ._foreign import ForeignMessages
from ._inputs import check_receive
from ._locks import ConversationLocks
from ._messages import Transcript
from ._migrations import RUNTIME_MIGRATIONS
from ._plugins import Plugin, check_plugins, default_handler, intercept_readers, message_takers, transcript_wanters
from ._store import Store
from ._streaming import TurnEvent, TurnListener, claim_turn_listener, delta_sender, run_listened
from ._streaming import receive_stream as _receive_stream
from ._subscriptions import Subscribers, Subscription
from ._window import HistoryWindow

__all__ = ["Agent"]

logger = logging.getLogger("agentkit.runtime")
T = TypeVar("T")

DEFAULT_ERROR_MESSAGE = "Sorry, something went wrong on my side. Please try again in a moment."


@dataclass
class _Turn:
    """The messages one ``receive`` call caused, in order, to return to the channel."""

    conversation_id: str
    messages: list[messages.ChatMessage] = field(default_factory=list)
    listener: TurnListener | None = None  # receive_stream's: gets the reply's pieces and the messages
    history: Callable[[], list[Message]] | None = None
    """The model's history, read in the transaction that stored the user's message (parsed when the model runs);
    dropped when the turn writes a message (``_history_changed``), so the model never sees a history older than
    its own turn."""
    read: dict[str, Any] = field(default_factory=dict)
    """What each plugin's ``read_for_intercept`` read in that transaction, by alias, for its ``intercept``."""
    transcript: Transcript | None = None
    """The conversation as the user saw it, read with the model's history when a plugin asked for it
    (``wants_turn_transcript``); dropped, as the history, when the turn writes a message."""
    at_run_end: list[_RunEndWrite[Any]] | None = None
    """While ``run_model`` runs: the plugins' writes left to the transaction that stores the run (``with_run``)."""


@dataclass(frozen=True, slots=True)
class _RunEndWrite(Generic[T]):
    write: Callable[[Connection, list[Post]], T]
    then: Callable[[T], None]


_current_turn: ContextVar[_Turn | None] = ContextVar("agentkit_turn", default=None)
_Shown = Callable[[], list[messages.ChatMessage]]
"""Messages stored in a transaction, given once it has committed (their numbers are read at commit)."""


class Agent:
    """A support bot. ``model``: a ``Model`` or a model string (None reads ``AGENTKIT_MODEL``). ``plugins``:
    ``{alias: plugin}``. ``store``: ``"sqlite:///path.db"``, ``"sqlite://:memory:"`` or, for several worker
    processes on one database, ``"postgresql://user:password@host:5432/db"``. ``instructions``: the
    system prompt of ``ctx.execute`` (default: ``render("support_assistant.j2")``). ``tools``: extra tools of the
    default handler. ``error_message``: what the user is told when the model fails (None: the error is raised).
    ``turn_timeout``: seconds one turn may take, model retries and tools included (None: no limit).
    ``on_model_failure``: ``"apologize"`` (send ``error_message``) or ``"handoff"`` (hand the conversation to a
    person through the agent's HITL plugin, with ``failure_priority``); see ``agentkit.runtime._failure``.
    ``max_history_tokens``: the model sees the latest messages that fit this many tokens (estimated), with a note
    of what was left out (None: the whole history); the store keeps everything (``agentkit.runtime._window``)."""

    def __init__(
        self,
        name: str,
        model: Model | str | None = None,
        plugins: Mapping[str, Plugin] | None = None,
        conversation: Conversation | None = None,
        store: str | Path | Store = "sqlite://:memory:",
        instructions: str | None = None,
        *,
        tools: Sequence[Tool[Any]] = (),
        error_message: str | None = DEFAULT_ERROR_MESSAGE,
        turn_timeout: float | None = 30.0,
        on_model_failure: OnModelFailure = "apologize",
        failure_priority: Priority = "high",
        max_history_tokens: int | None = 8_000,
    ) -> None:
        self.name = name
        self.model = resolve_model(model)
        self.plugins: dict[str, Plugin] = dict(plugins or {})
        self.conversation = conversation or Conversation()
        self.instructions = instructions
        self.tools = tuple(tools)
        self.error_message = error_message
        self._window = HistoryWindow(max_history_tokens)
        self.store = store if isinstance(store, Store) else Store(store)
        check_plugins(self, self.plugins, self.tools)
        self._failure = failure_policy(
            self.plugins, turn_timeout=turn_timeout, on_model_failure=on_model_failure, error_message=error_message,
            failure_priority=failure_priority,
        )  # fmt: skip
        check_handler_aliases(self.plugins, self.conversation.handler)  # a misspelt alias fails now, not mid-chat
        self._events = EventHooks()
        self._handler = self.conversation.handler or default_handler(self, self.plugins)
        self._intercept_readers = intercept_readers(self.plugins)
        self._message_takers = message_takers(self.plugins)
        self._transcript_wanters = transcript_wanters(self.plugins)
        self._locks = ConversationLocks()
        self._subscribers = Subscribers()
        self._foreign = ForeignMessages(self.store, self._subscribers)  # other workers' messages (PostgreSQL)
        self._opening = asyncio.Lock()
        self._returned: set[asyncio.Task[None]] = set()  # answers to messages the person never got
        self._ready = False
        self._started = False

    def __repr__(self) -> str:
        return f"Agent({self.name!r}, model={self.model.name!r}, plugins={sorted(self.plugins)})"

    # -- what channels call --

    async def receive(
        self, conversation_id: str, text: str, user: Mapping[str, Any] | None = None
    ) -> list[messages.ChatMessage]:
        """Handle one user message; returns the messages it caused for the user (bot reply, notices, ...).
        Starts the background work on first use (``aclose()`` stops it), as ``async with agent`` does."""
        check_receive(conversation_id, text, user)  # before anything is stored
        async with self._locks.hold(conversation_id):  # taken before any await: arrival order is kept
            await self._ensure_ready()
            try:
                async with self.store.hold(conversation_id):  # and one process at a time, on a shared PostgreSQL
                    return await self._turn(conversation_id, text, user)
            finally:
                self.start()  # after the turn, which handles what is due for this conversation itself

    def receive_stream(
        self, conversation_id: str, text: str, user: Mapping[str, Any] | None = None
    ) -> AsyncIterator[TurnEvent]:
        """``receive``, as it happens: ``ReplyDelta`` pieces of the bot's reply as the model writes them, and each
        ``ChatMessage`` the turn stored (those ``receive`` returns), in order."""
        return _receive_stream(self, conversation_id, text, user)

    async def history(self, conversation_id: str) -> list[messages.ChatMessage]:
        """The conversation as the user saw it, oldest first: user, bot, human agent and notices."""
        await self._ensure_ready()
        return await self.store.run(lambda c: messages.load_visible(c, conversation_id), write=False)

    @overload
    def subscribe(self, conversation_id: str) -> Subscription[messages.ChatMessage]: ...
    @overload
    def subscribe(self, conversation_id: str, *, deltas: Literal[True]) -> Subscription[TurnEvent]: ...
    def subscribe(self, conversation_id: str, *, deltas: bool = False) -> Subscription[Any]:
        """New messages of the conversation from now on, as an async iterator (close it when done). With
        ``deltas=True``, also the ``ReplyDelta`` pieces of bot replies while they are written."""
        subscription = self._subscribers.add(conversation_id, deltas)
        self._foreign.anchor(subscription)  # on PostgreSQL: what a reconnect of the listener missed is read again
        return subscription

    async def send(self, conversation_id: str, text: str) -> messages.ChatMessage:
        """Send ``text`` to the user as the bot, outside or inside a turn."""
        said = {"role": "assistant", "content": text}
        sent = await self._write(
            lambda c: messages.insert_message_at_commit(c, conversation_id, "bot", text, model=said)
        )
        assert sent is not None
        return sent

    def on(self, event_type: str) -> Callable[[H], H]:
        """``@agent.on("hitl_assigned")``: call the function with each ``SessionEvent`` of that type (see
        ``agentkit.hitl.SessionEvent``: ``hitl_started``, ``hitl_assigned``, ``hitl_stopped``, ``hitl_timeout``)."""
        return self._events.on(event_type)

    def plugin(self, alias: str) -> Any:
        try:
            return self.plugins[alias]
        except KeyError:
            known = ", ".join(sorted(self.plugins)) or "none"
            raise ConfigError(f"agent {self.name!r} has no plugin {alias!r}; its plugins: {known}") from None

    # -- lifecycle --

    def start(self) -> None:
        """Start the plugins' background work (outbox deliverer, timeout checker, desk events). Needs a running
        event loop; the store opens on first use."""
        if self._started:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "Agent.start() needs a running event loop: call it in async code, or use `async with agent:`"
            ) from None
        self._started = True
        for plugin in self.plugins.values():
            # In a context of its own: background tasks must not inherit the caller's turn or deadline.
            contextvars.Context().run(plugin.start)

    async def aclose(self) -> None:
        """Stop the background work, end the subscriptions, close the plugins and the store."""
        for plugin in self.plugins.values():
            await plugin.aclose()
        returned, self._returned = list(self._returned), set()
        for task in returned:
            task.cancel()
        await asyncio.gather(*returned, return_exceptions=True)
        self._started = False
        self._foreign.close()
        self._subscribers.close_all()
        await self.store.aclose()
        self._ready = False
        self._opening = asyncio.Lock()  # a lock is tied to its event loop; a later run may have another

    async def __aenter__(self) -> Self:
        await self._ensure_ready()
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- what handlers and plugins use --

    async def run_model(
        self, conversation_id: str, instructions: str | None, tools: Sequence[Tool[Any]], **options: Any
    ) -> ExecuteResult:
        """``execute`` on the stored history; the run's messages are stored and its reply is sent to the user."""
        check_tool_aliases(self.plugins, tools, read_source=False)  # cheap: the handoff tools' aliases
        history = self._read_with_turn(conversation_id)
        if history is None:
            history = await self.store.run(lambda c: messages.load_model_history(c, conversation_id), write=False)
        system = instructions if instructions is not None else self.default_instructions()
        send = delta_sender(self._turn_listener(conversation_id), self._subscribers, conversation_id)
        turn = self._own_turn(conversation_id)
        if turn is not None:
            turn.at_run_end = []
        try:
            result = await self._window.run(
                history, lambda w: run_listened(send, conversation_id, system, tools, w, self.model, **options)
            )
        except BaseException:
            if turn is not None and turn.at_run_end:  # the run failed after a tool left a write to its end
                await asyncio.shield(self._write_at_run_end(turn.at_run_end, lambda _: lambda: []))
            raise
        finally:
            later = turn.at_run_end if turn is not None else None
            if turn is not None:
                turn.at_run_end = None
        if later:
            await self._write_at_run_end(later, lambda c: messages.store_run(c, conversation_id, result))
        else:
            await self._write_many(lambda c: messages.store_run(c, conversation_id, result))
        return result

    def default_instructions(self) -> str:
        return self.instructions if self.instructions is not None else render("support_assistant.j2")

    async def transact(self, fn: Callable[[Connection, list[Post]], T]) -> T:
        """For plugins: ``fn(connection, posts)`` in one transaction; the posts are stored with it, then sent."""
        await self._ensure_ready()

        def run(connection: Connection) -> tuple[T, Callable[[], list[messages.ChatMessage]], list[Post]]:
            posts: list[Post] = []
            value = fn(connection, posts)
            return value, messages.stored_posts(connection, posts), posts

        value, sent, posts = await self.store.run(run)
        if posts:
            self._history_changed()
        self._deliver(sent())
        await self._posted(posts)
        return value

    def with_run(
        self, conversation_id: str, write: Callable[[Connection, list[Post]], T], then: Callable[[T], None]
    ) -> bool:
        """For plugins: ``write(connection, posts)`` in the transaction that stores the model run this turn is in,
        if the tool running now ends it (``agentkit.loop.ending_turn``): a write less per turn. ``then`` gets its
        value once that has committed. False (nothing done) when there is no such run: write it yourself."""
        turn = self._own_turn(conversation_id)
        if turn is None or turn.at_run_end is None or not ending_turn():
            return False
        turn.at_run_end.append(_RunEndWrite(write, then))
        return True

    @property
    def database(self) -> Database:
        """For plugins: the store's database (``HitlHost.database``)."""
        return self.store.database

    async def script(self, sql: str) -> None:
        await self.store.script(sql)

    async def migrate(self, component: Component) -> None:
        await self.store.migrate(component)

    def transcript(self, connection: Connection, conversation_id: str) -> list[TranscriptLine]:
        return [TranscriptLine(m.role, m.text, m.at) for m in messages.load_visible(connection, conversation_id)]

    def transcript_of_turn(
        self, conversation_id: str
    ) -> tuple[list[TranscriptLine], tuple[str, tuple[object, ...]]] | None:
        turn = self._own_turn(conversation_id)
        if turn is None or turn.transcript is None:
            return None
        return turn.transcript.lines(), turn.transcript.unchanged(conversation_id)

    def message_key_sql(self) -> str:
        return messages.NEWEST_KEY_SQL

    async def user_of(self, conversation_id: str) -> dict[str, Any] | None:
        await self._ensure_ready()
        return await self.store.run(lambda c: messages.load_user(c, conversation_id), write=False)

    # -- inside --

    async def _turn(
        self, conversation_id: str, text: str, user: Mapping[str, Any] | None
    ) -> list[messages.ChatMessage]:
        # One transaction stores the message and reads what the model will be given (see ``_Turn.history``) and
        # what the plugins' ``intercept`` starts from.
        first = await self.store.run(lambda c: self._first(c, conversation_id, text, user))
        message, profile, history, transcript, read = first()
        self._subscribers.publish([message])
        turn = _Turn(conversation_id, listener=claim_turn_listener(), history=history, read=read, transcript=transcript)
        await self._handle(turn, message, profile, intercept=True)
        return turn.messages

    async def _handle(
        self, turn: _Turn, message: messages.ChatMessage, profile: dict[str, Any], *, intercept: bool
    ) -> None:
        """Give the stored user ``message`` to the plugins (``intercept``) and, unless one took it, to the handler."""
        token = _current_turn.set(turn)
        try:
            info = ConversationInfo(message.conversation_id, MappingProxyType(profile))
            with context.scope(conversation=info, user=info.user, agent=self, message=message):
                if not (intercept and await self._intercepted(turn, message.text)):
                    await self._run_handler(HandlerContext(self, info, message))
        finally:
            _current_turn.reset(token)

    def _answer_later(self, conversation_id: str, text: str, message_id: int | None) -> None:
        # In a context of its own: the task must not inherit the turn or deadline of whoever committed the post.
        task = asyncio.get_running_loop().create_task(
            self._answer_returned(conversation_id, text, message_id), context=contextvars.Context()
        )
        self._returned.add(task)
        task.add_done_callback(self._returned.discard)

    async def _answer_returned(self, conversation_id: str, text: str, message_id: int | None) -> None:
        """A user message that was meant for a person and never reached them (the person closed the ticket first,
        or the helpdesk refused it): the bot answers it, in a turn of its own, as if it had just arrived."""
        async with self._locks.hold(conversation_id), self.store.hold(conversation_id):
            found = await self.store.run(
                lambda c: messages.find_user_message(c, conversation_id, text, message_id), write=False
            )
            if found is not None:
                await self._handle(_Turn(conversation_id), *found, intercept=False)

    async def _ensure_ready(self) -> None:
        if self._ready:
            return
        async with self._opening:
            if self._ready:
                return
            await self.store.open()
            try:
                await self.store.migrate(RUNTIME_MIGRATIONS)
                for plugin in self.plugins.values():
                    await plugin.setup()
            except BaseException:  # a database newer than this code, say: let go of the connections
                await self.store.aclose()
                raise
            self._foreign.start()
            self._ready = True

    def _first(
        self, connection: Connection, conversation_id: str, text: str, user: Mapping[str, Any] | None
    ) -> Callable[[], tuple[messages.ChatMessage, dict[str, Any], Callable[[], list[Message]] | None,
                            messages.Transcript | None, dict[str, Any]]]:  # fmt: skip
        """A turn's first transaction: the user's message stored, the model's history (unless a plugin expects to
        take the message; with the transcript when a plugin wants it) and the plugins' reads, all read at commit
        (call the result once it has committed): on PostgreSQL one round trip."""
        taken = any(expects(conversation_id, text) for expects in self._message_takers)
        transcript = not taken and any(wants() for wants in self._transcript_wanters)
        stored = messages.store_user_turn(
            connection, conversation_id, text, user, history=not taken, transcript=transcript
        )
        reads = {alias: read(connection, conversation_id, text) for alias, read in self._intercept_readers.items()}
        return lambda: (*stored(), {alias: read() for alias, read in reads.items()})

    async def _intercepted(self, turn: _Turn, text: str) -> bool:
        for alias, plugin in self.plugins.items():
            intercept: Callable[..., Awaitable[bool]] = plugin.intercept  # with what it read, if it has a reader
            if await intercept(turn.conversation_id, text, *([turn.read[alias]] if alias in turn.read else [])):
                return True
        return False

    async def _run_handler(self, ctx: HandlerContext) -> None:
        conversation_id = ctx.conversation.id

        async def say(text: str) -> None:
            await self._write(lambda c: messages.insert_message_at_commit(c, conversation_id, "system", text))

        with telemetry.turn(self.name, conversation_id):
            await self._failure.run_turn(self.name, conversation_id, self._handler(ctx), say)

    async def _write(
        self, fn: Callable[[Connection], Callable[[], messages.ChatMessage | None]]
    ) -> messages.ChatMessage | None:
        """``fn`` stores a message in a transaction; the message it gives once that has committed is delivered."""
        await self._ensure_ready()
        message = (await self.store.run(fn))()
        self._history_changed()
        self._deliver([message] if message is not None else [])
        return message

    async def _write_at_run_end(
        self,
        later: list[_RunEndWrite[Any]],
        store: Callable[[Connection], Callable[[], list[messages.ChatMessage]]],
    ) -> None:
        """The writes left to the run's end (``with_run``) with the run's messages: theirs first, as if each had
        committed when it was asked for (a handoff notice comes before the model's messages, as it did)."""

        def run(connection: Connection) -> tuple[list[Any], list[_Shown], list[Post], Any]:
            posts: list[Post] = []
            values: list[Any] = []
            sent: list[_Shown] = []
            for each in later:  # each write's posts stored right after it (a post's ``only_if`` sees that write)
                mine: list[Post] = []
                values.append(each.write(connection, mine))
                sent.append(messages.stored_posts(connection, mine))
                posts += mine
            return values, sent, posts, store(connection)

        values, sent, posts, stored = await self.store.run(run)
        self._history_changed()
        self._deliver([*(message for each in sent for message in each()), *stored()])
        await self._posted(posts)
        for each, value in zip(later, values, strict=True):
            each.then(value)

    async def _posted(self, posts: list[Post]) -> None:
        """What the plugins' posts ask for once they have committed: bot code's events, the messages to answer."""
        await self._events.emit(post.event for post in posts if post.event is not None)
        for post in posts:
            if post.unanswered is not None:
                self._answer_later(post.conversation_id, post.unanswered, post.unanswered_id)

    async def _write_many(self, fn: Callable[[Connection], Callable[[], list[messages.ChatMessage]]]) -> None:
        await self._ensure_ready()
        written = (await self.store.run(fn))()
        self._history_changed()
        self._deliver(written)

    def _read_with_turn(self, conversation_id: str) -> list[Message] | None:
        """The history the turn read with the user's message, once, if nothing was written since."""
        turn = _current_turn.get()
        if turn is None or turn.conversation_id != conversation_id:
            return None
        history, turn.history = turn.history, None
        return None if history is None else history()

    def _history_changed(self) -> None:
        turn = _current_turn.get()
        if turn is not None:
            turn.history = turn.transcript = None

    def _deliver(self, sent: Sequence[messages.ChatMessage]) -> None:
        """To the reply of the turn in progress (if it is this conversation's) and to the subscribers."""
        turn = _current_turn.get()
        if turn is not None:
            mine = [m for m in sent if m.conversation_id == turn.conversation_id]
            turn.messages.extend(mine)
            if turn.listener is not None:
                for message in mine:
                    turn.listener(message)
        self._subscribers.publish(sent)

    def _turn_listener(self, conversation_id: str) -> TurnListener | None:
        turn = self._own_turn(conversation_id)
        return turn.listener if turn is not None else None

    def _own_turn(self, conversation_id: str) -> _Turn | None:
        """The turn in progress, if it is this conversation's."""
        turn = _current_turn.get()
        return turn if turn is not None and turn.conversation_id == conversation_id else None
