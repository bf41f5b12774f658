"""Several stores on one PostgreSQL database at once, in one process: each ``Store`` has its own connections, as a
worker process would. The locks that keep the SQLite guarantees when transactions really run side by side."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from functools import partial

import pytest

from agentkit.desk import LocalDesk, Ticket
from agentkit.handoff import User
from agentkit.hitl import HITL_MIGRATIONS, HitlPlugin, MemoryHitl, SessionConfig
from agentkit.hitl import _outbox as outbox
from agentkit.hitl import _state as state
from agentkit.models import ScriptedModel
from agentkit.runtime import RUNTIME_MIGRATIONS, Agent, ChatMessage, Store
from agentkit.runtime import _messages as messages
from agentkit.storage import Connection

pytestmark = pytest.mark.postgres


@pytest.fixture
async def two_stores(pg_url: str) -> AsyncIterator[tuple[Store, Store]]:
    first, second = Store(pg_url), Store(pg_url)
    await asyncio.gather(first.open(), second.open())
    await asyncio.gather(*(s.migrate(RUNTIME_MIGRATIONS, HITL_MIGRATIONS) for s in (first, second)))
    yield first, second
    await asyncio.gather(first.aclose(), second.aclose())


async def test_a_conversation_is_held_by_one_store_at_a_time(two_stores: tuple[Store, Store]) -> None:
    first, second = two_stores
    async with first.hold("c1"):
        waiting = asyncio.ensure_future(_enter(second, "c1"))
        async with asyncio.timeout(2):
            async with second.hold("c2"):  # another conversation is not held up
                pass
        await asyncio.sleep(0.1)
        assert not waiting.done()
    async with asyncio.timeout(2):
        await waiting  # and once the first lets go, the second gets it


async def _enter(store: Store, conversation_id: str) -> None:
    async with store.hold(conversation_id):
        pass


def _insert_slowly(connection: Connection, text: str) -> None:
    messages.insert_message(connection, "c1", "user", text)
    time.sleep(random.uniform(0, 0.005))  # more work in the same transaction: commits come out of order


async def test_messages_are_numbered_in_the_order_they_commit(two_stores: tuple[Store, Store]) -> None:
    texts = [f"m{i}" for i in range(40)]
    writes = [two_stores[i % 2].run(partial(_insert_slowly, text=text)) for i, text in enumerate(texts)]
    seen: list[ChatMessage] = []

    async def poll() -> None:
        while len(seen) < len(texts):
            newer = partial(messages.load_visible, conversation_id="c1", after=seen[-1].id if seen else 0)
            seen.extend(await two_stores[0].run(newer))

    async with asyncio.timeout(10):  # a message committed after a higher number would never be seen
        await asyncio.gather(poll(), *writes)
    assert sorted(m.text for m in seen) == sorted(texts)


def _new_session(connection: Connection) -> Callable[[], int]:
    session = state.create_session(
        connection, "hitl", "c1", after=0, title="Wants a person", priority="high", user=User("u1"),
        config=SessionConfig(), now=time.time(),
    )  # fmt: skip
    outbox.enqueue_start_at_commit(connection, "hitl", ("c1", 1), {}, time.time())
    return lambda: session().row_id


def _claim_slowly(connection: Connection, session_row: int, token: str) -> bool:
    claimed = outbox.claim_next(connection, session_row, token, time.time(), 30.0, due_only=False)
    time.sleep(0.005)
    return claimed is not None


async def test_two_deliverers_never_claim_the_same_row(two_stores: tuple[Store, Store]) -> None:
    session_row = (await two_stores[0].run(_new_session))()
    claims = [two_stores[i % 2].run(partial(_claim_slowly, session_row=session_row, token=f"d{i}")) for i in range(16)]
    assert sum(await asyncio.gather(*claims)) == 1


async def test_two_agents_escalating_one_conversation_at_once_open_one_session(pg_url: str) -> None:
    helpdesks = [MemoryHitl(), MemoryHitl()]
    hitl = [HitlPlugin(helpdesk) for helpdesk in helpdesks]
    agents = [Agent("bot", ScriptedModel([]), plugins={"hitl": plugin}, store=pg_url) for plugin in hitl]
    async with agents[0], agents[1]:
        conversations = [f"c{i}" for i in range(10)]
        starts = [p.actions.start_hitl(cid, "Wants a person", user_id="u1") for cid in conversations for p in hitl]
        statuses = [started.status for started in await asyncio.gather(*starts)]
    assert sorted(statuses) == ["already_escalated"] * 10 + ["opened"] * 10
    assert sum(len(h.start_calls) for h in helpdesks) == 10


async def _open_ticket(desk: LocalDesk, key: str = "c1:1") -> Ticket:
    return await desk.create_ticket(
        conversation_id="c1", idempotency_key=key, title="Wants a person", description="", priority="high",
        user=User("u1"),
    )  # fmt: skip


async def test_two_desks_open_one_ticket_per_idempotency_key(pg_url: str) -> None:
    async with LocalDesk(pg_url) as first, LocalDesk(pg_url) as second:
        tickets = await asyncio.gather(*(_open_ticket(desk) for _ in range(5) for desk in (first, second)))
        assert {t.id for t in tickets} == {tickets[0].id}
        assert len(await second.tickets()) == 1
        assert [(e.kind, e.ticket_id) for e in await first.events_since(0)] == [("ticket_created", tickets[0].id)]


async def test_desk_events_from_two_desks_are_numbered_in_commit_order(pg_url: str) -> None:
    async with LocalDesk(pg_url) as first, LocalDesk(pg_url) as second:
        # Many tickets: replies to one ticket would wait on its row anyway, whatever the event log does.
        tickets = [await _open_ticket(first, f"c{i}:1") for i in range(30)]
        replies = [
            desk.reply(t.id, f"{t.id}-{desk is first}", agent_name="Ana") for t in tickets for desk in (first, second)
        ]
        seen: list[str] = []

        async def poll() -> None:
            cursor = 0
            while len(seen) < len(replies):
                for event in await first.events_since(cursor):
                    if event.kind == "agent_message":  # not the tickets' creation
                        seen.append(event.text or "")
                    cursor = event.seq

        async with asyncio.timeout(10):  # an event committed after a higher number would never be seen
            await asyncio.gather(poll(), *replies)
        assert sorted(seen) == sorted(f"{t.id}-{flag}" for t in tickets for flag in (True, False))
