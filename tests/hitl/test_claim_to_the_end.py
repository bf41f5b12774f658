"""``claim_to_the_end``: a claim's transaction is finished even when its deliverer is cancelled (shutdown, a
deadline), and the row it claimed is then given back: a cancelled deliverer holds no row."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

import pytest

from agentkit.hitl._host import HitlHost, Post
from agentkit.hitl._lease import claim_to_the_end
from agentkit.testing import eventually

TOKEN = "t1"


class Recorder:
    """A connection that records the statements run on it."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        self.statements.append((sql, params))
        return None


class GatedHost:
    """A store whose first transaction runs only once the test opens the gate (it is in flight meanwhile)."""

    def __init__(self) -> None:
        self.connection = Recorder()
        self.in_flight, self.gate = asyncio.Event(), asyncio.Event()
        self.transactions = 0

    async def transact(self, fn: Callable[[Any, list[Post]], Any]) -> Any:
        self.transactions += 1
        if self.transactions == 1:
            self.in_flight.set()
            await self.gate.wait()
        return fn(self.connection, [])

    def releases(self) -> list[tuple[Any, ...]]:
        return [params for sql, params in self.connection.statements if "claim_token = NULL" in sql]


def claim_row(row_id: int | None) -> Callable[[Any, list[Post]], int | None]:
    def claim(connection: Any, posts: list[Post]) -> int | None:
        connection.execute("UPDATE hitl_outbox SET claim_token = ? WHERE id = ?", (TOKEN, row_id))
        return row_id

    return claim


def start(host: GatedHost, row_id: int | None) -> asyncio.Task[int | None]:
    return asyncio.ensure_future(claim_to_the_end(cast(HitlHost, host), claim_row(row_id), lambda r: r, TOKEN))


async def test_a_claim_not_cancelled_gives_its_row_and_releases_nothing() -> None:
    host = GatedHost()
    host.gate.set()
    assert await start(host, 7) == 7
    assert host.releases() == [] and host.transactions == 1


async def test_a_deliverer_cancelled_while_its_claim_is_in_flight_finishes_the_claim_then_gives_the_row_back() -> None:
    host = GatedHost()
    claiming = start(host, 7)
    await host.in_flight.wait()
    claiming.cancel()
    await asyncio.sleep(0)  # the cancellation reaches the deliverer's task: the claim goes on regardless
    assert not claiming.done() and host.releases() == []
    host.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await claiming
    assert host.releases() == [(7, TOKEN)]  # the claim ran (committed), and its row was given back after it


async def test_a_deadline_during_the_claim_is_a_timeout_and_the_row_is_given_back() -> None:
    host = GatedHost()
    claim = claim_to_the_end(cast(HitlHost, host), claim_row(7), lambda r: r, TOKEN)
    waiting = asyncio.current_task()
    assert waiting is not None

    async def open_the_gate_after_the_deadline() -> None:
        await host.in_flight.wait()
        await eventually(lambda: waiting.cancelling() > 0)  # the deadline has passed: its cancellation is pending
        host.gate.set()

    opener = asyncio.ensure_future(open_the_gate_after_the_deadline())
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await claim
    await opener
    assert host.releases() == [(7, TOKEN)]


async def test_a_cancelled_claim_that_claimed_nothing_gives_nothing_back() -> None:
    host = GatedHost()
    claiming = start(host, None)
    await host.in_flight.wait()
    claiming.cancel()
    host.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await claiming
    assert host.releases() == [] and host.transactions == 1


async def test_a_claim_that_fails_while_its_deliverer_is_cancelled_raises_its_own_error() -> None:
    host = GatedHost()

    def broken(connection: Any, posts: list[Post]) -> int:
        raise RuntimeError("the store failed")

    claiming = asyncio.ensure_future(claim_to_the_end(cast(HitlHost, host), broken, lambda r: r, TOKEN))
    await host.in_flight.wait()
    claiming.cancel()
    host.gate.set()
    with pytest.raises(RuntimeError, match="the store failed"):
        await claiming
    assert host.releases() == []
