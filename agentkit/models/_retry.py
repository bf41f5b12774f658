"""Retries for model requests, on ``agentkit.retry``: which failures of the OpenAI client are transient, and the
``ModelError`` raised at the end.

Retried: the statuses of ``agentkit.retry`` (408, 409, 429, 5xx), timeouts, dropped connections, and a 200 whose
body was cut short (truncated JSON: a connection closed mid-body on a close-delimited response). An
``x-should-retry`` header, as OpenAI sends, has the last word. Not retried: a 200 whose body is not JSON at all
(an HTML page from a proxy): sending the same request again to the same place gives the same page.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx2
import openai

from .. import telemetry
from ..exceptions import ModelError, ModelHTTPError
from ..retry import SYSTEM_CLOCK, Backoff, Clock, GaveUp, is_retryable_status, parse_retry_after
from ..retry import Retrier as _Retrier

__all__ = ["Backoff", "BadBody", "Retrier", "decode_body", "is_retryable", "retry_after"]

T = TypeVar("T")


class BadBody(Exception):
    """A 2xx answer whose body is not the JSON object it should be; ``truncated`` when it was cut short."""

    def __init__(self, message: str, truncated: bool) -> None:
        super().__init__(message)
        self.truncated = truncated


def decode_body(response: httpx2.Response) -> Any:
    """The JSON object of a successful answer, or ``BadBody`` saying what came instead."""
    try:  # the bytes: JSON is UTF-8, and ``response.text`` costs a charset lookup over the headers (measured 3x)
        data = json.loads(response.content)
    except ValueError:  # not UTF-8 JSON: decoded by the declared charset, as before, or BadBody
        data = _decode_text(response)
    if not isinstance(data, dict):
        raise BadBody(f"HTTP {response.status_code} with JSON that is not an object: {response.text[:200]!r}", False)
    return data


def _decode_text(response: httpx2.Response) -> Any:
    text = response.text
    try:
        return json.loads(text)
    except ValueError:
        truncated = text.lstrip()[:1] in ("{", "[")  # it began as JSON and stopped: the connection was cut
        what = "a JSON body cut short" if truncated else "a body that is not JSON"
        raise BadBody(f"HTTP {response.status_code} with {what}: {text[:200]!r}", truncated) from None


Failure = openai.APIStatusError | openai.APIConnectionError | BadBody
_FAILURES = (openai.APIStatusError, openai.APIConnectionError, BadBody)


def is_retryable(error: BaseException) -> bool:
    """Whether another try may succeed where this one failed."""
    if isinstance(error, openai.APIStatusError):
        verdict = error.response.headers.get("x-should-retry")
        if verdict in ("true", "false"):
            return verdict == "true"
        return is_retryable_status(error.status_code)
    if isinstance(error, BadBody):
        return error.truncated
    return isinstance(error, openai.APIConnectionError)  # APITimeoutError is one too


def retry_after(error: BaseException) -> float | None:
    """Seconds the server asked to wait (``retry-after-ms``, or ``Retry-After`` in seconds or as a date)."""
    if not isinstance(error, openai.APIStatusError):
        return None
    return parse_retry_after(error.response.headers)


class Retrier:
    """Runs a request with up to ``max_retries`` retries, within the enclosing deadline; raises ``ModelHTTPError``
    / ``ModelError`` at the end."""

    def __init__(
        self,
        max_retries: int = 2,
        backoff: Backoff | None = None,
        what: str = "model request",
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
        self.max_retries = max_retries
        self.backoff = backoff or Backoff()
        self.what = what
        self._retrier = _Retrier[Failure](
            _FAILURES, is_retryable, attempts=max_retries + 1, backoff=self.backoff, retry_after=retry_after,
            clock=clock,
        )  # fmt: skip

    async def __call__(self, send: Callable[[], Awaitable[T]]) -> T:
        if telemetry.observing():
            send = _counting_retries(send)
        try:
            return await self._retrier(send)
        except GaveUp as gave_up:
            raise self.final_error(gave_up.error, gave_up.tries, gave_up.why == "deadline") from gave_up.error

    def final_error(self, error: Failure, tries: int, deadline: bool = False) -> ModelError:
        """The agentkit error for ``error``, saying what failed and after how many tries."""
        attempts = f"after {tries} {'try' if tries == 1 else 'tries'}"
        if deadline:
            attempts += " (stopped: the next try would pass the deadline of the turn or run)"
        if isinstance(error, openai.APIStatusError):
            message = f"{self.what} failed with HTTP {error.status_code} {attempts}: {error.message}"
            if error.response.headers.get("x-should-retry") == "false":
                message += " (not retried: the server answered x-should-retry: false)"
            elif not is_retryable(error):
                message += " (not retried: this status means the request itself must change)"
            return ModelHTTPError(message, status_code=error.status_code, body=error.body)
        if isinstance(error, BadBody):
            advice = "" if error.truncated else "; is the base URL an OpenAI-compatible API?"
            return ModelError(f"{self.what} answered {error} {attempts}{advice}")
        kind = "timed out" if isinstance(error, openai.APITimeoutError) else "could not connect or lost the connection"
        return ModelError(f"{self.what} {kind} {attempts} ({_cause(error)}); is the endpoint up?")


def _counting_retries(send: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
    tries = 0

    async def counted() -> T:
        nonlocal tries
        tries += 1
        if tries > 1:
            telemetry.emit("model_retry")
        return await send()

    return counted


def _cause(error: BaseException) -> str:
    """The underlying error in words; never empty (a bare ``ReadTimeout()`` prints as nothing)."""
    cause = error.__cause__ or error
    return str(cause) or type(cause).__name__
