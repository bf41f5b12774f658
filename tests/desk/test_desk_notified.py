"""Two desks on one PostgreSQL database, as two worker processes: a change one makes wakes the other's inbox watch
and pushes to its subscribers through LISTEN/NOTIFY, without anyone reading the event log on a timer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from agentkit.desk import DeskEvent, LocalDesk, Ticket
from agentkit.testing import eventually

OpenTicket = Callable[[LocalDesk], Awaitable[Ticket]]  # the open_ticket fixture (tests/desk/conftest.py)

pytestmark = pytest.mark.postgres

HOUR = 3600.0


@pytest.fixture
async def two_desks(pg_url: str) -> AsyncIterator[tuple[LocalDesk, LocalDesk]]:
    async with LocalDesk(pg_url) as here, LocalDesk(pg_url) as there:
        yield here, there


async def test_a_ticket_opened_by_another_worker_wakes_the_inbox_watch(
    two_desks: tuple[LocalDesk, LocalDesk], open_ticket: OpenTicket
) -> None:
    here, there = two_desks
    watch = here.watch()
    try:
        await eventually(lambda: here.notified, 30)
        await watch.wait(0)  # nothing pending from before
        woken = asyncio.ensure_future(watch.wait(HOUR))
        ticket = await open_ticket(there)
        async with asyncio.timeout(30):
            await woken
        assert [e.ticket_id for e in await here.events_since(0)] == [ticket.id]
    finally:
        watch.cancel()


async def test_another_workers_agent_reply_is_pushed_to_subscribers(
    two_desks: tuple[LocalDesk, LocalDesk], open_ticket: OpenTicket
) -> None:
    here, there = two_desks
    ticket = await open_ticket(here)
    pushed: list[DeskEvent] = []

    async def record(event: DeskEvent) -> None:
        pushed.append(event)

    subscription = here.subscribe(record)
    try:
        await eventually(lambda: here.notified, 30)
        await there.assign(ticket.id, "Ana")
        await there.reply(ticket.id, "Hello from the other worker")
        await eventually(lambda: [e.kind for e in pushed] == ["agent_assigned", "agent_message"], 30)
    finally:
        subscription.cancel()
    assert pushed[-1].text == "Hello from the other worker"
