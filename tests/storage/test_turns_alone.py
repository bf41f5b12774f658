"""A worker alone on its PostgreSQL database takes no turn lock there; a newcomer begins no turn before the worker
alone has handed over, and then not one on a conversation whose turn began alone and has not ended."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
import pytest

from agentkit.runtime import RUNTIME_MIGRATIONS, Agent, Conversation, HandlerContext, Store
from agentkit.storage import _listen, _pg_alone
from agentkit.testing import eventually

from .test_turn_locks import turn_locks_in_database

pytestmark = pytest.mark.postgres

_NAMED, _SOLO = 0x61676B00, 3  # agentkit.storage._pg_alone's keys


def _solo(url: str) -> list[str]:
    """How SOLO is held: ["ExclusiveLock"] by a worker alone, a "ShareLock" per worker otherwise."""
    with psycopg.connect(url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT mode FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s AND objid = %s "
            "AND objsubid = 2 ORDER BY mode",
            (_NAMED, _SOLO),
        ).fetchall()
    return [row[0] for row in rows]


@pytest.fixture(autouse=True)
def look_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker looks whether it is alone every 50 ms: a listener of an earlier test, which takes a moment to hang
    up, keeps it from being alone only that long."""
    monkeypatch.setattr(_pg_alone, "LOOK_AGAIN", 0.05)


@pytest.fixture
async def alone(pg_url: str) -> AsyncIterator[Store]:
    store = Store(pg_url)
    await store.open()
    await store.migrate(RUNTIME_MIGRATIONS)
    try:
        await eventually(lambda: _solo(pg_url) == ["ExclusiveLock"], 30)
        yield store
    finally:
        await store.aclose()


@asynccontextmanager
async def _another_worker(pg_url: str) -> AsyncIterator[Store]:
    """A second worker's store on the database, open for the block (its ``open`` waits for the hand-over)."""
    store = Store(pg_url)
    try:
        await store.open()
        yield store
    finally:
        await store.aclose()


async def _enter(store: Store, conversation_id: str) -> None:
    async with store.hold(conversation_id):
        pass


async def test_a_worker_alone_takes_no_turn_lock_in_the_database(alone: Store, pg_url: str) -> None:
    conversation_id = f"c-{uuid.uuid4()}"
    async with alone.hold(conversation_id):
        assert turn_locks_in_database(pg_url, conversation_id) == 0
    await _enter(alone, conversation_id)


async def test_a_newcomer_begins_no_turn_on_a_conversation_whose_turn_began_alone(alone: Store, pg_url: str) -> None:
    """The hand-over: the newcomer opens once the worker alone holds the lock of its turn in flight in the
    database, so the newcomer's turn on that conversation waits for it (were it not taken, it would begin at
    once, beside the turn in flight); another conversation is not held up."""
    conversation_id, other = f"c-{uuid.uuid4()}", f"c-{uuid.uuid4()}"
    newcomer = Store(pg_url)
    try:
        async with alone.hold(conversation_id):
            async with asyncio.timeout(30):
                await newcomer.open()  # waits for the hand-over
            assert _solo(pg_url) == ["ShareLock", "ShareLock"]
            entering = asyncio.ensure_future(_enter(newcomer, conversation_id))
            await eventually(
                lambda: entering.done() or turn_locks_in_database(pg_url, conversation_id, granted=False) == 1, 30
            )
            assert not entering.done()
            async with asyncio.timeout(30):
                await _enter(newcomer, other)
        async with asyncio.timeout(30):
            await entering  # the turn that began alone gave its lock back in the database
        assert turn_locks_in_database(pg_url, conversation_id) == 0
        async with asyncio.timeout(30):
            await _enter(alone, conversation_id)
    finally:
        await newcomer.aclose()


async def test_after_the_hand_over_every_turn_takes_its_lock(alone: Store, pg_url: str) -> None:
    conversation_id = f"c-{uuid.uuid4()}"
    async with _another_worker(pg_url) as second, alone.hold(conversation_id), second.hold(f"c-{uuid.uuid4()}"):
        assert turn_locks_in_database(pg_url, conversation_id) == 1


async def test_a_worker_is_alone_again_once_the_other_has_gone(alone: Store, pg_url: str) -> None:
    async with _another_worker(pg_url):
        assert _solo(pg_url) == ["ShareLock", "ShareLock"]
    await eventually(lambda: _solo(pg_url) == ["ExclusiveLock"], 30)


async def test_another_process_listening_is_another_worker(alone: Store, pg_url: str) -> None:
    """A worker whose listener says hello (an older one too, which knows nothing of SOLO): the worker alone hands
    over, and its turn in flight takes its lock in the database; while it listens, no worker is alone."""
    conversation_id = f"c-{uuid.uuid4()}"
    with psycopg.connect(pg_url, autocommit=True) as other:
        async with alone.hold(conversation_id):
            other.execute("SET application_name = 'agentkit-listen'")
            other.execute("NOTIFY agentkit_listeners")
            await eventually(lambda: _solo(pg_url) == ["ShareLock"], 30)
            assert turn_locks_in_database(pg_url, conversation_id) == 1
        assert turn_locks_in_database(pg_url, conversation_id) == 0
        async with _another_worker(pg_url):
            assert _solo(pg_url) == ["ShareLock", "ShareLock"]


async def test_a_dropped_connection_takes_the_turns_in_flight_to_the_database(alone: Store, pg_url: str) -> None:
    conversation_id = f"c-{uuid.uuid4()}"
    async with alone.hold(conversation_id):
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s "
                "AND objid = %s AND objsubid = 2",
                (_NAMED, _SOLO),
            )
        await eventually(lambda: turn_locks_in_database(pg_url, conversation_id) == 1, 30)
        await eventually(lambda: _solo(pg_url) == ["ExclusiveLock"], 30)  # connected again, and alone
    assert turn_locks_in_database(pg_url, conversation_id) == 0


def _listening(url: str) -> bool:
    """This process listens on ``url``: connected, the others looked up, and its hello said."""
    listener = _listen._listeners.get(url)
    return listener is not None and listener.connected


async def _echo(ctx: HandlerContext) -> None:
    await ctx.send(f"echo: {ctx.message.text}")


async def test_a_worker_s_own_listener_is_not_another_worker(pg_url: str) -> None:
    agent = Agent("bot", "offline", conversation=Conversation(handler=_echo), store=pg_url)
    conversation_id = f"c-{uuid.uuid4()}"
    async with agent:
        await agent.receive(conversation_id, "hello")
        await eventually(lambda: _listening(pg_url), 30)  # connected, and said hello
        await eventually(lambda: _solo(pg_url) == ["ExclusiveLock"], 30)  # heard, and alone all the same
        await agent.receive(conversation_id, "again")
        history = await agent.history(conversation_id)
    assert [m.text for m in history] == ["hello", "echo: hello", "again", "echo: again"]


async def test_a_newcomer_does_not_wait_forever_for_a_stuck_worker_alone(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pg_alone, "HAND_OVER_LIMIT", 0.2)
    with psycopg.connect(pg_url, autocommit=True) as stuck:
        stuck.execute("SELECT pg_advisory_lock(%s, %s)", (_NAMED, _SOLO))  # alone, and deaf to agentkit_turns
        newcomer = Store(pg_url)
        with pytest.raises(RuntimeError, match="is it stuck"):
            await newcomer.open()
        assert not newcomer.is_open


def _listens(store: Store) -> bool:
    """Whether the store's SOLO connection listens (``_pg_alone``)."""
    return bool(store._turns._alone.listening)  # type: ignore[union-attr, attr-defined]


async def test_a_worker_sharing_the_database_does_not_listen_on_its_solo_connection(alone: Store, pg_url: str) -> None:
    """PostgreSQL wakes every listening connection at each commit that notifies, whatever the channel: a worker
    sharing the database has nothing to hear there (before s12-workers, each woken for every message stored)."""
    assert _listens(alone)
    async with _another_worker(pg_url) as second:
        assert _solo(pg_url) == ["ShareLock", "ShareLock"]
        assert not _listens(alone) and not _listens(second)
    await eventually(lambda: _solo(pg_url) == ["ExclusiveLock"] and _listens(alone), 30)


async def test_a_worker_alone_again_hears_a_newcomer_at_once(
    alone: Store, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alone again, it listens again: a newcomer's call is heard, not found at the next look (an hour here)."""
    async with _another_worker(pg_url):
        pass
    await eventually(lambda: _solo(pg_url) == ["ExclusiveLock"], 30)
    monkeypatch.setattr(_pg_alone, "LOOK_AGAIN", 3600.0)
    monkeypatch.setattr(_pg_alone, "HAND_OVER_LIMIT", 20.0)
    await asyncio.sleep(0.2)  # its wait of 50 ms ends: the next one lasts an hour
    async with _another_worker(pg_url):
        assert _solo(pg_url) == ["ShareLock", "ShareLock"]
