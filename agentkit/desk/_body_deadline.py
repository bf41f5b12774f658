"""One timer for every request body being read on an event loop, instead of one ``asyncio.timeout`` per request.

Every JSON request reads its body within ``BODY_TIMEOUT`` (``read_capped``). Nearly always the body is there at
once, and a timer per request (``asyncio.timeout``: a handle pushed on the loop's heap and cancelled, ~10 us of
the event loop's time) is spent for nothing. Here a read is an entry in a dict, and one timer, set for the earliest
deadline, cancels the reads that are past theirs; the read then answers 408 (``expired``).
"""

from __future__ import annotations

import asyncio
import weakref

__all__ = ["BodyDeadlines", "deadlines"]


class BodyDeadlines:
    """The reads in progress on one loop, by task, with their deadlines (``loop.time()``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._reads: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def start(self, seconds: float) -> asyncio.Task[object]:
        """The current task reads a body from now on, for ``seconds`` at most."""
        task = asyncio.current_task(self._loop)
        assert task is not None, "a body is read in a task"
        deadline = self._loop.time() + seconds
        self._reads[task] = deadline
        if self._timer is None or self._timer.when() > deadline:
            self._set_timer(deadline)
        return task

    def stop(self, task: asyncio.Task[object]) -> None:
        """The read is over (done, refused or cancelled)."""
        self._reads.pop(task, None)
        self._expired.discard(task)

    def expired(self, task: asyncio.Task[object]) -> bool:
        """Whether the ``CancelledError`` the read got came from its deadline alone (then it is taken back); a
        cancellation of the task by anyone else stands."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task.uncancel() == 0

    def _set_timer(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(when, self._check)

    def _check(self) -> None:
        self._timer = None
        now = self._loop.time()
        for task, deadline in list(self._reads.items()):
            if deadline <= now:
                del self._reads[task]
                self._expired.add(task)
                task.cancel()
        if self._reads:
            self._set_timer(min(self._reads.values()))


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BodyDeadlines] = weakref.WeakKeyDictionary()


def deadlines() -> BodyDeadlines:
    """The running loop's."""
    loop = asyncio.get_running_loop()
    found = _by_loop.get(loop)
    if found is None:
        _by_loop[loop] = found = BodyDeadlines(loop)
    return found
