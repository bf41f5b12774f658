"""The loop's shared timer (``_alarms``) and ``within_deadline`` on it: ``asyncio.timeout``'s rules, one timer."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest

from agentkit.exceptions import DeadlineExceeded
from agentkit.loop import _deadline, within_deadline
from agentkit.loop._alarms import alarms


async def test_alarms_ring_in_time_order_and_a_removed_one_never_rings() -> None:
    rang: list[str] = []
    shared = alarms()
    shared.add(0.03, lambda: rang.append("later"))
    removed = shared.add(0.01, lambda: rang.append("removed"))
    shared.add(0.02, lambda: rang.append("sooner"))
    shared.remove(removed)
    await asyncio.sleep(0.2)
    assert rang == ["sooner", "later"]
    assert len(shared) == 0


async def test_an_alarm_removed_by_one_due_with_it_is_not_called() -> None:
    rang: list[str] = []
    shared = alarms()
    second: list[int] = []
    shared.add(0.01, lambda: (rang.append("first"), shared.remove(second[0])))
    second.append(shared.add(0.01, lambda: rang.append("second")))
    await asyncio.sleep(0.1)
    assert rang == ["first"]


async def test_an_alarm_added_sooner_than_the_timer_is_not_late() -> None:
    shared = alarms()
    rang = asyncio.Event()
    shared.add(3600.0, lambda: None)  # the timer is set an hour away
    key = shared.add(0.01, rang.set)
    await asyncio.wait_for(rang.wait(), 5)  # a generous bound: it rings at ~10 ms
    shared.remove(key)
    assert len(shared) == 1


@pytest.fixture(autouse=True)
def no_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_deadline, "GRACE", 0.0)


async def test_work_past_its_deadline_ends_as_deadline_exceeded_with_what_was_done() -> None:
    with pytest.raises(DeadlineExceeded, match="the test did not finish within its 0.05 s deadline") as raised:
        await within_deadline(asyncio.sleep(3600), 0.05, lambda: "partial", what="the test")
    assert raised.value.result == "partial"
    assert isinstance(raised.value.__cause__, TimeoutError)
    assert isinstance(raised.value.__cause__.__cause__, asyncio.CancelledError)
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0  # the cancellation it made is taken back
    await asyncio.sleep(0)  # and nothing is left pending for this task
    assert len(alarms()) == 0


async def test_a_cancellation_from_outside_stands_even_when_the_deadline_passed_too() -> None:
    started = asyncio.Event()

    async def run() -> None:
        started.set()
        await within_deadline(asyncio.sleep(3600), 0.05)

    task = asyncio.create_task(run())
    await started.wait()
    task.cancel()  # before the deadline
    with pytest.raises(asyncio.CancelledError):
        await task

    async def late() -> None:
        async def blocked() -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                current = asyncio.current_task()
                assert current is not None
                current.cancel()  # someone else cancels too, as the deadline's cancellation arrives
                raise

        await within_deadline(blocked(), 0.05)

    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(late())
    assert len(alarms()) == 0


async def test_work_that_ends_as_its_deadline_rings_keeps_its_result_and_leaves_no_cancellation() -> None:
    async def stubborn() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # the deadline rang, and the work ended anyway
        return "done"

    assert await within_deadline(stubborn(), 0.05) == "done"
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0


async def test_nested_deadlines_the_inner_one_ends_only_its_own_work() -> None:
    async def inner() -> str:
        try:
            await within_deadline(asyncio.sleep(3600), 0.05, what="the inner work")
        except DeadlineExceeded as error:
            return str(error)
        return "not reached"

    said = await within_deadline(inner(), 3600.0, what="the outer work")
    assert said == "the inner work did not finish within its 0.05 s deadline"
    assert len(alarms()) == 0


async def test_a_result_in_time_is_returned_and_its_alarm_removed() -> None:
    async def quick() -> int:
        await asyncio.sleep(0)
        return 7

    assert await within_deadline(quick(), 30.0) == 7
    assert await within_deadline(quick(), None) == 7
    assert len(alarms()) == 0


def test_a_loop_that_had_deadlines_is_freed_once_done_with() -> None:
    """Each loop's alarms go with it: ``execute_sync(..., timeout=...)`` called over and over (a loop each call)
    does not keep every loop it ran on in memory."""

    async def a_turn_with_a_deadline() -> weakref.ref[asyncio.AbstractEventLoop]:
        await within_deadline(asyncio.sleep(0), 30.0)
        return weakref.ref(asyncio.get_running_loop())

    loops = [asyncio.run(a_turn_with_a_deadline()) for _ in range(3)]
    gc.collect()
    assert [loop() for loop in loops] == [None, None, None]


def test_a_loop_that_takes_no_attribute_still_has_one_alarms() -> None:
    class SlottedLoop:  # as uvloop's: no attribute of its own can be set on it
        __slots__ = ("__weakref__",)

        def time(self) -> float:
            return 0.0

    loop: Any = SlottedLoop()
    assert alarms(loop) is alarms(loop)
