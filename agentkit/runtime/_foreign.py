"""Messages another worker stores reach this process's subscriptions, woken by PostgreSQL's LISTEN/NOTIFY.

A trigger (runtime migration 2) notifies ``agentkit_messages`` with ``seq:conversation_id`` as each message the
user sees commits. The agent's one listener per process and database (``agentkit.storage``) hands it here; a
message written by this store's own connections is skipped (it was published as it was written), another
worker's is read from the store (for conversations someone here follows) and published. A notification lost while
the listener reconnects is not replayed: webchat streams read the store now and then anyway (``Subscription.notified``
tells them how often). On SQLite nothing listens: one process writes, and publishes what it writes.
"""

from __future__ import annotations

import asyncio
import logging

from ..storage import MESSAGES_CHANNEL, Notification
from . import _messages as messages
from ._store import Store
from ._subscriptions import Subscribers

__all__ = ["ForeignMessages"]

logger = logging.getLogger("agentkit.runtime")


class ForeignMessages:
    def __init__(self, store: Store, subscribers: Subscribers) -> None:
        self._store = store
        self._subscribers = subscribers
        self._reads: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Listen, if the store's database notifies (PostgreSQL); call it with the store open, on the loop."""
        if self._subscribers.listening is None:
            self._subscribers.listening = self._store.database.listen(self._on_notification)

    def close(self) -> None:
        listening, self._subscribers.listening = self._subscribers.listening, None
        if listening is not None:
            listening.cancel()
        for read in list(self._reads):
            read.cancel()

    def _on_notification(self, notification: Notification | None) -> None:
        if notification is None or notification.channel != MESSAGES_CHANNEL:
            return
        if self._store.database.wrote(notification):
            return
        seq, _, conversation_id = notification.payload.partition(":")
        if seq.isdigit() and self._subscribers.follows(conversation_id):
            read = asyncio.get_running_loop().create_task(self._publish(conversation_id, int(seq)))
            self._reads.add(read)
            read.add_done_callback(self._reads.discard)

    async def _publish(self, conversation_id: str, seq: int) -> None:
        try:
            found = await self._store.run(lambda c: messages.load_visible(c, conversation_id, seq - 1), write=False)
        except Exception as error:  # the store closing, or down: the streams' own reads catch up later
            logger.warning("reading message %s of conversation %s another worker wrote failed: %s", seq,
                           conversation_id, error)  # fmt: skip
            return
        self._subscribers.publish([m for m in found if m.id == seq])
