"""``agent.subscribe(conversation_id)``: new messages of one conversation, as they are stored.

A web channel streams these to the browser: the bot's replies, and above all what arrives later, on its own (a
human agent's reply, a timeout notice). The subscription is registered when ``subscribe`` is called, so nothing
stored after that call is missed; it ends when closed or when the agent closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType
from typing import Self

from ._messages import ChatMessage

__all__ = ["Subscription", "Subscribers"]

_END = None


class Subscription:
    """An async iterator of ``ChatMessage``; also an async context manager that closes it."""

    def __init__(self, owner: Subscribers, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        self._owner = owner
        self._queue: asyncio.Queue[ChatMessage | None] = asyncio.Queue()
        self._closed = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ChatMessage:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        message = await self._queue.get()
        if message is _END:
            raise StopAsyncIteration
        return message

    def put(self, message: ChatMessage | None) -> None:
        self._queue.put_nowait(message)

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
        self._by_conversation: dict[str, set[Subscription]] = {}

    def add(self, conversation_id: str) -> Subscription:
        subscription = Subscription(self, conversation_id)
        self._by_conversation.setdefault(conversation_id, set()).add(subscription)
        return subscription

    def discard(self, subscription: Subscription) -> None:
        group = self._by_conversation.get(subscription.conversation_id)
        if group is not None:
            group.discard(subscription)
            if not group:
                del self._by_conversation[subscription.conversation_id]

    def publish(self, messages: Iterable[ChatMessage]) -> None:
        for message in messages:
            for subscription in list(self._by_conversation.get(message.conversation_id, ())):
                subscription.put(message)

    def close_all(self) -> None:
        for group in list(self._by_conversation.values()):
            for subscription in list(group):
                subscription.close()
