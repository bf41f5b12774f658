"""Request bodies are read within a deadline under the event loop's one shared timer (``agentkit.loop.Cutoff``, as a
turn's deadline is): a read past its deadline is cancelled and told so, any other cancellation stands, and a
deadline is kept on time whatever the reads before it did."""

from __future__ import annotations

import asyncio
import time

import pytest

from agentkit.loop import Cutoff


async def read(seconds: float, wait: asyncio.Event) -> str:
    """A read that waits for ``wait``, as a body that has not arrived: ``"408"`` when its deadline passes."""
    deadline = Cutoff(seconds)
    try:
        await wait.wait()
    except asyncio.CancelledError:
        if not deadline.expired():
            raise
        return "408"
    finally:
        deadline.stop()
    return "read"


async def test_a_read_past_its_deadline_is_told_and_its_task_goes_on() -> None:
    never = asyncio.Event()

    async def request() -> tuple[str, int]:
        answer = await read(0.05, never)
        await asyncio.sleep(0)  # the task was not left cancelled: it answers the 408 itself
        task = asyncio.current_task()
        assert task is not None
        return answer, task.cancelling()

    assert await asyncio.wait_for(request(), 5) == ("408", 0)


async def test_reads_in_time_are_not_cut_and_a_shorter_deadline_after_a_longer_one_is_kept() -> None:
    arrived, never = asyncio.Event(), asyncio.Event()
    arrived.set()
    assert [await read(0.05, arrived) for _ in range(3)] == ["read"] * 3
    long = asyncio.ensure_future(read(30, never))
    short = asyncio.ensure_future(read(0.05, never))
    try:
        assert await asyncio.wait_for(short, 5) == "408"
        assert not long.done()
    finally:
        long.cancel()
        with pytest.raises(asyncio.CancelledError):
            await long


async def test_a_cancellation_from_elsewhere_stands_even_as_the_deadline_passes() -> None:
    never = asyncio.Event()
    reading = asyncio.ensure_future(read(30, never))
    await asyncio.sleep(0.01)
    reading.cancel()  # the client went away, say
    with pytest.raises(asyncio.CancelledError):
        await reading

    both = asyncio.ensure_future(read(0.05, never))
    await asyncio.sleep(0)  # it waits for its body
    asyncio.get_running_loop().call_at(asyncio.get_running_loop().time() + 0.04, both.cancel)
    time.sleep(0.1)  # noqa: ASYNC251 (the loop held: at its next turn the cancellation, then the deadline, are due)
    with pytest.raises(asyncio.CancelledError):
        await both
