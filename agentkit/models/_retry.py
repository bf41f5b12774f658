"""Retries for model requests: which failures are worth another try, how long to wait, what to raise at the end.

Retried: HTTP 408, 409, 429 and 5xx, timeouts and dropped connections. Waits grow exponentially with jitter,
and never undercut the server's ``Retry-After`` / ``retry-after-ms``. An ``x-should-retry`` header, as OpenAI
sends, has the last word. The first try runs outside tenacity: building its machinery costs ~40 µs a call
(measured), which a request that succeeds should not pay.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import openai
import tenacity

from ..exceptions import ModelError, ModelHTTPError

__all__ = ["Backoff", "Retrier", "is_retryable", "retry_after"]

T = TypeVar("T")
RETRY_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait before retry ``n`` (1-based): ``base * 2**(n-1)``, at most ``cap``, minus up to 25 %
    jitter; or the server's ``Retry-After`` when longer, at most ``max_retry_after``."""

    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 60.0

    def delay(self, retry: int, error: BaseException | None = None) -> float:
        backoff = min(self.base * 2.0 ** (retry - 1), self.cap) * (1 - 0.25 * random.random())
        asked = retry_after(error) if error is not None else None
        return backoff if asked is None else min(max(backoff, asked), self.max_retry_after)


def is_retryable(error: BaseException) -> bool:
    """Whether another try may succeed where this one failed."""
    if isinstance(error, openai.APIStatusError):
        verdict = error.response.headers.get("x-should-retry")
        if verdict in ("true", "false"):
            return verdict == "true"
        return error.status_code in RETRY_STATUSES or error.status_code >= 500
    return isinstance(error, openai.APIConnectionError)  # APITimeoutError is one too


def retry_after(error: BaseException) -> float | None:
    """Seconds the server asked to wait (``retry-after-ms``, or ``Retry-After`` in seconds or as a date)."""
    if not isinstance(error, openai.APIStatusError):
        return None
    headers = error.response.headers
    for name, unit in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            seconds = float(headers.get(name, "")) * unit
        except ValueError:
            continue
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    date = email.utils.parsedate_tz(headers.get("retry-after", ""))
    return max(0.0, email.utils.mktime_tz(date) - time.time()) if date else None


class Retrier:
    """Runs a request with up to ``max_retries`` retries; raises ``ModelHTTPError`` / ``ModelError`` at the end."""

    def __init__(self, max_retries: int = 4, backoff: Backoff | None = None, what: str = "model request") -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
        self.max_retries = max_retries
        self.backoff = backoff or Backoff()
        self.what = what

    async def __call__(self, send: Callable[[], Awaitable[T]]) -> T:
        try:
            return await send()
        except (openai.APIStatusError, openai.APIConnectionError) as error:
            if self.max_retries == 0 or not is_retryable(error):
                raise self.final_error(error, tries=1) from error
            first_error = error
        return await self._retry(send, first_error)

    async def _retry(self, send: Callable[[], Awaitable[T]], first_error: openai.APIError) -> T:
        tries = 1

        async def attempt() -> T:
            nonlocal tries
            tries += 1
            return await send()

        await asyncio.sleep(self.backoff.delay(1, first_error))
        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(self.max_retries),
            wait=self._wait,
            retry=tenacity.retry_if_exception(is_retryable),
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except (openai.APIStatusError, openai.APIConnectionError) as error:
            raise self.final_error(error, tries) from error

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.backoff.delay(state.attempt_number + 1, error)

    def final_error(self, error: openai.APIError, tries: int) -> ModelError:
        """The agentkit error for ``error``, saying what failed and after how many tries."""
        attempts = f"after {tries} {'try' if tries == 1 else 'tries'}"
        if isinstance(error, openai.APIStatusError):
            message = f"{self.what} failed with HTTP {error.status_code} {attempts}: {error.message}"
            if error.response.headers.get("x-should-retry") == "false":
                message += " (not retried: the server answered x-should-retry: false)"
            elif not is_retryable(error):
                message += " (not retried: this status means the request itself must change)"
            return ModelHTTPError(message, status_code=error.status_code, body=error.body)
        kind = "timed out" if isinstance(error, openai.APITimeoutError) else "could not connect or lost the connection"
        return ModelError(f"{self.what} {kind} {attempts} ({error.__cause__ or error}); is the endpoint up?")
