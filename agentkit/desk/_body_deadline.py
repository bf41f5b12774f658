"""Request bodies are read within a deadline kept by the event loop's one shared timer (``agentkit.loop.alarms``).

Every JSON request reads its body within ``BODY_TIMEOUT`` (``read_capped``). Nearly always the body is there at
once, and a timer per request (``asyncio.timeout``: a handle pushed on the loop's heap and cancelled, ~10 us of the
event loop's time) is spent for nothing. A read's deadline is an entry under the loop's shared timer instead (as a
turn's is); when it rings it cancels the read, which then answers 408 (``BodyDeadline.expired``).
"""

from __future__ import annotations

import asyncio

from ..loop import alarms

__all__ = ["BodyDeadline"]


class BodyDeadline:
    """The current task's read of a body, cancelled ``seconds`` from now unless ``stop``ped before."""

    __slots__ = ("_alarms", "_key", "_rang", "_task")

    def __init__(self, seconds: float) -> None:
        task = asyncio.current_task()
        assert task is not None, "a body is read in a task"
        self._task, self._rang, self._alarms = task, False, alarms()
        self._key = self._alarms.add(seconds, self._ring)

    def expired(self) -> bool:
        """Whether the ``CancelledError`` the read got came from its deadline alone (then it is taken back); a
        cancellation of the task by anyone else stands."""
        if not self._rang:
            return False
        self._rang = False
        return self._task.uncancel() == 0

    def stop(self) -> None:
        """The read is over (done, refused or cancelled)."""
        self._alarms.remove(self._key)

    def _ring(self) -> None:
        self._rang = True
        self._task.cancel()
