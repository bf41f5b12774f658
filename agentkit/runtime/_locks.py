"""One lock per conversation, so its messages are handled one after the other, in arrival order.

``asyncio.Lock`` wakes its waiters first in, first out, which is what keeps the order; ``hold`` takes the lock
without awaiting anything first, so the order of the calls is the order of the turns. Locks of idle
conversations are dropped, so memory does not grow with the number of conversations ever seen.
"""

from __future__ import annotations

import asyncio

__all__ = ["ConversationLocks"]


class ConversationLocks:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[asyncio.Lock, int]] = {}

    def hold(self, conversation_id: str) -> _Held:
        """Hold the conversation's lock for the ``async with`` block."""
        return _Held(self._entries, conversation_id)

    def __len__(self) -> int:
        return len(self._entries)


class _Held:
    """``hold``'s block: a class, not an async generator (every message takes one: ~4 us less)."""

    __slots__ = ("_conversation_id", "_entries", "_lock")

    def __init__(self, entries: dict[str, tuple[asyncio.Lock, int]], conversation_id: str) -> None:
        self._entries = entries
        self._conversation_id = conversation_id

    async def __aenter__(self) -> None:
        lock, users = self._entries.get(self._conversation_id, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._entries[self._conversation_id] = (lock, users + 1)
        try:
            await lock.acquire()  # no await before it: the order of the calls is the order of the turns
        except BaseException:
            self._leave()
            raise
        self._lock = lock

    async def __aexit__(self, *_: object) -> None:
        self._lock.release()
        self._leave()

    def _leave(self) -> None:
        lock, users = self._entries[self._conversation_id]
        if users == 1:
            del self._entries[self._conversation_id]
        else:
            self._entries[self._conversation_id] = (lock, users - 1)
