"""Messages another worker stores reach this process's subscriptions, woken by PostgreSQL's LISTEN/NOTIFY.

A transaction that stores messages the user sees notifies ``agentkit_messages`` with ``seq:conversation_id`` (its
first message of the conversation) as it commits, while another worker listens. The agent's one listener per
process and database (``agentkit.storage``) hands it here; a message written by this store's own connections is
skipped (it was published as it was written), another worker's are read from the store (for conversations someone
here follows) and published.

A notification sent while the listener reconnects is lost, so each subscription keeps an anchor: the
conversation's last message id when it was subscribed (read then). Once the listener is back, what was stored
after the anchor is read again and put, in order, skipping what the subscription already got; the anchor moves
past it. This is exact because a conversation's messages are numbered in the order they commit
(``insert_message``). The reads of one conversation run one at a time, in the order they were asked for, so its
other workers' messages are published in order too. On SQLite nothing listens: one process writes, and publishes
what it writes.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from ..storage import MESSAGES_CHANNEL, Notification
from . import _messages as messages
from ._store import Store
from ._subscriptions import Subscribers, Subscription

__all__ = ["ForeignMessages"]

logger = logging.getLogger("agentkit.runtime")


class ForeignMessages:
    def __init__(self, store: Store, subscribers: Subscribers) -> None:
        self._store = store
        self._subscribers = subscribers
        self._reads: set[asyncio.Task[None]] = set()
        # One read at a time per conversation; a lock lives while a read holds or awaits it.
        self._order: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def start(self) -> None:
        """Listen, if the store's database notifies (PostgreSQL); call it with the store open, on the loop."""
        if self._subscribers.listening is None:
            self._subscribers.listening = self._store.database.listen(MESSAGES_CHANNEL, self._on_notification)
            if self._subscribers.listening is not None:
                for conversation_id in self._subscribers.conversations():
                    for subscription in self._subscribers.of(conversation_id):
                        self.anchor(subscription)

    def anchor(self, subscription: Subscription[Any]) -> None:
        """Read the conversation's last message id for a new subscription, while notifications are listened to."""
        if self._subscribers.listening is not None and subscription.anchor is None:
            self._read(subscription.conversation_id, partial(self._anchor, subscription))

    def close(self) -> None:
        listening, self._subscribers.listening = self._subscribers.listening, None
        if listening is not None:
            listening.cancel()
        for read in list(self._reads):
            read.cancel()

    def _on_notification(self, notification: Notification | None) -> None:
        if notification is None:  # listening again after a reconnect: what was stored meanwhile was not notified
            for conversation_id in self._subscribers.conversations():
                self._read(conversation_id, partial(self._catch_up, conversation_id))
            return
        seq, _, conversation_id = notification.payload.partition(":")
        if seq.isdigit() and self._subscribers.follows(conversation_id):
            self._read(conversation_id, partial(self._publish, conversation_id, int(seq)))

    def _read(self, conversation_id: str, read: Callable[[], Awaitable[None]]) -> None:
        """Run ``read`` after the reads of the conversation asked for before it."""
        lock = self._order.get(conversation_id)
        if lock is None:
            lock = self._order[conversation_id] = asyncio.Lock()
        task = asyncio.get_running_loop().create_task(self._in_turn(lock, read))
        self._reads.add(task)
        task.add_done_callback(self._reads.discard)

    async def _in_turn(self, lock: asyncio.Lock, read: Callable[[], Awaitable[None]]) -> None:
        async with lock:
            try:
                await read()
            except Exception as error:  # the store closing, or down: the streams' own reads catch up later
                logger.warning("reading messages another worker wrote failed: %s", error)

    async def _anchor(self, subscription: Subscription[Any]) -> None:
        conversation_id = subscription.conversation_id
        last = await self._store.run(lambda c: messages.last_seq(c, conversation_id), write=False)
        if subscription.anchor is None:
            subscription.anchor = last

    async def _publish(self, conversation_id: str, seq: int) -> None:
        """The notified message, and those after it: a transaction notifies once per conversation, with its first
        message (those already put are not put again)."""
        found = await self._store.run(lambda c: messages.load_visible(c, conversation_id, seq - 1), write=False)
        self._subscribers.publish(found)

    async def _catch_up(self, conversation_id: str) -> None:
        following = [s for s in self._subscribers.of(conversation_id) if s.anchor is not None]
        if not following:
            return
        after = min(s.anchor for s in following if s.anchor is not None)
        found = await self._store.run(lambda c: messages.load_visible(c, conversation_id, after), write=False)
        for subscription in following:
            subscription.catch_up(found)
