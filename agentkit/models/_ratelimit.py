"""``RateLimitedModel``: client-side limits of requests and tokens per minute, as async token buckets.

Provider limits are enforced over windows shorter than a minute (OpenAI documents this), so a bucket holds about
one second's worth by default instead of a whole minute's: a burst of a full minute's quota at start would meet
429s. A request larger than the bucket still goes once the bucket is full, and leaves it in debt: the average rate
holds. Tokens are charged before a request from an estimate of its input (characters / 4) and corrected when
the reply reports its real usage. 429s that still happen are retried by ``OpenAIModel``'s backoff.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from ..exceptions import UserError
from ._base import Message, Model, ModelResponse, ToolSpecSource
from ._wrapped import WrappedModel

__all__ = ["RateLimitedModel", "TokenBucket", "estimate_tokens"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """``per_minute`` units a minute, at most ``burst`` at once (default: one second's worth, at least 1).

    Waiters are served first come, first served (``asyncio.Lock`` is fair).
    """

    def __init__(
        self,
        per_minute: float,
        *,
        burst: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not per_minute > 0 or not math.isfinite(per_minute):
            raise UserError(f"a rate limit must be a positive number per minute, not {per_minute!r}")
        self.rate = per_minute / 60.0
        self.capacity = burst if burst is not None else max(1.0, self.rate)
        if self.capacity <= 0:
            raise UserError(f"burst must be positive, not {burst!r}")
        self._clock, self._sleep = clock, sleep
        self._level = self.capacity
        self._updated = clock()
        self._lock = asyncio.Lock()

    @property
    def level(self) -> float:
        """Units available now (negative while in debt)."""
        self._refill()
        return self._level

    async def acquire(self, amount: float = 1.0) -> float:
        """Wait until ``amount`` may be spent, spend it, and return the seconds waited."""
        waited = 0.0
        async with self._lock:
            needed = min(amount, self.capacity)  # a request bigger than the bucket goes when it is full
            while (shortfall := needed - self.level) > 0:
                delay = shortfall / self.rate
                await self._sleep(delay)
                waited += delay
            self._level -= amount
        return waited

    def refund(self, amount: float) -> None:
        """Give back ``amount`` (negative: charge more) without waiting; used to correct an estimate."""
        self._refill()
        self._level = min(self.capacity, self._level + amount)

    def _refill(self) -> None:
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._updated) * self.rate)
        self._updated = now


def estimate_tokens(messages: Sequence[Message], tools: Sequence[ToolSpecSource]) -> int:
    """A rough count of a request's input tokens: about 4 characters a token, as OpenAI's rule of thumb says."""
    text = json.dumps(list(messages), ensure_ascii=False, default=str)
    text += json.dumps([tool.spec() for tool in tools], ensure_ascii=False)
    return max(1, len(text) // 4)


class RateLimitedModel(WrappedModel):
    """Wraps a model so that its requests stay under ``rpm`` requests and ``tpm`` tokens a minute."""

    def __init__(
        self,
        model: Model,
        *,
        rpm: float | None = None,
        tpm: float | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(model)
        self.requests = TokenBucket(rpm, clock=clock, sleep=sleep) if rpm else None
        self.tokens = TokenBucket(tpm, clock=clock, sleep=sleep) if tpm else None
        self.waited_s = 0.0

    async def request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        estimate = estimate_tokens(messages, tools) if self.tokens is not None else 0
        if self.requests is not None:
            self.waited_s += await self.requests.acquire(1)
        if self.tokens is not None:
            self.waited_s += await self.tokens.acquire(estimate)
        response = await self.model.request(messages, tools, settings)
        if self.tokens is not None:
            self.tokens.refund(estimate - response.usage.total_tokens)
        return response
