"""The one retry module: which failures earn another try, how long to wait, and when to give up.

Used by the model client, the helpdesk providers and the outbox, so they agree on three things:

- **Retryable statuses**: HTTP 408, 409 (a concurrent request holds the idempotency key), 429 and every 5xx.
- **The server's wish**: ``retry-after-ms`` (milliseconds, as OpenAI sends), ``Retry-After`` in seconds or as an
  HTTP date. A wait never undercuts it, up to ``Backoff.max_retry_after``.
- **A deadline**: retries stop when the next wait would pass it. A deadline comes from the caller or from the
  ``deadline(seconds)`` scope that surrounds the call (a turn of the agent, ``execute(..., timeout=...)``).

Waits run on a ``Clock`` (``now`` and ``sleep``) that tests replace, so no test sleeps for real. The loop is
tenacity's; the first try runs outside it, because building tenacity's machinery costs ~40 µs a call (measured),
which a request that succeeds should not pay.

This module is a leaf beside ``exceptions.py``: it imports nothing of agentkit, and every layer may import it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

import tenacity

__all__ = [
    "Backoff",
    "Clock",
    "Deadline",
    "GaveUp",
    "RETRYABLE_STATUSES",
    "Retrier",
    "SYSTEM_CLOCK",
    "current_deadline",
    "deadline",
    "is_retryable_status",
    "parse_retry_after",
]

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)

RETRYABLE_STATUSES = frozenset({408, 409, 429})
"""The 4xx statuses worth another try; every 5xx is too (see ``is_retryable_status``)."""


def is_retryable_status(status: int) -> bool:
    """Whether a request that got ``status`` may succeed if sent again unchanged."""
    return status in RETRYABLE_STATUSES or status >= 500


@dataclass(frozen=True)
class Clock:
    """Where time comes from: ``monotonic`` for deadlines, ``time`` for HTTP dates, ``sleep`` to wait.

    Tests pass a clock whose ``sleep`` records the wait and returns at once: ``agentkit.testing.FakeClock``."""

    monotonic: Callable[[], float] = time.monotonic
    time: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


SYSTEM_CLOCK = Clock()


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked to wait: ``retry-after-ms``, else ``Retry-After`` in seconds or as an HTTP date.

    ``now`` is the wall-clock time an HTTP date is measured from (default: ``time.time()``). None when the
    headers ask nothing usable (absent, negative, not a number, not a date)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    for name, unit in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            seconds = float(lowered.get(name, "")) * unit
        except ValueError:
            continue
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    date = email.utils.parsedate_tz(lowered.get("retry-after", ""))
    if date is None:
        return None
    return max(0.0, email.utils.mktime_tz(date) - (time.time() if now is None else now))


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait before retry ``n`` (1-based): ``base * 2**(n-1)``, at most ``cap``, minus up to
    ``jitter`` of it; or the server's ``Retry-After`` when longer, at most ``max_retry_after``."""

    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 60.0
    jitter: float = 0.25

    def delay(self, retry: int, asked: float | None = None) -> float:
        backoff = min(self.base * 2.0 ** (retry - 1), self.cap) * (1 - self.jitter * random.random())
        return backoff if asked is None else min(max(backoff, asked), self.max_retry_after)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point in ``clock.monotonic()`` time past which no more work should start."""

    at: float
    clock: Clock = field(default=SYSTEM_CLOCK, compare=False)

    @classmethod
    def after(cls, seconds: float, clock: Clock = SYSTEM_CLOCK) -> Deadline:
        return cls(clock.monotonic() + seconds, clock)

    def remaining(self) -> float:
        """Seconds left, never below 0."""
        return max(0.0, self.at - self.clock.monotonic())

    def allows(self, wait: float) -> bool:
        """Whether waiting ``wait`` seconds still ends before the deadline."""
        return self.clock.monotonic() + wait < self.at


_deadline: ContextVar[Deadline | None] = ContextVar("agentkit_deadline", default=None)


def current_deadline() -> Deadline | None:
    """The deadline of the enclosing ``deadline(...)`` scope, if any."""
    return _deadline.get()


def deadline(seconds: float | None, clock: Clock = SYSTEM_CLOCK) -> contextlib.AbstractContextManager[Deadline | None]:
    """Within the block, retries (and the model client's per-request timeout) respect a deadline ``seconds``
    from now; an enclosing deadline that is sooner wins. ``None``: no new deadline."""
    return _DeadlineScope(seconds, clock)


class _DeadlineScope:
    """``deadline``'s scope: a class, not a generator (every turn enters one: half the cost)."""

    __slots__ = ("_clock", "_seconds", "_token")

    def __init__(self, seconds: float | None, clock: Clock) -> None:
        self._seconds = seconds
        self._clock = clock
        self._token: Token[Deadline | None] | None = None

    def __enter__(self) -> Deadline | None:
        outer = _deadline.get()
        if self._seconds is None:
            return outer
        inner = Deadline(self._clock.monotonic() + self._seconds, self._clock)
        chosen = inner if outer is None or inner.at < outer.at else outer
        self._token = _deadline.set(chosen)
        return chosen

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            _deadline.reset(self._token)
            self._token = None


GiveUpReason = Literal["not retryable", "attempts", "deadline"]


class GaveUp(Exception, Generic[E]):
    """Raised by ``Retrier`` when it stops: the last ``error``, how many ``tries`` were made, and ``why``."""

    def __init__(self, error: E, tries: int, why: GiveUpReason) -> None:
        super().__init__(f"gave up after {tries} {'try' if tries == 1 else 'tries'} ({why}): {error}")
        self.error = error
        self.tries = tries
        self.why = why


class Retrier(Generic[E]):
    """Calls ``send`` until it succeeds, its error is not ``retryable``, ``attempts`` are used up, or the next
    wait would pass the deadline; then raises ``GaveUp`` around the last error.

    ``errors``: the exception types it handles (others pass through untouched). ``retry_after(error)``: seconds
    the server asked to wait, if it said. ``attempts`` counts the first try."""

    def __init__(
        self,
        errors: type[E] | tuple[type[E], ...],
        retryable: Callable[[E], bool],
        *,
        attempts: int = 5,
        backoff: Backoff | None = None,
        retry_after: Callable[[E], float | None] = lambda error: None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be 1 or more (the first try counts), not {attempts}")
        self.errors = errors
        self.retryable = retryable
        self.attempts = attempts
        self.backoff = backoff or Backoff()
        self.retry_after = retry_after
        self.clock = clock

    async def __call__(self, send: Callable[[], Awaitable[T]], deadline: Deadline | None = None) -> T:
        limit = _sooner(deadline, current_deadline())
        try:
            return await send()
        except self.errors as error:
            first_error = error
        return await self._after(send, first_error, limit)

    async def after_first(
        self, send: Callable[[], Awaitable[T]], first_error: E, deadline: Deadline | None = None
    ) -> T:
        """What ``__call__`` does once the first try failed with ``first_error``, for a caller that made that try
        itself: a call that nearly always succeeds at once (a relayed message) then runs with no layer around it."""
        return await self._after(send, first_error, _sooner(deadline, current_deadline()))

    def _after(self, send: Callable[[], Awaitable[T]], first_error: E, limit: Deadline | None) -> Awaitable[T]:
        """The tries after a first that failed (raises ``GaveUp`` at once when there are none)."""
        if not self.retryable(first_error):
            raise GaveUp(first_error, 1, "not retryable") from first_error
        if self.attempts == 1:
            raise GaveUp(first_error, 1, "attempts") from first_error
        return self._retry(send, first_error, limit)

    async def _retry(self, send: Callable[[], Awaitable[T]], first_error: E, limit: Deadline | None) -> T:
        wait = self._wait_for(1, first_error)
        if limit is not None and not limit.allows(wait):
            raise GaveUp(first_error, 1, "deadline") from first_error
        await self.clock.sleep(wait)
        tries = 1
        stopped_by_deadline = False

        async def attempt() -> T:
            nonlocal tries
            tries += 1
            return await send()

        def stop(state: tenacity.RetryCallState) -> bool:
            nonlocal stopped_by_deadline
            if state.attempt_number + 1 >= self.attempts:
                return True
            stopped_by_deadline = limit is not None and not limit.allows(state.upcoming_sleep)
            return stopped_by_deadline

        retrying = tenacity.AsyncRetrying(
            stop=stop,
            wait=self._tenacity_wait,
            retry=tenacity.retry_if_exception(lambda e: isinstance(e, self.errors) and self.retryable(e)),
            sleep=self.clock.sleep,
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except self.errors as error:
            why: GiveUpReason = (
                "not retryable" if not self.retryable(error) else "deadline" if stopped_by_deadline else "attempts"
            )
            raise GaveUp(error, tries, why) from error

    def _wait_for(self, retry: int, error: E) -> float:
        return self.backoff.delay(retry, self.retry_after(error))

    def _tenacity_wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        retry = state.attempt_number + 1  # tenacity counts from the second try; the first ran outside it
        if isinstance(error, self.errors):
            return self._wait_for(retry, error)
        return self.backoff.delay(retry)


def _sooner(first: Deadline | None, second: Deadline | None) -> Deadline | None:
    if first is None or second is None:
        return first or second
    return first if first.at <= second.at else second
