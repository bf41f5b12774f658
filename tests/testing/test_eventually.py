"""``eventually`` waits for a sync or async check and returns what it found, or fails saying what never came true."""

from __future__ import annotations

import pytest

from agentkit.testing import eventually


async def test_returns_the_first_truthy_value_of_a_sync_or_async_check() -> None:
    calls: list[int] = []

    def third_time() -> list[int] | None:
        calls.append(1)
        return calls if len(calls) == 3 else None

    async def ready() -> str:
        return "ready"

    assert await eventually(third_time, every=0) == [1, 1, 1]
    assert await eventually(ready) == "ready"


async def test_fails_with_an_assertion_after_the_time_given() -> None:
    with pytest.raises(AssertionError, match="did not come true within 0.05 s"):
        await eventually(lambda: False, 0.05)
