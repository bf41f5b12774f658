"""A process's own writes do not come back to it as notifications: they are dropped on the listening thread, so a
worker alone under load does not wake its event loop once per message and per listener for writes it knows of.
Another connection's notifications still arrive."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from agentkit.storage import MESSAGES_CHANNEL, Notification, PostgresDatabase
from agentkit.testing import eventually

pytestmark = pytest.mark.postgres


async def test_only_other_connections_notifications_reach_the_callback(pg_url: str) -> None:
    database = PostgresDatabase(pg_url, pool_size=1)
    database.open()
    heard: list[str] = []

    def callback(notification: Notification | None) -> None:
        if notification is not None:
            heard.append(notification.payload)

    listening = database.listen(MESSAGES_CHANNEL, callback)
    try:
        await eventually(lambda: listening.connected, 30)
        with database.transaction() as connection:  # one of the database's own pooled connections
            connection.execute("SELECT pg_notify(?, ?)", (MESSAGES_CHANNEL, "own"))
        with psycopg.connect(pg_url, autocommit=True) as other:  # as another worker would
            other.execute("SELECT pg_notify(%s, %s)", (MESSAGES_CHANNEL, "other"))
        await eventually(lambda: heard, 30)
        await asyncio.sleep(0)  # "own" was sent first: it would have been delivered before "other"
        assert heard == ["other"]
    finally:
        listening.cancel()
        database.close()
