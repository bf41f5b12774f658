"""A 0.1.0 data folder (SQLite) and a 0.1.0 PostgreSQL database upgrade with nothing lost: conversations, messages,
tickets, accounts, tokens, and the open HITL session, which keeps relaying. A second upgrade changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentkit.cli import main
from agentkit.desk import ACCOUNTS_MIGRATIONS, DESK_MIGRATIONS, LocalDesk
from agentkit.hitl import HITL_MIGRATIONS, DeskHitl
from agentkit.runtime import RUNTIME_MIGRATIONS, Agent, ChatMessage, Subscription
from agentkit.server import DatabaseServerStore
from agentkit.storage import open_database
from agentkit.testing import TemporaryPostgres

from .fixtures.v0_1_0 import copy_data_folder, manifest, restore_dump


@dataclass
class Old:
    """Where the 0.1.0 data was put for this test, and what it holds."""

    backend: str
    agent_store: str
    desk: str
    accounts: str
    made: dict[str, Any]

    @property
    def databases(self) -> list[str]:
        return sorted({self.agent_store, self.desk, self.accounts})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Old]:
    if request.param == "sqlite":
        data = copy_data_folder(tmp_path / "data")
        yield Old("sqlite", f"sqlite:///{data}/support_bot.sqlite3", str(data / "desk.sqlite3"),
                  str(data / "server.sqlite3"), manifest("sqlite"))  # fmt: skip
        return
    server: TemporaryPostgres = request.getfixturevalue("postgres")
    with server.fresh_schema() as url:
        restore_dump(url)
        yield Old("postgresql", url, url, url, manifest("postgresql"))


@asynccontextmanager
async def support_bot(old: Old) -> AsyncIterator[Agent]:
    """The bot of examples/support_bot.py, on the old data, as `agentkit serve` (with --db on PostgreSQL) runs it."""
    agent = Agent("support-bot", "offline", plugins={"desk-hitl": DeskHitl(old.desk, poll_interval=0.05)},
                  store=old.agent_store)  # fmt: skip
    async with agent:
        yield agent


def recorded(url: str) -> list[tuple[str, int]]:
    database = open_database(url)
    database.open()
    try:
        with database.transaction(write=False) as connection:
            rows = connection.execute("SELECT component, version FROM agentkit_migrations ORDER BY 1, 2")
            return [(str(r[0]), int(r[1])) for r in rows]
    finally:
        database.close()


async def next_messages(subscription: Subscription, count: int) -> list[ChatMessage]:
    async with asyncio.timeout(10):
        return [await anext(subscription) for _ in range(count)]


async def test_everything_010_wrote_is_there_after_the_upgrade(old: Old) -> None:
    made = old.made
    ids = {name: c["id"] for name, c in made["conversations"].items()}
    async with support_bot(old) as agent:
        for name, conversation_id in ids.items():
            history = [[m.role, m.text] for m in await agent.history(conversation_id)]
            assert history == made["history"][name], name
        desk = agent.plugins["desk-hitl"].desk
        tickets = {t.conversation_id: t for t in await desk.tickets()}
        for name, ticket in made["tickets"].items():
            found = tickets[ids[name]]
            assert (found.id, found.status, len(found.messages)) == (ticket["id"], ticket["status"], ticket["messages"])
            assert found.bot_name is None  # 0.1.0 did not record the bot that opened a ticket
        for name, state in made["sessions"].items():
            assert await agent.plugins["desk-hitl"].state(ids[name]) == (state if state != "none" else "none")

    store = DatabaseServerStore(old.accounts)
    try:
        for name, password in made["passwords"].items():
            assert await store.check_agent(name, password), f"{name} signs in with the 0.1.0 password"
            assert not await store.check_agent(name, password + "x")
        assert await store.bot_for_token(made["bot"]["token"]) == made["bot"]["name"]
        for conversation in made["conversations"].values():
            user = await store.conversation_user(conversation["id"], conversation["token"])
            assert user is not None and user["name"] == "Jo Doe"
    finally:
        await store.aclose()


async def test_the_open_session_still_relays_both_ways(old: Old) -> None:
    conversation_id = old.made["conversations"]["open"]["id"]
    ticket_id = old.made["tickets"]["open"]["id"]
    async with support_bot(old) as agent:
        desk: LocalDesk = agent.plugins["desk-hitl"].desk
        assert await agent.receive(conversation_id, "Are you still there?") == []  # to the human; no model turn
        assert (await desk.ticket(ticket_id)).messages[-1].text == "Are you still there?"
        updates = agent.subscribe(conversation_id)
        await desk.reply(ticket_id, "Yes! Your parcel leaves today.")
        (reply,) = await next_messages(updates, 1)
        assert (reply.role, reply.text, reply.agent_name) == ("agent", "Yes! Your parcel leaves today.", "ana")
        updates.close()
        # The ended conversation is the bot's again, and a new handoff opens a second ticket for it.
        ended = old.made["conversations"]["ended"]["id"]
        await agent.receive(ended, "I want to talk to a person again")
        assert await agent.plugins["desk-hitl"].state(ended) == "pending"
        assert [t.idempotency_key for t in await desk.tickets() if t.conversation_id == ended] == [
            f"{ended}:1",
            f"{ended}:2",
        ]


async def test_a_second_upgrade_changes_nothing(old: Old, capsys: pytest.CaptureFixture[str]) -> None:
    target = str(Path(old.desk).parent) if old.backend == "sqlite" else old.agent_store
    assert main(["db", "upgrade", target]) == 0
    first = {url: recorded(url) for url in old.databases}
    expected = {"runtime", "hitl", "desk", "accounts"}
    assert {name for rows in first.values() for name, _ in rows} == expected
    latest = {c.name: c.latest for c in (RUNTIME_MIGRATIONS, HITL_MIGRATIONS, DESK_MIGRATIONS, ACCOUNTS_MIGRATIONS)}
    assert all(max(v for n, v in rows if n == name) == latest[name] for rows in first.values() for name, _ in rows)
    capsys.readouterr()

    assert main(["db", "upgrade", target]) == 0
    assert "up to date" in capsys.readouterr().out
    async with support_bot(old):  # opening the stores upgrades nothing either
        pass
    await DatabaseServerStore(old.accounts).aclose()
    assert {url: recorded(url) for url in old.databases} == first


def test_status_and_a_dry_run_change_nothing(old: Old, capsys: pytest.CaptureFixture[str]) -> None:
    target = str(Path(old.desk).parent) if old.backend == "sqlite" else old.agent_store
    before = {url: snapshot(url) for url in old.databases}
    assert main(["db", "status", target]) == 0
    shown = capsys.readouterr().out
    assert "0.1.0 tables, not recorded yet" in shown and "desk" in shown and "accounts" in shown
    assert main(["db", "upgrade", "--dry-run", target]) == 0
    planned = capsys.readouterr().out
    assert "would record version 1" in planned and "dry run: nothing was changed" in planned
    assert {url: snapshot(url) for url in old.databases} == before


def snapshot(url: str) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every table of the database and its rows, sorted."""
    database = open_database(url)
    database.open()
    try:
        with database.transaction(write=False) as connection:
            if connection.dialect == "sqlite":
                sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            else:
                sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            tables = sorted(str(r[0]) for r in connection.execute(sql))
            return [(t, sorted(tuple(r) for r in connection.execute(f"SELECT * FROM {t}"))) for t in tables]
    finally:
        database.close()
