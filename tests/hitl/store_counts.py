"""Counting the store's transactions that the code under test runs (inside ``counted()``), not the background
passes' nor the test's own looks (``counted(False)``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pytest

from agentkit.runtime import Store
from agentkit.storage import Connection

_counting: ContextVar[bool] = ContextVar("hitl_tests_counting", default=False)


def count_store_runs(monkeypatch: pytest.MonkeyPatch, *, reads: bool) -> Counter[str]:
    """``Store.run`` counted by kind ("write", and "read" if ``reads``) while ``counted()`` is on."""
    counts: Counter[str] = Counter()
    original = Store.run

    async def run(self: Store, fn: Callable[[Connection], Any], *, write: bool = True) -> Any:
        if _counting.get() and (write or reads):
            counts["write" if write else "read"] += 1
        return await original(self, fn, write=write)

    monkeypatch.setattr(Store, "run", run)
    return counts


@contextmanager
def counted(on: bool = True) -> Iterator[None]:
    token = _counting.set(on)
    try:
        yield
    finally:
        _counting.reset(token)
