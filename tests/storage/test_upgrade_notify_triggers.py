"""A PostgreSQL database of the release before (its messages and desk events notified by triggers) upgrades: the
triggers are dropped (runtime migration 3, desk migration 5), what it holds is still there, and the writers notify
instead, only while another worker listens."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from agentkit.desk import DESK_MIGRATIONS, LocalDesk
from agentkit.handoff import User
from agentkit.runtime import RUNTIME_MIGRATIONS, Agent, Conversation, HandlerContext
from agentkit.storage import DESK_CHANNEL, MESSAGES_CHANNEL, Component, migrate, open_database
from agentkit.testing import eventually

from .test_postgres_quiet_notifications import listeners, observing

pytestmark = pytest.mark.postgres


def triggers(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal ORDER BY 1"
        )
        return [str(row[0]) for row in rows]


def the_release_before(url: str) -> None:
    """The schema of the release before (runtime 2, desk 4), and a message it stored (its trigger notified)."""
    database = open_database(url)
    database.open()
    try:
        migrate(database, [
            Component(RUNTIME_MIGRATIONS.name, RUNTIME_MIGRATIONS.migrations[:2], RUNTIME_MIGRATIONS.tables),
            Component(DESK_MIGRATIONS.name, DESK_MIGRATIONS.migrations[:4], DESK_MIGRATIONS.tables),
        ])  # fmt: skip
        with database.transaction() as connection:
            connection.execute(
                "INSERT INTO messages (conversation_id, role, text, agent_name, at, visible, model_json) "
                "VALUES ('old', 'user', 'stored before the upgrade', NULL, 1.0, 1, NULL)"
            )
    finally:
        database.close()


async def _silent(ctx: HandlerContext) -> None:
    return None


async def test_the_notify_triggers_are_dropped_and_a_worker_alone_is_quiet(pg_url: str) -> None:
    the_release_before(pg_url)
    assert triggers(pg_url) == ["agentkit_notify_desk_events", "agentkit_notify_messages"]
    await eventually(lambda: listeners(pg_url) == 0, 30)  # those of the tests before have stopped
    async with Agent("bot", "offline", store=pg_url, conversation=Conversation(handler=_silent)) as agent:
        desk = LocalDesk(pg_url)
        try:
            assert triggers(pg_url) == []
            assert [m.text for m in await agent.history("old")] == ["stored before the upgrade"]
            await eventually(lambda: agent._subscribers.listening and agent._subscribers.listening.connected, 30)
            with observing(pg_url) as observer:
                await agent.receive(f"c-{uuid.uuid4()}", "hello")
                await desk.create_ticket(
                    conversation_id="c", idempotency_key=f"k-{uuid.uuid4()}", title="t", description="d",
                    priority="medium", user=User(id="u"),
                )  # fmt: skip
                assert observer.data() == []
                with observing(pg_url, announced=True) as other:  # another worker: now they notify
                    await eventually(lambda: other.heard(), 30)  # the agent's hello
                    stored = await agent.send("old", "after the upgrade")
                    await desk.create_ticket(
                        conversation_id="c", idempotency_key=f"k-{uuid.uuid4()}", title="t", description="d",
                        priority="medium", user=User(id="u"),
                    )  # fmt: skip
                    heard = other.data()
                    assert heard[0] == (MESSAGES_CHANNEL, f"{stored.id}:old")
                    assert [channel for channel, _ in heard[1:]] == [DESK_CHANNEL]
        finally:
            await desk.aclose()
