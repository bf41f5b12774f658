"""One deadline for a run: ``execute(..., timeout=...)``, and the agent's ``turn_timeout`` built on it.

Two bounds work together. The soft one is ``agentkit.retry.deadline``: the model client cuts each request's timeout
to the time left and starts no retry that would end past it, so a stalled endpoint ends as a ``ModelError`` that
says what happened. The hard one, ``GRACE`` seconds later, cancels whatever still runs (a stalled tool, a model
that ignores the deadline) and raises ``DeadlineExceeded``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ..exceptions import ConfigError, DeadlineExceeded
from ..retry import deadline
from ._alarms import Cutoff

__all__ = ["GRACE", "check_timeout", "within_deadline"]

T = TypeVar("T")

GRACE = 1.0
"""Seconds the hard bound waits after the soft one, so the model client's own, clearer error comes first."""


def check_timeout(timeout: float | None, name: str = "timeout") -> float | None:
    """``timeout`` if it is None or a positive number of seconds, else a ``ConfigError`` naming ``name``."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ConfigError(f"{name} must be a positive number of seconds, or None for no deadline; got {timeout!r}")
    return float(timeout)


async def within_deadline(
    work: Awaitable[T], seconds: float | None, partial: Callable[[], Any] = lambda: None, what: str = "the run"
) -> T:
    """Await ``work`` within ``seconds`` (None: no deadline). Past it, ``DeadlineExceeded`` carrying
    ``partial()`` (what was done so far)."""
    if seconds is None:
        return await work
    with deadline(seconds):
        return await _cancelled_after(work, seconds + GRACE, partial, what, seconds)


async def _cancelled_after(work: Awaitable[T], seconds: float, partial: Callable[[], Any], what: str, soft: float) -> T:
    """``asyncio.timeout``'s rules with the loop's shared timer instead of a timer each (``_alarms.Cutoff``)."""
    cutoff = Cutoff(seconds)
    try:
        return await work
    except asyncio.CancelledError as error:
        if not cutoff.expired():
            raise
        timeout = TimeoutError()  # the chain ``asyncio.timeout`` gave: DeadlineExceeded <- TimeoutError <- cancel
        timeout.__cause__ = error
        raise DeadlineExceeded(f"{what} did not finish within its {soft:g} s deadline", partial()) from timeout
    finally:
        cutoff.stop()
