"""Turn locks on PostgreSQL wait in the database: a worker waiting for a conversation another worker holds is woken
by PostgreSQL when the holder lets go, not by polling; a cancelled wait leaves nothing held; and two agents taking
turns on one conversation at once keep each turn whole and every message."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest

from agentkit.runtime import RUNTIME_MIGRATIONS, Agent, Conversation, HandlerContext, Store
from agentkit.testing import eventually

pytestmark = pytest.mark.postgres

_TURNS = 0x61676B01  # the turn locks' key space (agentkit.storage._postgres)


@pytest.fixture
async def two_stores(pg_url: str) -> AsyncIterator[tuple[Store, Store]]:
    first, second = Store(pg_url), Store(pg_url)
    await asyncio.gather(first.open(), second.open())
    await first.migrate(RUNTIME_MIGRATIONS)
    yield first, second
    await asyncio.gather(first.aclose(), second.aclose())


def _waiters_in_database(url: str, conversation_id: str) -> int:
    """Sessions waiting in PostgreSQL for the conversation's turn lock (not granted yet)."""
    with psycopg.connect(url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = %s "
            "AND objid::bigint = (hashtext(%s)::bigint & 4294967295)",
            (_TURNS, conversation_id),
        ).fetchone()
    assert row is not None
    return int(row[0])


async def _enter(store: Store, conversation_id: str, entered: asyncio.Event | None = None) -> None:
    async with store.hold(conversation_id):
        if entered is not None:
            entered.set()


async def test_a_waiter_waits_in_the_database_and_wakes_when_the_holder_lets_go(
    two_stores: tuple[Store, Store], pg_url: str
) -> None:
    first, second = two_stores
    conversation_id = f"c-{uuid.uuid4()}"
    async with first.hold(conversation_id):
        waiting = asyncio.ensure_future(_enter(second, conversation_id))
        await eventually(lambda: _waiters_in_database(pg_url, conversation_id) == 1, 30)
        assert not waiting.done()
    async with asyncio.timeout(30):
        await waiting  # woken by the release, with no poll interval to sit out
    assert _waiters_in_database(pg_url, conversation_id) == 0
    async with asyncio.timeout(30):
        await _enter(first, conversation_id)  # and the waiter gave the lock back in turn


async def test_a_cancelled_wait_leaves_nothing_held_or_waiting(two_stores: tuple[Store, Store], pg_url: str) -> None:
    first, second = two_stores
    conversation_id = f"c-{uuid.uuid4()}"
    async with first.hold(conversation_id):
        waiting = asyncio.ensure_future(_enter(second, conversation_id))
        await eventually(lambda: _waiters_in_database(pg_url, conversation_id) == 1, 30)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await eventually(lambda: _waiters_in_database(pg_url, conversation_id) == 0, 30)
    async with asyncio.timeout(30):
        await _enter(second, conversation_id)  # the cancelled waiter took nothing with it
        await _enter(first, conversation_id)


async def test_waits_do_not_take_the_connections_their_holders_need(pg_url: str) -> None:
    """Each of two workers holds conversations the other waits for, with more waits than its pool has connections,
    and each holder needs a transaction to finish its turn. Waits holding pooled connections would starve both
    workers' holders at once (a deadlock); waits on connections of their own cannot."""
    stores = Store(pg_url, pool_size=2), Store(pg_url, pool_size=2)
    await asyncio.gather(*(s.open() for s in stores))
    await stores[0].migrate(RUNTIME_MIGRATIONS)
    conversations = [f"c-{uuid.uuid4()}" for _ in range(8)]
    go = asyncio.Event()

    async def turn(store: Store, conversation_id: str, entered: asyncio.Event) -> None:
        async with store.hold(conversation_id):
            entered.set()
            await go.wait()
            await store.run(lambda connection: connection.execute("SELECT 1").fetchone())

    try:
        entered = [asyncio.Event() for _ in conversations]
        holders = [asyncio.ensure_future(turn(stores[i % 2], c, entered[i])) for i, c in enumerate(conversations)]
        await asyncio.gather(*(event.wait() for event in entered))
        waits = [asyncio.ensure_future(_enter(stores[(i + 1) % 2], c)) for i, c in enumerate(conversations)]
        await eventually(lambda: sum(_waiters_in_database(pg_url, c) for c in conversations) == 8, 30)
        go.set()
        async with asyncio.timeout(60):
            await asyncio.gather(*holders, *waits)
    finally:
        await asyncio.gather(*(s.aclose() for s in stores))


async def _echo(ctx: HandlerContext) -> None:
    await asyncio.sleep(0)  # the other agent's turn could start here, if the turn lock let it
    await ctx.send(f"echo: {ctx.message.text}")


async def test_two_agents_taking_turns_on_one_conversation_keep_each_turn_whole(pg_url: str) -> None:
    agents = [Agent("bot", "offline", conversation=Conversation(handler=_echo), store=pg_url) for _ in range(2)]
    conversation_id = f"c-{uuid.uuid4()}"
    texts = [f"message {i}" for i in range(24)]
    async with agents[0], agents[1]:
        await asyncio.gather(*(agents[i % 2].receive(conversation_id, text) for i, text in enumerate(texts)))
        history = await agents[0].history(conversation_id)
    said = [(m.role, m.text) for m in history]
    users = [text for role, text in said if role == "user"]
    assert sorted(users) == sorted(texts)  # every message stored, once
    pairs = list(zip(said[0::2], said[1::2], strict=True))
    assert all(u == ("user", t) and b == ("bot", f"echo: {t}") for (u, b), t in zip(pairs, users, strict=True))
    assert [m.id for m in history] == sorted(m.id for m in history)
