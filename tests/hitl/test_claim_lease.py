"""``keep_claim``: a delivery's claim is renewed while the helpdesk call lasts, and a quick call pays no heartbeat."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from agentkit.hitl._lease import keep_claim
from agentkit.testing import eventually


class _Cursor:
    rowcount = 1


class _Host:
    """Records each renewal (``UPDATE ... claimed_until``) that ``keep_claim`` runs."""

    name = "test"

    def __init__(self) -> None:
        self.renewals: list[tuple[Any, ...]] = []

    def execute(self, sql: str, params: tuple[Any, ...]) -> _Cursor:
        assert sql.startswith("UPDATE hitl_outbox SET claimed_until")
        self.renewals.append(params)
        return _Cursor()

    async def transact(self, fn: Callable[[Any, list[Any]], Any]) -> Any:
        return fn(self, [])


def _heartbeats() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("claim-") and not t.done()]


async def test_a_call_quicker_than_a_third_of_the_lease_starts_no_heartbeat_task() -> None:
    host = _Host()
    async with keep_claim(host, 7, "token", lease=30.0):  # type: ignore[arg-type]
        await asyncio.sleep(0)
        assert _heartbeats() == []
    assert host.renewals == []


async def test_a_slow_call_renews_its_claim_until_it_ends() -> None:
    host = _Host()
    async with keep_claim(host, 7, "token", lease=0.15):  # type: ignore[arg-type]
        await eventually(lambda: len(host.renewals) >= 3)
        assert [(row, token) for _, row, token in host.renewals] == [(7, "token")] * len(host.renewals)
    await asyncio.sleep(0)
    assert _heartbeats() == []  # stopped with the block
    renewed = len(host.renewals)
    await asyncio.sleep(0.2)
    assert len(host.renewals) == renewed


async def test_the_block_may_be_a_plain_with_on_the_loop() -> None:
    """The deliverer enters it with ``with`` (no coroutine): the heartbeat still renews a slow call's claim, and
    stops with the block."""
    host = _Host()
    with keep_claim(host, 8, "token", lease=0.15):  # type: ignore[arg-type]
        await eventually(lambda: len(host.renewals) >= 2)
    await asyncio.sleep(0)
    assert _heartbeats() == []
    assert [(row, token) for _, row, token in host.renewals] == [(8, "token")] * len(host.renewals)
