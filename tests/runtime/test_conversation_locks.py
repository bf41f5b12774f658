"""One lock per conversation: its turns in call order, other conversations free, nothing kept once idle."""

from __future__ import annotations

import asyncio

import pytest

from agentkit.runtime._locks import ConversationLocks


async def test_turns_of_a_conversation_run_one_at_a_time_in_call_order() -> None:
    locks = ConversationLocks()
    seen: list[str] = []

    async def turn(name: str) -> None:
        async with locks.hold("c1"):
            seen.append(f"{name} in")
            await asyncio.sleep(0)  # others run meanwhile, and wait
            seen.append(f"{name} out")

    await asyncio.gather(*(turn(f"t{n}") for n in range(4)))
    assert seen == [f"t{n} {side}" for n in range(4) for side in ("in", "out")]
    assert len(locks) == 0


async def test_another_conversation_does_not_wait() -> None:
    locks = ConversationLocks()
    async with locks.hold("c1"):
        async with asyncio.timeout(5):  # a generous bound: it would wait forever if it shared c1's lock
            async with locks.hold("c2"):
                assert len(locks) == 2
    assert len(locks) == 0


async def test_a_turn_cancelled_while_waiting_leaves_the_others_their_order_and_no_entry() -> None:
    locks = ConversationLocks()
    seen: list[str] = []
    entered = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with locks.hold("c1"):
            entered.set()
            await release.wait()
            seen.append("first")

    async def after(name: str) -> None:
        async with locks.hold("c1"):
            seen.append(name)

    holder = asyncio.create_task(first())
    await entered.wait()
    waiting = asyncio.create_task(after("cancelled"))
    last = asyncio.create_task(after("last"))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await asyncio.gather(holder, last)
    assert seen == ["first", "last"]
    assert len(locks) == 0


async def test_an_error_in_a_turn_lets_the_next_one_in() -> None:
    locks = ConversationLocks()
    with pytest.raises(ValueError, match="boom"):
        async with locks.hold("c1"):
            raise ValueError("boom")
    assert len(locks) == 0
    async with asyncio.timeout(5):  # generous: the lock was given back
        async with locks.hold("c1"):
            pass
