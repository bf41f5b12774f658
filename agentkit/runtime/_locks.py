"""One lock per conversation, so its messages are handled one after the other, in arrival order.

``asyncio.Lock`` wakes its waiters first in, first out, which is what keeps the order; ``hold`` takes the lock
without awaiting anything first, so the order of the calls is the order of the turns. Locks of idle
conversations are dropped, so memory does not grow with the number of conversations ever seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["ConversationLocks"]


class ConversationLocks:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        """Hold the conversation's lock for the ``async with`` block."""
        lock, users = self._entries.get(conversation_id, (asyncio.Lock(), 0))
        self._entries[conversation_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._entries[conversation_id]
            if users == 1:
                del self._entries[conversation_id]
            else:
                self._entries[conversation_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._entries)
