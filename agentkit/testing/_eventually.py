"""``eventually``: wait for something another task or thread will make true (a ticket on a fake helpdesk, a reply)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["eventually"]

T = TypeVar("T")


async def eventually(check: Callable[[], T | Awaitable[T]], seconds: float = 5.0, *, every: float = 0.02) -> T:
    """Call ``check`` (sync or async) every ``every`` seconds until it returns something truthy, and return that;
    raise ``AssertionError`` after ``seconds``. Polling, because fakes change state on their server's thread:
    there is no event to await."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                result = check()
                value = await result if inspect.isawaitable(result) else result
                if value:
                    return value
                await asyncio.sleep(every)
    except TimeoutError:
        raise AssertionError(f"{check} did not come true within {seconds} s") from None
