"""``agent.subscribe(conversation_id)``: new messages of one conversation, as they are stored.

A web channel streams these to the browser: the bot's replies, and above all what arrives later, on its own (a
human agent's reply, a timeout notice). The subscription is registered when ``subscribe`` is called, so nothing
stored after that call is missed; it ends when closed or when the agent closes. With ``deltas=True`` it also
gets each ``ReplyDelta`` of a bot reply being written (see ``_streaming``), before the stored message. On
PostgreSQL, messages other workers store arrive too, woken by a notification (``_foreign``), and those stored while
the notifications were down are read again once they are back. A message reaches a subscription once, whichever
way it came.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from ._messages import ChatMessage

if TYPE_CHECKING:
    from ..storage import Listening
    from ._streaming import ReplyDelta

T = TypeVar("T")

__all__ = ["Subscription", "Subscribers"]

_END = None


class Subscription(Generic[T]):
    """An async iterator of ``ChatMessage`` (and ``ReplyDelta``, if asked); also an async context manager that
    closes it."""

    def __init__(self, owner: Subscribers, conversation_id: str, deltas: bool = False) -> None:
        self.conversation_id = conversation_id
        self.deltas = deltas
        self._owner = owner
        self._queue: asyncio.Queue[T | None] = asyncio.Queue()
        self._closed = False
        self._delivered: set[int] = set()  # the ids of the messages put: a message read again is not put twice
        self.anchor: int | None = None
        """On PostgreSQL, the conversation's last message id when it was subscribed, or the last one read again
        after a reconnect: what was stored after it may have to be read again (``_foreign``)."""

    @property
    def notified(self) -> bool:
        """True while other workers' messages reach this subscription through notifications (PostgreSQL's
        listener is connected): a reader of the store then needs to poll only as a slow fallback."""
        listening = self._owner.listening
        return listening is not None and listening.connected

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        message = await self._queue.get()
        if message is _END:
            raise StopAsyncIteration
        return message

    def put(self, message: T | None) -> None:
        if isinstance(message, ChatMessage):
            if message.id in self._delivered:
                return
            self._delivered.add(message.id)
        self._queue.put_nowait(message)

    def catch_up(self, found: Iterable[ChatMessage]) -> None:
        """Put what was stored after the anchor and not put yet, in order; the anchor moves past it."""
        if self.anchor is None:
            return
        for message in found:
            if message.id > self.anchor:
                self.put(message)  # type: ignore[arg-type]  # ChatMessage is a T of every subscription
                self.anchor = message.id

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._owner.discard(self)
            self._queue.put_nowait(_END)

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Subscribers:
    def __init__(self) -> None:
        self._by_conversation: dict[str, set[Subscription[Any]]] = {}
        self.listening: Listening | None = None  # set while other workers' messages are notified (``_foreign``)

    def follows(self, conversation_id: str) -> bool:
        return conversation_id in self._by_conversation

    def conversations(self) -> list[str]:
        return list(self._by_conversation)

    def of(self, conversation_id: str) -> list[Subscription[Any]]:
        return list(self._by_conversation.get(conversation_id, ()))

    def add(self, conversation_id: str, deltas: bool = False) -> Subscription[Any]:
        subscription: Subscription[Any] = Subscription(self, conversation_id, deltas)
        self._by_conversation.setdefault(conversation_id, set()).add(subscription)
        return subscription

    def discard(self, subscription: Subscription[Any]) -> None:
        group = self._by_conversation.get(subscription.conversation_id)
        if group is not None:
            group.discard(subscription)
            if not group:
                del self._by_conversation[subscription.conversation_id]

    def publish(self, messages: Iterable[ChatMessage]) -> None:
        for message in messages:
            for subscription in list(self._by_conversation.get(message.conversation_id, ())):
                subscription.put(message)

    def wants_deltas(self, conversation_id: str) -> bool:
        return any(s.deltas for s in self._by_conversation.get(conversation_id, ()))

    def publish_delta(self, delta: ReplyDelta) -> None:
        for subscription in list(self._by_conversation.get(delta.conversation_id, ())):
            if subscription.deltas:
                subscription.put(delta)

    def close_all(self) -> None:
        for group in list(self._by_conversation.values()):
            for subscription in list(group):
                subscription.close()
