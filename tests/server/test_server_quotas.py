"""Anonymous floods meet 429s with Retry-After, route by route, and leave the store as it was: conversations per
address (X-Forwarded-For rotation does not help), messages per conversation per minute and in all, handoffs per
address per hour, idle conversations, and history read a bounded page at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest

from agentkit.desk import ApiError
from agentkit.server import DatabaseServerStore, ServerThread, WebchatQuotas, _quotas, create_app

from .server_helpers import SECRET, USER, desk_agent, say, start_chat
from .store_counts import row_counts

HANDOFF = "I want to talk to a person"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The quotas' clock, frozen at the start of a minute (and an hour) unless a test moves it: a window never
    ends in the middle of a test."""
    now = SimpleNamespace(value=1_800_000_000.0)
    monkeypatch.setattr(_quotas, "time", SimpleNamespace(time=lambda: now.value))
    return now


@asynccontextmanager
async def served_app(
    tmp_path: Path, quotas: WebchatQuotas | None = None, quota_db: str | None = None
) -> AsyncIterator[Any]:
    """The app over ASGI with its quota counters in the server's SQLite file, as ``agentkit serve`` runs it (or in
    ``quota_db``)."""
    agent = desk_agent(tmp_path)
    store = DatabaseServerStore(tmp_path / "server.sqlite3")
    app = create_app(agent, secret_key=SECRET, store=store, manage_agent=False, quotas=quotas,
                     quota_db=quota_db or str(tmp_path / "server.sqlite3"))  # fmt: skip
    try:
        async with agent:
            yield SimpleNamespace(agent=agent, desk=agent.plugins["desk-hitl"].desk, app=app,
                                  transport=httpx2.ASGITransport(app=app))  # fmt: skip
    finally:
        await app.state.agentkit.quotas.aclose()
        await store.aclose()


def _client(h: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=h.transport, base_url="http://127.0.0.1")


def _conversations(tmp_path: Path) -> int:
    return row_counts(tmp_path)["server.sqlite3:webchat_conversations"]


def _retry_after(response: httpx2.Response, longest: int) -> int:
    assert response.status_code == 429, response.text
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= longest
    assert f"try again in {wait} s" in response.json()["error"]
    return wait


async def test_a_flood_of_new_conversations_from_one_address_meets_429(tmp_path: Path, clock: Any) -> None:
    async with served_app(tmp_path) as h, _client(h) as client:
        for _ in range(10):
            assert (await client.post("/api/conversations", json=USER)).status_code == 201
        before = row_counts(tmp_path)
        for _ in range(20):
            _retry_after(await client.post("/api/conversations", json=USER), 60)
        assert _conversations(tmp_path) == 10
        assert {k: v for k, v in row_counts(tmp_path).items() if "quota" not in k} == {
            k: v for k, v in before.items() if "quota" not in k
        }
        clock.value += 60  # the next minute
        assert (await client.post("/api/conversations", json=USER)).status_code == 201


def test_rotating_x_forwarded_for_does_not_escape_the_quota(tmp_path: Path) -> None:
    """Over real HTTP, as uvicorn sees it: each request claims another address in X-Forwarded-For."""
    while time.time() % 60 > 45:  # keep the whole flood inside one minute's window
        time.sleep(1)
    store = DatabaseServerStore(tmp_path / "server.sqlite3")
    app = create_app(desk_agent(tmp_path), secret_key=SECRET, store=store, quota_db=str(tmp_path / "server.sqlite3"))
    try:
        with ServerThread(app) as server:
            answers = [httpx2.post(f"{server.base_url}/api/conversations", json=USER,
                                   headers={"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.{n}"})
                       for n in range(25)]  # fmt: skip
    finally:
        asyncio.run(store.aclose())
    statuses = [a.status_code for a in answers]
    assert statuses == [201] * 10 + [429] * 15
    assert all("retry-after" in a.headers for a in answers[10:])
    assert _conversations(tmp_path) == 10


async def test_a_flood_of_messages_in_one_conversation_meets_429(tmp_path: Path, clock: Any) -> None:
    async with served_app(tmp_path) as h, _client(h) as client:
        chat = await start_chat(client)
        for n in range(20):
            await say(client, chat, f"question {n}")
        history = await h.agent.history(chat[0])
        for _ in range(5):
            refused = await client.post(f"/api/conversations/{chat[0]}/messages", json={"text": "more"},
                                        headers=chat[1])  # fmt: skip
            _retry_after(refused, 60)
        assert await h.agent.history(chat[0]) == history  # nothing stored, nothing answered
        other = await start_chat(client)  # another conversation has its own count
        await say(client, other, "hello")
        clock.value += 60
        await say(client, chat, "and now?")


async def test_a_conversation_takes_no_more_than_its_messages_in_all(tmp_path: Path, clock: Any) -> None:
    quotas = WebchatQuotas(messages_per_conversation=3, messages_per_minute=0)
    async with served_app(tmp_path, quotas) as h, _client(h) as client:
        chat = await start_chat(client)
        for n in range(3):
            await say(client, chat, f"question {n}")
        history = await h.agent.history(chat[0])
        clock.value += 7200
        refused = await client.post(f"/api/conversations/{chat[0]}/messages", json={"text": "one more"},
                                    headers=chat[1])  # fmt: skip
        assert refused.status_code == 429 and "start a new one" in refused.json()["error"]
        assert await h.agent.history(chat[0]) == history


async def _refused(client: httpx2.AsyncClient, chat: tuple[str, dict[str, str]]) -> httpx2.Response:
    answer = await client.post(f"/api/conversations/{chat[0]}/messages", json={"text": "refused"}, headers=chat[1])
    assert answer.status_code in (403, 429), answer.text
    return answer


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "without-returning"])
async def test_a_message_refused_by_the_minutes_limit_counts_nothing_towards_the_conversations(
    tmp_path: Path, store_url: str, clock: Any, monkeypatch: pytest.MonkeyPatch, returning: bool
) -> None:
    """At the minute's limit a message goes through; just over it, 429, and that refused message neither counts
    towards the conversation's messages in all nor is stored: the next minute the conversation still has the one
    message left, and only the message after it meets the limit in all."""
    if not returning:
        monkeypatch.setattr(_quotas, "_returning", lambda db: False)
    quotas = WebchatQuotas(messages_per_minute=2, messages_per_conversation=3, idle_timeout=3600)
    async with served_app(tmp_path, quotas, store_url) as h, _client(h) as client:
        chat = await start_chat(client)
        for n in range(2):  # up to the limit
            await say(client, chat, f"question {n}")
        history = await h.agent.history(chat[0])
        for _ in range(3):  # over it
            refused = await _refused(client, chat)
            _retry_after(refused, 60)
            assert "too many messages in this conversation" in refused.json()["error"]
        assert await h.agent.history(chat[0]) == history
        clock.value += 60
        await say(client, chat, "the last one")  # the refused ones were not counted: 3 in all
        history = await h.agent.history(chat[0])
        refused = await _refused(client, chat)
        assert refused.status_code == 429 and "has had its 3 messages" in refused.json()["error"]
        assert await h.agent.history(chat[0]) == history


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "without-returning"])
async def test_a_message_refused_by_the_minutes_limit_is_no_use_of_the_conversation(
    tmp_path: Path, store_url: str, clock: Any, monkeypatch: pytest.MonkeyPatch, returning: bool
) -> None:
    """A refused message does not reset the conversation's idle clock: the conversation dies an idle timeout after
    its last accepted message, not after the refused one."""
    if not returning:
        monkeypatch.setattr(_quotas, "_returning", lambda db: False)
    quotas = WebchatQuotas(messages_per_minute=1, idle_timeout=3600)
    async with served_app(tmp_path, quotas, store_url) as h, _client(h) as client:
        chat = await start_chat(client)
        await say(client, chat, "hello")
        clock.value += 10
        assert (await _refused(client, chat)).status_code == 429
        clock.value += 3590  # exactly the idle timeout after the accepted message: still live
        await say(client, chat, "just in time")
        clock.value += 30
        assert (await _refused(client, chat)).status_code == 429  # the minute's 2nd: refused
        clock.value += 3571  # the idle timeout and 1 s after the last accepted one, 3571 s after the refused one
        refused = await _refused(client, chat)
        assert refused.status_code == 403 and "start a new one" in refused.json()["error"]


async def test_two_counters_on_one_database_admit_the_minutes_messages_once(store_url: str, clock: Any) -> None:
    """Two workers' counters on one database, messages of one conversation sent through both at once: the minute's
    limit admits exactly its number, and only the admitted ones count towards the conversation's messages."""
    quotas = WebchatQuotas(messages_per_minute=5, messages_per_conversation=100, idle_timeout=3600)
    workers = [_quotas.QuotaCounter(store_url, quotas) for _ in range(2)]
    try:
        await workers[0].started("web-1")
        answers = await asyncio.gather(*(w.message("web-1") for w in workers * 6), return_exceptions=True)
        assert answers.count(None) == 5
        assert all(isinstance(a, ApiError) and a.status == 429 for a in answers if a is not None), answers
        messages = await workers[1]._async.run(  # noqa: SLF001
            lambda db: db.execute("SELECT messages FROM webchat_activity WHERE conversation_id = ?",
                                  ("web-1",)).fetchone()["messages"], write=False)  # fmt: skip
        assert messages == 5
    finally:
        for worker in workers:
            await worker.aclose()


async def test_a_flood_of_handoffs_from_one_address_opens_only_its_quota_of_tickets(tmp_path: Path, clock: Any) -> None:
    quotas = WebchatQuotas(escalations_per_hour=2, conversations_per_minute=0)
    async with served_app(tmp_path, quotas) as h, _client(h) as client:
        chats = [await start_chat(client) for _ in range(5)]
        replies = [await say(client, chat, HANDOFF) for chat in chats]
        assert len(await h.desk.tickets()) == 2  # not 5
        assert all(role != "system" for role, _ in replies[-1])  # no "escalated" notice: the bot answered
        assert replies[-1], "the user still gets an answer"
        await say(client, chats[0], HANDOFF)  # asking again where a person is already coming costs nothing
        assert len(await h.desk.tickets()) == 2
        clock.value += 3600
        await say(client, chats[4], HANDOFF)
        assert len(await h.desk.tickets()) == 3


async def test_an_idle_conversation_token_stops_working(tmp_path: Path, clock: Any) -> None:
    async with served_app(tmp_path, WebchatQuotas(idle_timeout=3600)) as h, _client(h) as client:
        chat = await start_chat(client)
        await say(client, chat, "hello")
        clock.value += 3000
        assert (await client.get(f"/api/conversations/{chat[0]}", headers=chat[1])).status_code == 200  # a use
        clock.value += 3000
        await say(client, chat, "still here")  # 50 minutes after the last use: fine
        history = await h.agent.history(chat[0])
        clock.value += 3601
        for method, path in (("GET", ""), ("GET", "/messages"), ("POST", "/messages"), ("GET", "/events")):
            answer = await client.request(method, f"/api/conversations/{chat[0]}{path}", headers=chat[1],
                                          json={"text": "hi"} if method == "POST" else None)  # fmt: skip
            assert answer.status_code == 403 and "start a new one" in answer.json()["error"], path
        assert await h.agent.history(chat[0]) == history


async def test_history_comes_a_bounded_page_at_a_time(tmp_path: Path, clock: Any) -> None:
    quotas = WebchatQuotas(page_size=25, messages_per_minute=0)
    async with served_app(tmp_path, quotas) as h, _client(h) as client:
        chat = await start_chat(client)
        for n in range(30):
            await say(client, chat, f"question {n}")
        everything = [m.id for m in await h.agent.history(chat[0])]
        assert len(everything) >= 60
        url, headers = f"/api/conversations/{chat[0]}", chat[1]

        latest = (await client.get(url, headers=headers)).json()
        assert [m["id"] for m in latest["messages"]] == everything[-25:] and latest["more"] is True
        pages, before = [], None
        while True:
            page = (await client.get(f"{url}/messages", params={"before": before} if before else {},
                                     headers=headers)).json()  # fmt: skip
            assert len(page["messages"]) <= 25
            pages = [m["id"] for m in page["messages"]] + pages
            if not page["more"]:
                break
            before = page["messages"][0]["id"]
        assert pages == everything

        first = (await client.get(f"{url}/messages", params={"after": 0, "limit": 10}, headers=headers)).json()
        assert [m["id"] for m in first["messages"]] == everything[:10] and first["more"] is True
        for bad in ({"limit": 26}, {"limit": 0}, {"limit": "x"}, {"before": "-1"}, {"after": "9" * 30}):
            assert (await client.get(f"{url}/messages", params=bad, headers=headers)).status_code == 422, bad


def test_serve_flags_set_the_quotas() -> None:
    import argparse

    from agentkit.cli import _serve

    parser = argparse.ArgumentParser()
    _serve.register(parser.add_subparsers())
    assert _serve._quotas(parser.parse_args(["serve", "bot.py"])) == WebchatQuotas()
    flags = ["--quota-conversations-per-minute", "4", "--quota-messages-per-minute", "6",
             "--quota-escalations-per-hour", "1", "--quota-messages-per-conversation", "50",
             "--quota-idle-timeout", "600"]  # fmt: skip
    assert _serve._quotas(parser.parse_args(["serve", "bot.py", *flags])) == WebchatQuotas(4, 6, 1, 50, 600.0)
    assert _serve._quotas(parser.parse_args(["serve", "bot.py", "--no-quotas"])) == WebchatQuotas.unlimited()


async def test_the_quota_tables_are_a_migrated_component(store_url: str) -> None:
    from agentkit.server import QUOTA_MIGRATIONS, QuotaCounter
    from agentkit.storage import open_database, status

    for _ in range(2):  # a second worker opening the same database applies nothing again
        await QuotaCounter(store_url).aclose()
    database = open_database(store_url)
    database.open()
    try:
        [found] = status(database, [QUOTA_MIGRATIONS])
    finally:
        database.close()
    assert (found.current, found.recorded, found.pending) == (1, True, ())


async def test_the_counters_share_the_server_stores_database_and_unlimited_quotas_write_nothing(
    tmp_path: Path,
) -> None:
    """Under ``agentkit serve`` the counters live in the server store's SQLite file: one database object, so one
    writer (two on one file collided on its lock, the loser sleeping in SQLite's busy handler). With no limit per
    conversation, a message writes no activity row."""
    store = DatabaseServerStore(tmp_path / "server.sqlite3")
    try:
        app = create_app(desk_agent(tmp_path), secret_key=SECRET, store=store,
                         quota_db=str(tmp_path / "server.sqlite3"))  # fmt: skip
        counter = app.state.agentkit.quotas
        assert counter._async is store.database  # noqa: SLF001
        other = create_app(desk_agent(tmp_path), secret_key=SECRET, store=store, quota_db=str(tmp_path / "q.db"))
        assert other.state.agentkit.quotas._async is not store.database  # noqa: SLF001
        await other.state.agentkit.quotas.aclose()
        unlimited = _quotas.QuotaCounter(tmp_path / "u.db", WebchatQuotas.unlimited())
        await unlimited.started("web-1")
        await unlimited.used("web-1", message=True)
        rows = await unlimited._async.run(  # noqa: SLF001
            lambda db: db.execute("SELECT COUNT(*) FROM webchat_activity").fetchone()[0], write=False
        )
        assert rows == 0
        await unlimited.aclose()
        await counter.aclose()  # not the store's database: the store still works
        assert await store.conversation_user("web-none", "x") is None
    finally:
        await store.aclose()


@pytest.mark.parametrize("returning", [True, False], ids=["returning", "without-returning"])
async def test_the_counters_count_alike_with_one_upsert_or_a_write_and_a_read(
    store_url: str, clock: Any, monkeypatch: pytest.MonkeyPatch, returning: bool
) -> None:
    """Where the database answers RETURNING a hit and a message are one upsert each that returns the count (on
    PostgreSQL one round trip); where it does not (SQLite before 3.35), a write and a read. The same counts."""
    if not returning:
        monkeypatch.setattr(_quotas, "_returning", lambda db: False)
    quotas = WebchatQuotas(messages_per_conversation=3, idle_timeout=3600)
    counter = _quotas.QuotaCounter(store_url, quotas)
    try:
        for _ in range(2):
            await counter.hit("messages:web-1", 2, 60.0, "messages")
        with pytest.raises(ApiError) as flood:
            await counter.hit("messages:web-1", 2, 60.0, "messages")
        await counter.used("web-old", message=True)  # begun before activity was counted: it starts counting now
        await counter.started("web-1")
        for _ in range(3):
            await counter.used("web-1", message=True)
        with pytest.raises(ApiError) as spent:
            await counter.used("web-1", message=True)
        clock.value += 3601
        for _ in range(2):  # a refused message does not bring an idle conversation back to life
            with pytest.raises(ApiError) as idle:
                await counter.used("web-old", message=True)
            assert idle.value.status == 403
    finally:
        await counter.aclose()
    assert (flood.value.status, spent.value.status) == (429, 429)
