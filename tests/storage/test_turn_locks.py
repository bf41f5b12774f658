"""Turn locks on PostgreSQL wait in the database: a worker waiting for a conversation another worker holds is woken
by PostgreSQL when the holder lets go, not by polling; a cancelled wait leaves nothing held; and two agents taking
turns on one conversation at once keep each turn whole and every message."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence

import psycopg
import pytest

from agentkit.runtime import RUNTIME_MIGRATIONS, Agent, Conversation, HandlerContext, Store
from agentkit.storage import BatchOutcome, PostgresDatabase, TurnLocks, TurnOperation
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


def turn_locks_in_database(url: str, conversation_id: str, *, granted: bool = True) -> int:
    """Sessions holding (``granted``) or waiting for the conversation's turn lock in PostgreSQL."""
    with psycopg.connect(url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted = %s AND classid = %s "
            "AND objid::bigint = (hashtext(%s)::bigint & 4294967295)",
            (granted, _TURNS, conversation_id),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _waiters_in_database(url: str, conversation_id: str) -> int:
    """Sessions waiting in PostgreSQL for the conversation's turn lock (not granted yet)."""
    return turn_locks_in_database(url, conversation_id, granted=False)


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


async def test_turns_taken_and_given_back_at_the_same_moment_share_a_round_trip(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Conversations whose turns start or end while their lane's statement is in flight go to PostgreSQL together
    (one ``SELECT`` of several lock calls); each turn still holds its conversation alone, and every lock is given
    back."""
    lane_batches: list[int] = []
    turn_locks_type = type(PostgresDatabase(pg_url).turn_locks())
    original = turn_locks_type.run_lane

    def counted(self: TurnLocks, lane: int, operations: Sequence[TurnOperation]) -> list[BatchOutcome]:
        lane_batches.append(len(operations))
        return original(self, lane, operations)

    monkeypatch.setattr(turn_locks_type, "run_lane", counted)
    conversations = [f"c-{uuid.uuid4()}" for _ in range(40)]
    inside: set[str] = set()

    async def turn(store: Store, conversation_id: str) -> None:
        async with store.hold(conversation_id):
            assert conversation_id not in inside
            inside.add(conversation_id)
            await asyncio.sleep(0)
            inside.discard(conversation_id)

    store, other = Store(pg_url), Store(pg_url)
    await asyncio.gather(store.open(), other.open())
    try:
        await asyncio.gather(*(turn(store, c) for c in conversations), *(turn(store, c) for c in conversations))
        assert sum(lane_batches) == 4 * len(conversations)  # a take and a release per turn, two turns each
        assert len(lane_batches) < sum(lane_batches)  # some went together
        async with asyncio.timeout(30):  # none is left held: another worker takes each at once
            await asyncio.gather(*(turn(other, c) for c in conversations))
    finally:
        await asyncio.gather(store.aclose(), other.aclose())


def test_a_lane_takes_and_gives_back_in_order_in_one_statement(pg_url: str) -> None:
    first, second = PostgresDatabase(pg_url), PostgresDatabase(pg_url)
    mine, theirs = first.turn_locks(), second.turn_locks()
    conversation_id = f"c-{uuid.uuid4()}"
    lane = mine.lane(conversation_id)
    try:
        # The second take of a conversation this process holds must wait, as PostgreSQL's locks are re-entrant.
        twice = mine.run_lane(lane, [("take", conversation_id), ("take", conversation_id)])
        assert twice == [(True, True), (True, False)]
        assert theirs.run_lane(theirs.lane(conversation_id), [("take", conversation_id)]) == [(True, False)]
        # Given back and taken again in one batch: in that order.
        assert mine.run_lane(lane, [("release", conversation_id), ("take", conversation_id)]) == [
            (True, None),
            (True, True),
        ]
        assert mine.run_lane(lane, [("release", conversation_id), ("release", conversation_id)]) == [(True, None)] * 2
        assert theirs.try_acquire(conversation_id)
        theirs.release(conversation_id)
    finally:
        mine.close()
        theirs.close()


class _OneByOne(TurnLocks):
    """Turn locks without a batch of their own: ``run_lane`` calls ``try_acquire`` and ``release``."""

    def __init__(self) -> None:
        self.held: set[str] = set()

    def try_acquire(self, conversation_id: str) -> bool:
        if conversation_id == "broken":
            raise OSError("the lock server is down")
        taken = conversation_id not in self.held
        self.held.add(conversation_id)
        return taken

    def wait(self, conversation_id: str) -> bool:
        raise NotImplementedError

    def interrupt(self, conversation_id: str) -> None:
        raise NotImplementedError

    def release(self, conversation_id: str) -> None:
        self.held.discard(conversation_id)

    def close(self) -> None:
        self.held.clear()


def test_turn_locks_without_batches_of_their_own_run_a_lane_one_by_one() -> None:
    locks = _OneByOne()
    outcomes = locks.run_lane(0, [("take", "a"), ("take", "broken"), ("take", "a"), ("release", "a"), ("take", "a")])
    assert outcomes[:1] == [(True, True)] and outcomes[2:] == [(True, False), (True, None), (True, True)]
    ok, error = outcomes[1]
    assert not ok and isinstance(error, OSError)  # only its own caller hears of it
