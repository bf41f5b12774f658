"""One timer per event loop for many deadlines that nearly never pass, instead of a timer each.

A turn runs within its deadline (``within_deadline``), and nearly always ends long before it. A timer each
(``asyncio.timeout``: a handle pushed on the loop's heap, then cancelled and left there until it comes due) costs
the event loop ~10 us per turn for nothing. Here a deadline is an entry in a dict; the loop's one timer is set for
the earliest deadline when it was added, and when it rings it calls what is due and is set again for the rest.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import weakref
from collections.abc import Callable

__all__ = ["Alarms", "Cutoff", "alarms"]


class Alarms:
    """Callbacks due at a ``loop.time()``, on one loop, behind one timer."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due: dict[int, tuple[float, Callable[[], object]]] = {}
        self._keys = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._at = math.inf  # when the timer rings (inf: it is not set)

    def add(self, seconds: float, callback: Callable[[], object]) -> int:
        """Call ``callback`` (on the loop; it must not raise) ``seconds`` from now, unless ``remove``d before;
        returns its key."""
        when = self._loop.time() + seconds
        key = next(self._keys)
        self._due[key] = (when, callback)
        if when < self._at:
            self._set(when)
        return key

    def remove(self, key: int) -> None:
        """The callback of ``key`` will not be called (nothing happens if it was called or removed already). The
        timer is left as it is: when it rings for nothing, it is set again for the earliest left."""
        self._due.pop(key, None)

    def __len__(self) -> int:
        return len(self._due)

    def _set(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(when, self._ring)
        self._at = when

    def _ring(self) -> None:
        rang, self._timer, self._at = self._at, None, math.inf
        due = [key for key, (when, _) in self._due.items() if when <= rang]  # the loop rings a timer at its time
        for key in due:
            entry = self._due.pop(key, None)  # an earlier callback may have removed it
            if entry is not None:
                entry[1]()  # called here, not scheduled: once removed, a callback is never called
        if self._due:
            self._set(min(when for when, _ in self._due.values()))


_ATTRIBUTE = "_agentkit_alarms"
_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Alarms] = weakref.WeakKeyDictionary()
"""For a loop that takes no attribute of its own (uvloop's); there the entry lives as long as the process (its
``Alarms`` and timer hold the loop)."""


def alarms(loop: asyncio.AbstractEventLoop | None = None) -> Alarms:
    """The running loop's (or ``loop``'s). Kept on the loop itself: it goes with the loop. Kept in a weak dict by
    loop, it never went: the ``Alarms`` and its timer hold their loop, so each loop that ever had an alarm stayed
    in memory (a script calling ``execute_sync(..., timeout=...)`` over and over grew by a loop each call)."""
    loop = loop or asyncio.get_running_loop()
    found: Alarms | None = getattr(loop, _ATTRIBUTE, None)
    if found is None:
        found = _by_loop.get(loop)
    if found is None:
        found = Alarms(loop)
        try:
            setattr(loop, _ATTRIBUTE, found)
        except AttributeError:
            _by_loop[loop] = found
    return found


class Cutoff:
    """The current task cancelled ``seconds`` from now, under the loop's shared timer, by ``asyncio.timeout``'s
    rules: only a cancellation that came from the time being up alone is the cutoff's (``expired``), and one that
    came from the time being up as the work ended otherwise is taken back (``stop``). A turn's deadline
    (``within_deadline``) and a request body's read (the desk's ``read_capped``) are each one::

        cutoff = Cutoff(seconds)
        try:
            ...
        except asyncio.CancelledError:
            if not cutoff.expired():
                raise
            ...  # the time is up
        finally:
            cutoff.stop()
    """

    __slots__ = ("_alarms", "_cancelling", "_expired", "_key", "_task")

    def __init__(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None, "a cutoff is for a task"
        self._task, self._cancelling, self._expired = task, task.cancelling(), False
        self._alarms = alarms(loop)
        self._key = self._alarms.add(seconds, self._expire)

    def expired(self) -> bool:
        """For a ``CancelledError`` the task got: whether it came from the time being up alone (it is then taken
        back); a cancellation of the task by anyone else stands."""
        if not self._expired:
            return False
        self._expired = False  # its cancellation is taken back here, not again in ``stop``
        return self._task.uncancel() <= self._cancelling

    def stop(self) -> None:
        """The work is over, one way or another."""
        self._alarms.remove(self._key)
        if self._expired:  # the time was up as the work ended otherwise: that cancellation is nobody's
            self._expired = False
            self._task.uncancel()

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()
