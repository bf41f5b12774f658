import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from agentkit.desk import AGENT_EVENT_KINDS, DeskEvent, LocalDesk, Ticket, TicketClosed, TicketNotFound
from agentkit.handoff import TranscriptLine, User

BOB = User("u-1", "Bob Stone", "bob@example.com")


@pytest.fixture
async def desk(store_url: str) -> AsyncIterator[LocalDesk]:
    """A desk on each backend: a SQLite file, and a PostgreSQL database."""
    async with LocalDesk(store_url) as opened:
        yield opened


async def _open(desk: LocalDesk, key: str = "esc-1", priority: str = "high") -> Ticket:
    return await desk.create_ticket(
        conversation_id="conv-1",
        idempotency_key=key,
        title="Refund for order 42",
        description="Charged twice",
        priority=priority,  # type: ignore[arg-type]
        user=BOB,
        transcript=[
            TranscriptLine("user", "I was charged twice", 1.0),
            TranscriptLine("bot", "Getting help", 2.0),
        ],
    )


class Recorder:
    def __init__(self) -> None:
        self.events: list[DeskEvent] = []

    async def __call__(self, event: DeskEvent) -> None:
        self.events.append(event)


async def test_a_ticket_goes_open_assigned_closed_with_its_messages(desk: LocalDesk) -> None:
    ticket = await _open(desk)
    assert (ticket.status, ticket.assignee, ticket.messages) == ("open", None, ())
    assert [t.id for t in await desk.tickets(status="open")] == [ticket.id]

    await desk.assign(ticket.id, "Ana")
    await desk.reply(ticket.id, "Hi Bob, I'm Ana.")
    sent = await desk.add_user_message(ticket.id, "Thanks!", user_name="Bob Stone")
    closed = await desk.close(ticket.id, reason="refunded")

    assert await desk.tickets(status="open") == []
    assert [t.id for t in await desk.tickets(status="closed")] == [ticket.id]
    assert (closed.status, closed.assignee, closed.closed_reason) == ("closed", "Ana", "refunded")
    assert [(m.author, m.author_name, m.text) for m in closed.messages] == [
        ("system", None, "Ana joined the conversation"),
        ("agent", "Ana", "Hi Bob, I'm Ana."),
        ("user", "Bob Stone", "Thanks!"),
        ("system", None, "Ticket closed: refunded"),
    ]
    assert sent == closed.messages[2]  # the message as stored (its id too), without reading the ticket back
    assert closed == await desk.ticket(ticket.id)


async def test_the_ticket_keeps_what_the_agent_needs(desk: LocalDesk) -> None:
    ticket = await desk.ticket((await _open(desk, priority="urgent")).id)
    assert (ticket.title, ticket.description, ticket.priority) == (
        "Refund for order 42",
        "Charged twice",
        "urgent",
    )
    assert (ticket.conversation_id, ticket.idempotency_key, ticket.user) == ("conv-1", "esc-1", BOB)
    assert ticket.transcript == (
        TranscriptLine("user", "I was charged twice", 1.0),
        TranscriptLine("bot", "Getting help", 2.0),
    )


async def test_tickets_survive_a_restart_on_the_same_store(store_url: str) -> None:
    async with LocalDesk(store_url) as first:
        ticket = await _open(first)
        await first.assign(ticket.id, "Ana")
    async with LocalDesk(store_url) as second:
        assert (await second.ticket(ticket.id)).assignee == "Ana"
        assert [e.kind for e in await second.events_since(0)] == ["ticket_created", "agent_assigned"]


async def test_a_path_and_its_url_are_the_same_desk(tmp_path: Path) -> None:
    async with LocalDesk(f"sqlite:///{tmp_path}/desk.db") as first:
        ticket = await _open(first)
    async with LocalDesk(tmp_path / "desk.db") as second:
        assert (await second.ticket(ticket.id)).title == ticket.title


async def test_the_file_uses_write_ahead_logging(tmp_path: Path) -> None:
    async with LocalDesk(tmp_path / "desk.db"):
        connection = sqlite3.connect(tmp_path / "desk.db")
        try:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            connection.close()


async def test_the_same_idempotency_key_gives_the_same_ticket(desk: LocalDesk) -> None:
    first = await _open(desk)
    again = await _open(desk)
    concurrent = await asyncio.gather(*(_open(desk, key="esc-2") for _ in range(10)))

    assert again == first
    assert {t.id for t in concurrent} == {concurrent[0].id} != {first.id}
    assert len(await desk.tickets()) == 2
    created = [e.ticket_id for e in await desk.events_since(0) if e.kind == "ticket_created"]
    assert created == [first.id, concurrent[0].id]  # one each: a repeated key writes no event


async def test_a_new_ticket_is_given_as_stored_and_a_repeated_key_gets_it_as_it_stands(desk: LocalDesk) -> None:
    """A new ticket is given as it was written (not read back: the handoff waits on it); its key again gives the
    stored ticket with what happened to it since."""
    first = await _open(desk)
    assert first == await desk.ticket(first.id)
    await desk.assign(first.id, "Ana")
    again = await _open(desk)
    assert (again.id, again.status, again.assignee, len(again.messages)) == (first.id, "assigned", "Ana", 1)


async def test_events_are_stored_and_pushed_in_order(desk: LocalDesk) -> None:
    recorder = Recorder()
    desk.subscribe(recorder)
    ticket = await _open(desk)
    await desk.assign(ticket.id, "Ana")
    await desk.reply(ticket.id, "one")
    await desk.reply(ticket.id, "two", agent_name="Lee")
    await desk.close(ticket.id)

    await desk.deliver_pending()  # the bot's own writes (a ticket, a user's message) wait for the next delivery
    assert [(e.kind, e.agent_name, e.text) for e in recorder.events] == [
        ("ticket_created", None, "Refund for order 42"),
        ("agent_assigned", "Ana", None),
        ("agent_message", "Ana", "one"),
        ("agent_message", "Lee", "two"),
        ("session_stopped", "Ana", None),
    ]
    assert [e.seq for e in recorder.events] == [1, 2, 3, 4, 5]
    assert {e.ticket_id for e in recorder.events} == {ticket.id}
    assert await desk.events_since(0) == recorder.events
    assert await desk.events_since(2) == recorder.events[2:]


async def test_an_event_a_callback_failed_on_is_pushed_again_in_order(
    desk: LocalDesk, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str | None] = []
    failures = [True]

    async def flaky(event: DeskEvent) -> None:
        if event.kind not in AGENT_EVENT_KINDS:
            return
        if failures and failures.pop():
            raise RuntimeError("the bot is restarting")
        seen.append(event.text)

    desk.subscribe(flaky)
    ticket = await _open(desk)
    await desk.reply(ticket.id, "first")  # the callback fails: nothing seen, nothing lost
    assert seen == [] and "retried on the next delivery" in caplog.text
    await desk.reply(ticket.id, "second")
    assert seen == ["first", "second"]


async def test_deliver_pending_retries_without_a_new_change(desk: LocalDesk) -> None:
    seen: list[int] = []
    broken = [True]

    async def callback(event: DeskEvent) -> None:
        if broken[0]:
            raise RuntimeError("down")
        seen.append(event.seq)

    desk.subscribe(callback)
    ticket = await _open(desk)
    await desk.assign(ticket.id, "Ana")
    broken[0] = False
    await desk.deliver_pending()
    assert seen == [1, 2]  # the ticket's creation, then the assignment


async def test_a_consumer_catches_up_after_a_restart(store_url: str) -> None:
    async with LocalDesk(store_url) as desk:
        ticket = await _open(desk)
        recorder = Recorder()
        desk.subscribe(recorder)
        await desk.assign(ticket.id, "Ana")
        cursor = recorder.events[-1].seq  # what the consumer had handled when it stopped
    async with LocalDesk(store_url) as desk:
        await desk.reply(ticket.id, "while the bot was down")
        await desk.close(ticket.id)
        late = Recorder()
        desk.subscribe(late, after=cursor)
        await desk.deliver_pending()
        assert [e.kind for e in late.events] == ["agent_message", "session_stopped"]
        assert [e.seq for e in late.events] == [cursor + 1, cursor + 2]


async def test_a_new_subscriber_gets_only_new_events_by_default(desk: LocalDesk) -> None:
    ticket = await _open(desk)
    await desk.assign(ticket.id, "Ana")
    recorder = Recorder()
    subscription = desk.subscribe(recorder)
    await desk.reply(ticket.id, "hello")
    subscription.cancel()
    await desk.reply(ticket.id, "unheard")
    assert [e.text for e in recorder.events] == ["hello"]


async def test_a_callback_may_act_on_the_desk_without_deadlock(desk: LocalDesk) -> None:
    ticket = await _open(desk)
    recorder = Recorder()

    async def auto_greeter(event: DeskEvent) -> None:
        if event.kind == "agent_assigned":
            await desk.reply(event.ticket_id, "Auto: an agent has joined")

    desk.subscribe(auto_greeter)
    desk.subscribe(recorder)
    await asyncio.wait_for(desk.assign(ticket.id, "Ana"), timeout=5)
    assert [e.kind for e in recorder.events] == ["agent_assigned", "agent_message"]


async def test_a_closed_ticket_takes_no_more_messages_and_closes_once(desk: LocalDesk) -> None:
    ticket = await _open(desk)
    await desk.close(ticket.id, reason="done")
    again = await desk.close(ticket.id, reason="twice")

    assert again.closed_reason == "done"
    assert [e.kind for e in await desk.events_since(0)] == ["ticket_created", "session_stopped"]
    for action in (
        desk.reply(ticket.id, "hi"),
        desk.assign(ticket.id, "Ana"),
        desk.add_user_message(ticket.id, "x"),
    ):
        with pytest.raises(TicketClosed, match="is closed"):
            await action


async def test_a_close_by_the_bot_is_not_an_agents_close(desk: LocalDesk) -> None:
    ticket = await _open(desk)
    closed = await desk.close(ticket.id, reason="user typed /end", by="bot")
    assert closed.status == "closed"
    assert [e.kind for e in await desk.events_since(0)] == ["ticket_created", "ticket_closed"]


async def test_every_change_is_in_the_event_log_and_wakes_a_watch(desk: LocalDesk) -> None:
    """The inbox follows the log: a ticket opened and a user's message are events too, and wake a watcher."""
    watch = desk.watch()
    cursor = await desk.head()
    ticket = await _open(desk)
    await asyncio.wait_for(watch.wait(60), timeout=5)  # woken: a minute's wait returns at once
    await desk.add_user_message(ticket.id, "Still waiting", user_name="Bob")
    await asyncio.wait_for(watch.wait(60), timeout=5)
    events = await desk.events_since(cursor)
    assert [(e.kind, e.ticket_id, e.text) for e in events] == [
        ("ticket_created", ticket.id, "Refund for order 42"),
        ("user_message", ticket.id, "Still waiting"),
    ]
    await _open(desk)  # the same idempotency key: no new ticket, no event
    assert await desk.head() == events[-1].seq
    watch.cancel()


@pytest.mark.parametrize("ticket_id", ["999", "abc"])
async def test_an_unknown_ticket_is_ticket_not_found(desk: LocalDesk, ticket_id: str) -> None:
    with pytest.raises(TicketNotFound, match="desk.tickets"):
        await desk.ticket(ticket_id)


@pytest.mark.parametrize("ticket_id", ["999", "abc"])
async def test_a_user_message_for_an_unknown_ticket_is_ticket_not_found_and_stores_nothing(
    desk: LocalDesk, ticket_id: str
) -> None:
    ticket = await _open(desk)
    head = await desk.head()
    with pytest.raises(TicketNotFound, match="desk.tickets"):
        await desk.add_user_message(ticket_id, "lost?")
    assert await desk.head() == head
    assert [m.text for m in (await desk.ticket(ticket.id)).messages if m.author == "user"] == []


async def test_a_bad_priority_is_refused(desk: LocalDesk) -> None:
    with pytest.raises(ValueError, match="priority must be one of"):
        await _open(desk, priority="critical")


async def test_an_in_memory_desk_works_across_threads() -> None:
    async with LocalDesk() as desk:
        tickets = await asyncio.gather(*(_open(desk, key=f"k{i}") for i in range(5)))
        assert len({t.id for t in tickets}) == 5


def _count_commits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count SQLite's commits from now on (a group commit's batch, or a writing transaction of its own) in the
    list's one item, until ``monkeypatch.undo()``."""
    from agentkit.storage import SqliteDatabase

    commits = [0]
    original_batch, original_transaction = SqliteDatabase.run_batch, SqliteDatabase.transaction

    def run_batch(self: SqliteDatabase, work: Any) -> Any:
        commits[0] += 1
        return original_batch(self, work)

    def transaction(self: SqliteDatabase, *, write: bool = True) -> Any:
        commits[0] += write
        return original_transaction(self, write=write)

    monkeypatch.setattr(SqliteDatabase, "run_batch", run_batch)
    monkeypatch.setattr(SqliteDatabase, "transaction", transaction)
    return commits


async def test_user_messages_relayed_at_once_share_commits_and_a_closed_ticket_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot relays every user message through ``add_user_message``: on SQLite those that arrive together are
    group-committed (one fsync for many) instead of one transaction each on the desk's one writer. A message to a
    closed ticket still fails, alone: the others of its commit are stored, each once, with their events."""
    async with LocalDesk(tmp_path / "desk.db") as desk:
        tickets = [await _open(desk, key=f"esc-{n}") for n in range(3)]
        await desk.close(tickets[1].id, reason="done")
        commits = _count_commits(monkeypatch)
        sends = [desk.add_user_message(t.id, f"{t.id}:{n}") for n in range(20) for t in tickets]
        results = await asyncio.gather(*sends, return_exceptions=True)
        monkeypatch.undo()

        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(refused) == 20 and all(isinstance(r, TicketClosed) for r in refused)
        assert commits[0] < 40  # 40 messages stored: one transaction each before
        for ticket in (tickets[0], tickets[2]):
            stored = [m.text for m in (await desk.ticket(ticket.id)).messages if m.author == "user"]
            assert stored == [f"{ticket.id}:{n}" for n in range(20)]
        events = [e for e in await desk.events_since(0) if e.kind == "user_message"]
        assert sorted(e.text or "" for e in events) == sorted(f"{t.id}:{n}" for n in range(20) for t in tickets[::2])


async def test_tickets_opened_at_once_share_commits_and_a_repeated_key_gives_the_same_ticket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every handoff opens a ticket through ``create_ticket``: on SQLite those that arrive together are
    group-committed instead of one transaction each on the desk's one writer. A key sent twice in the same commit
    (a retry racing its first try) still opens one ticket, with one event, and both callers get it."""
    async with LocalDesk(tmp_path / "desk.db") as desk:
        await _open(desk, key="warm-up")
        commits = _count_commits(monkeypatch)
        keys = [f"esc-{n}" for n in range(30)] + ["esc-7"]
        opened = await asyncio.gather(*(_open(desk, key=key) for key in keys))
        monkeypatch.undo()

        assert commits[0] < 20  # 30 tickets: one transaction each before
        assert opened[-1] == opened[7]
        assert len({t.id for t in opened}) == 30
        assert [t.idempotency_key for t in opened] == keys
        stored = {t.idempotency_key: t for t in await desk.tickets()}
        assert all(stored[t.idempotency_key] == t for t in opened)  # what create_ticket returned is what is stored
        created = [e.ticket_id for e in await desk.events_since(0) if e.kind == "ticket_created"]
        assert sorted(created) == sorted(t.id for t in [stored["warm-up"], *opened[:30]])


async def test_a_transcript_line_without_a_time_is_stored_as_given(desk: LocalDesk) -> None:
    lines = (TranscriptLine("user", "Hi", None), TranscriptLine("agent", 'Say "hello"', 3.5))
    opened = await desk.create_ticket(conversation_id="c9", idempotency_key="c9:1", title="Help", description="-",
                                      priority="low", user=BOB, transcript=lines)  # fmt: skip
    assert opened.transcript == lines
    assert (await desk.ticket(opened.id)).transcript == lines
