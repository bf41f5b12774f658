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

__all__ = ["Alarms", "alarms"]


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


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Alarms] = weakref.WeakKeyDictionary()


def alarms() -> Alarms:
    """The running loop's."""
    loop = asyncio.get_running_loop()
    found = _by_loop.get(loop)
    if found is None:
        _by_loop[loop] = found = Alarms(loop)
    return found
