"""On PostgreSQL, a message another worker stores reaches this process's subscriptions and webchat streams through
LISTEN/NOTIFY, not by polling: the streams here poll every hour, so only a notification can bring it in time. A
dropped listening connection is made again, and a stream polls meanwhile; what was stored meanwhile then reaches
a subscription once and in order."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest

from agentkit.runtime import Agent, ChatMessage, Conversation, HandlerContext
from agentkit.server._chat_api import _message_events
from agentkit.server._state import ServerState
from agentkit.storage import Listening, _listen
from agentkit.testing import eventually

pytestmark = pytest.mark.postgres

HOUR = 3600.0


async def _silent(ctx: HandlerContext) -> None:
    return None


@pytest.fixture
async def two_agents(pg_url: str) -> AsyncIterator[tuple[Agent, Agent]]:
    """Two agents on one database, each with its own store, as two worker processes would have."""
    here, there = (Agent(name, "offline", conversation=Conversation(handler=_silent), store=pg_url)
                   for name in ("here", "there"))  # fmt: skip
    async with here, there:
        yield here, there


async def _listening(agent: Agent) -> Listening:
    """The agent's listener (one per process and database), once it listens."""
    listening = await eventually(lambda: agent._subscribers.listening, 30)
    await eventually(lambda: listening.connected, 30)
    return listening


async def _backend(listening: Listening) -> int:
    pid = await eventually(lambda: listening.backend_pid or 0, 30)
    return pid


async def _next(updates: AsyncIterator[Any]) -> Any:
    async with asyncio.timeout(30):
        return await anext(updates)


async def test_a_message_another_worker_stores_reaches_a_subscription(two_agents: tuple[Agent, Agent]) -> None:
    here, there = two_agents
    conversation_id = f"c-{uuid.uuid4()}"
    async with here.subscribe(conversation_id) as updates:
        await eventually(lambda: updates.notified, 30)
        mine = await here.send(conversation_id, "from here")
        theirs = await there.send(conversation_id, "from there")
        received: list[ChatMessage] = [await _next(updates), await _next(updates)]
    assert [(m.id, m.text) for m in received] == [(mine.id, "from here"), (theirs.id, "from there")]  # ours once


@asynccontextmanager
async def _stream(agent: Agent, conversation_id: str, poll: float) -> AsyncIterator[AsyncGenerator[str, None]]:
    """The webchat's event stream of the conversation, reading the store every ``poll`` seconds."""
    state = ServerState(agent=agent, store=None, desk_app=None, hitl=None,  # type: ignore[arg-type]
                        keepalive_interval=HOUR, message_poll_interval=poll)  # fmt: skip
    events = _message_events(state, conversation_id, 0)
    try:
        yield events
    finally:
        await events.aclose()
        await state.quotas.aclose()


async def test_a_message_another_worker_stores_reaches_a_webchat_stream_that_polls_every_hour(
    two_agents: tuple[Agent, Agent],
) -> None:
    here, there = two_agents
    conversation_id = f"c-{uuid.uuid4()}"
    await here.send(conversation_id, "before")
    async with _stream(here, conversation_id, poll=HOUR) as stream:
        assert "before" in await _next(stream)
        await _listening(here)
        await there.send(conversation_id, "a human's reply, on the other worker")
        assert "a human's reply, on the other worker" in await _next(stream)


def _drop(url: str, backend_pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend_pid,))


async def test_a_dropped_listener_connects_again_and_notifies_again(
    two_agents: tuple[Agent, Agent], pg_url: str
) -> None:
    here, there = two_agents
    conversation_id = f"c-{uuid.uuid4()}"
    async with here.subscribe(conversation_id) as updates:
        listening = await _listening(here)
        first = await _backend(listening)
        _drop(pg_url, first)
        await eventually(lambda: listening.backend_pid not in (None, first), 60)
        await there.send(conversation_id, "after the reconnect")
        assert (await _next(updates)).text == "after the reconnect"


async def test_while_the_listener_is_down_a_stream_polls(
    two_agents: tuple[Agent, Agent], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = two_agents
    conversation_id = f"c-{uuid.uuid4()}"
    listening = await _listening(here)
    monkeypatch.setattr(_listen, "_FIRST_RETRY", HOUR)  # dropped, it stays down for the test
    monkeypatch.setattr(_listen, "_LAST_RETRY", HOUR)
    _drop(pg_url, await _backend(listening))
    await eventually(lambda: not listening.connected, 30)
    async with _stream(here, conversation_id, poll=0.05) as stream:
        await there.send(conversation_id, "while the listener is down")
        assert "while the listener is down" in await _next(stream)


async def test_what_another_worker_stored_while_the_listener_reconnected_reaches_a_subscription_once_in_order(
    two_agents: tuple[Agent, Agent], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = two_agents
    conversation_id = f"c-{uuid.uuid4()}"
    before = await here.send(conversation_id, "before the subscription")
    async with here.subscribe(conversation_id) as updates:
        listening = await _listening(here)
        await eventually(lambda: updates.anchor == before.id, 30)
        reconnect = threading.Event()  # the listener connects again only once the messages are stored
        connect = listening._listener._connect
        monkeypatch.setattr(listening._listener, "_connect", lambda: reconnect.wait(60) and connect())
        _drop(pg_url, await _backend(listening))
        await eventually(lambda: not listening.connected, 30)
        mine = await here.send(conversation_id, "from here, published as written, read again after the reconnect")
        missed = [mine] + [await there.send(conversation_id, f"missed {n}") for n in range(3)]
        reconnect.set()
        received = [await _next(updates) for _ in missed]
        later = [await here.send(conversation_id, "later, from here"), await there.send(conversation_id, "from there")]
        received += [await _next(updates), await _next(updates)]
    assert [m.id for m in received] == [m.id for m in missed + later]  # each once, in order; "before" not at all
