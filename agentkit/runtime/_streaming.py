"""Bot replies shown as they are written: ``ReplyDelta`` pieces for the channels, one stored message at the end.

Two ways for a channel to get the pieces (see /work/team/STREAM.md for a channel author's guide):

- ``agent.receive_stream(conversation_id, text)``: the turn as it happens, for the channel that sent the message
  (the terminal chat): ``ReplyDelta`` pieces, then each ``ChatMessage`` the turn stored (the same ones that
  ``receive`` returns).
- ``agent.subscribe(conversation_id, deltas=True)``: every reader of a conversation (the webchat's event stream):
  the pieces of any turn of this process, and the stored messages.

The model is streamed (``execute_stream``) only while someone listens; otherwise ``execute``, as before. Either way
the reply is stored once, as one message, when the run ends; a delta is never stored.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..loop import ExecuteResult, execute, execute_stream
from ..models import Message, Model
from ..tools import Tool
from ._messages import ChatMessage
from ._subscriptions import Subscribers

if TYPE_CHECKING:
    from ._agent import Agent

__all__ = [
    "ReplyDelta",
    "TurnEvent",
    "TurnListener",
    "claim_turn_listener",
    "delta_sender",
    "receive_stream",
    "run_listened",
]


@dataclass(frozen=True, slots=True)
class ReplyDelta:
    """A piece of the bot's reply in ``conversation_id``, while it is being written. ``iteration`` counts the
    model requests of the run: a piece with a new number starts a new draft (text a model wrote beside a tool call
    is not the reply). The stored ``ChatMessage`` (role ``bot``) that follows is the reply, whole."""

    conversation_id: str
    text: str
    iteration: int = 1
    type: Literal["delta"] = "delta"


TurnEvent = ReplyDelta | ChatMessage
TurnListener = Callable[[TurnEvent], None]

_next_turn_listener: ContextVar[TurnListener | None] = ContextVar("agentkit_turn_listener", default=None)


def claim_turn_listener() -> TurnListener | None:
    """The listener ``receive_stream`` set for the turn starting now (cleared: the turn's own work inherits none)."""
    listener = _next_turn_listener.get()
    if listener is not None:
        _next_turn_listener.set(None)
    return listener


async def receive_stream(
    agent: Agent, conversation_id: str, text: str, user: Mapping[str, Any] | None
) -> AsyncIterator[TurnEvent]:
    """``agent.receive`` in a task this generator owns, its turn's events yielded as they happen."""
    queue: asyncio.Queue[TurnEvent | None] = asyncio.Queue()  # None: the turn is over
    token = _next_turn_listener.set(queue.put_nowait)
    try:
        task = asyncio.ensure_future(agent.receive(conversation_id, text, user))
    finally:
        _next_turn_listener.reset(token)
    task.add_done_callback(lambda _: queue.put_nowait(None))
    try:
        while (event := await queue.get()) is not None:
            yield event
        task.result()  # raises what the turn raised
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def delta_sender(
    listener: TurnListener | None, subscribers: Subscribers, conversation_id: str
) -> Callable[[ReplyDelta], None] | None:
    """Where the pieces of a reply in ``conversation_id`` go: the turn's listener and the subscribers who asked
    for deltas; None when nobody listens (the model is not streamed then)."""
    if listener is None and not subscribers.wants_deltas(conversation_id):
        return None

    def send(delta: ReplyDelta) -> None:
        if listener is not None:
            listener(delta)
        subscribers.publish_delta(delta)

    return send


async def run_listened(
    send: Callable[[ReplyDelta], None] | None,
    conversation_id: str,
    instructions: str,
    tools: Sequence[Tool[Any]],
    history: Sequence[Message],
    model: Model,
    **options: Any,
) -> ExecuteResult:
    """``execute``, or, when someone listens (``send``), ``execute_stream`` with each text piece sent on."""
    if send is None:
        return await execute(instructions, tools, history, model, **options)
    async for event in execute_stream(instructions, tools, history, model, **options):
        if event.type == "text_delta":
            send(ReplyDelta(conversation_id, event.text, event.iteration))
        elif event.type == "done":
            return event.result
    raise AssertionError("execute_stream ended without its done event")
