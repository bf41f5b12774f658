"""How many store transactions and statements one webchat message costs, pinned: each write transaction is a commit
(an fsync on a file database), and under load they bound the throughput of ``agentkit serve``. A change that adds
one fails here; one that removes one updates the numbers.

Counted: what the request itself runs (its own task), on every store it touches: the server's (token, quotas), the
agent's (messages, HITL state) and the desk's. Background work (outbox, desk polls) is not the request's.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import pytest

from agentkit.hitl import DeskHitl
from agentkit.runtime import Agent
from agentkit.server import DatabaseServerStore, WebchatQuotas, create_app
from agentkit.storage import AsyncDatabase, Connection, SqliteDatabase

from .server_helpers import FAST, SECRET

_counting: ContextVar[bool] = ContextVar("counting", default=False)
T = TypeVar("T")
_in_request = threading.local()


@dataclass
class Tally:
    transactions: Counter[str] = field(default_factory=Counter)  # "write" / "read"
    statements: int = 0

    def reset(self) -> None:
        self.transactions.clear()
        self.statements = 0


@pytest.fixture
def tally(monkeypatch: pytest.MonkeyPatch) -> Tally:
    """Counts the transactions and statements that code running for a counted request asks for, on SQLite."""
    tally = Tally()

    def mark(fn: Callable[..., Any], count_as: str | None) -> Callable[..., Any]:
        def marked(*args: Any) -> Any:
            if count_as is not None:
                tally.transactions[count_as] += 1
            _in_request.on = True
            try:
                return fn(*args)
            finally:
                _in_request.on = False

        return marked

    original_run, original_call = AsyncDatabase.run, AsyncDatabase.call

    async def run(self: AsyncDatabase, fn: Callable[[Connection], Any], *, write: bool = True) -> Any:
        if _counting.get() and write:  # a write goes to a group commit: one transaction of its own, unbatched
            fn = mark(fn, "write")
        return await original_run(self, fn, write=write)

    async def call(self: AsyncDatabase, fn: Callable[..., Any], *args: Any) -> Any:
        return await original_call(self, mark(fn, None) if _counting.get() else fn, *args)

    original_transaction = SqliteDatabase.transaction

    @contextmanager
    def transaction(self: SqliteDatabase, *, write: bool = True) -> Iterator[Connection]:
        if getattr(_in_request, "on", False):
            tally.transactions["write" if write else "read"] += 1
        with original_transaction(self, write=write) as connection:
            yield connection

    connection_type = _sqlite_connection_type()
    for name in ("execute", "insert"):
        monkeypatch.setattr(connection_type, name, _counted(getattr(connection_type, name), tally))
    monkeypatch.setattr(AsyncDatabase, "run", run)
    monkeypatch.setattr(AsyncDatabase, "call", call)
    monkeypatch.setattr(SqliteDatabase, "transaction", transaction)
    return tally


def _sqlite_connection_type() -> type[Connection]:
    database = SqliteDatabase(":memory:")
    database.open()
    try:
        with database.transaction(write=False) as connection:
            return type(connection)
    finally:
        database.close()


def _counted(method: Callable[..., Any], tally: Tally) -> Callable[..., Any]:
    def counted(self: Connection, *args: Any, **kwargs: Any) -> Any:
        if getattr(_in_request, "on", False):
            tally.statements += 1
        return method(self, *args, **kwargs)

    return counted


SCRIPT = ["What are your opening hours?", "How do I reset my password?", "I want to talk to a person please",
          "It's about order A-1", "Thanks, I'll wait"]  # fmt: skip
"""The conversation of ``benchmarks/load_webchat.py``: two questions, a handoff, two messages to the person."""


async def per_message(tmp_path: Path, tally: Tally, **app_options: Any) -> list[tuple[int, int, int]]:
    """``(transactions, of which write, statements)`` for each message of ``SCRIPT``, one conversation."""
    desk = DeskHitl(tmp_path / "desk.sqlite3", poll_interval=3600)  # background polls out of the way
    agent = Agent("support", "offline", plugins={"desk-hitl": desk}, store=f"sqlite:///{tmp_path}/bot.db")

    @contextmanager
    def counted() -> Iterator[None]:
        tally.reset()
        token = _counting.set(True)
        try:
            yield
        finally:
            _counting.reset(token)

    def counts() -> tuple[int, int, int]:
        return sum(tally.transactions.values()), tally.transactions["write"], tally.statements

    return await post_script(tmp_path, agent, counted, counts, quota_db=str(tmp_path / "server.sqlite3"),
                             **app_options)  # fmt: skip


async def post_script(
    tmp_path: Path,
    agent: Agent,
    around: Callable[[], AbstractContextManager[None]],
    after: Callable[[], T],
    **app_options: Any,
) -> list[T]:
    """Each message of ``SCRIPT`` posted to the webchat of ``agent`` (``agentkit serve``'s app, the agent managed
    here), one conversation: each request made within ``around()``, then ``after()`` kept for it."""
    store = DatabaseServerStore(tmp_path / "server.sqlite3", password_cost=FAST)
    app = create_app(agent, secret_key=SECRET, store=store, manage_agent=False, poll_interval=3600, **app_options)
    kept: list[T] = []
    try:
        async with agent, httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t") as client:
            created = (await client.post("/api/conversations", json={"name": "Jo"})).json()
            headers = {"X-Conversation-Token": created["token"]}
            for text in SCRIPT:
                with around():
                    response = await client.post(
                        f"/api/conversations/{created['id']}/messages", json={"text": text}, headers=headers
                    )
                assert response.status_code == 200, response.text
                kept.append(after())
    finally:
        await store.aclose()
    return kept


async def test_transactions_and_statements_per_webchat_message_as_the_benchmark_runs(
    tmp_path: Path, tally: Tally
) -> None:
    """``agentkit serve --no-quotas``, as ``load_webchat.py`` runs it. Before the first round of this work (round 2,
    session 2, counted the same way): 7, 7, 19, 11, 11 transactions, of which 6, 6, 17, 10, 10 writes."""
    counts = await per_message(tmp_path, tally, quotas=WebchatQuotas.unlimited())
    # (transactions, writes, statements): a question, a question, the handoff, two messages to the person. A question:
    # the user's message with the model's history and the HITL session; the reply (the token was checked when the
    # conversation was created: no read; with no limit per conversation, its activity is not tracked). The handoff: the
    # user's message; a look at the HITL session (an overdue one ended there) with the transcript read, before the
    # server's admission is asked; the session opened with its start row, claimed (delivered inline: no claim of its
    # own) and marked as maybe sent (an /end racing it is safe); the desk's ticket; the start marked done, where it
    # stands read in the same transaction (no conclusion and no session read of their own); the model's messages.
    # A relayed message: the user's message; the outbox row, claimed as it is queued
    # (no older row of the session is queued: it can go at once); the desk's; done with the conclusion. Before s5-relay:
    # 5 (the claim in a transaction of its own), 20 statements (the claim's session read, its row's two reads and
    # update, against one look for an older row). Each sent outbox row is marked done in the transaction that claims the
    # next one. Before s5-handoff: 12 (11 writes, 37 statements), 6, 6 (the transcript read alone; the timeouts' and the
    # admission's session reads; the claim; the conclusion; the session read after delivery). Before s3-pgtxn: 5, 5, 16,
    # 10, 10 (the token read; the HITL session and its due timeouts, a transaction of their own; the empty claim after
    # each delivery); before the activity was skipped without limits: 3, 3, 13, 7, 7. Statements of a relayed message
    # before the desk stopped reading the whole ticket back after storing it (s4-trips): 24; of the handoff before the
    # desk stopped reading a new ticket back (s5-handoff): 29; before the new HITL session was not read back and the
    # start's maybe-sent mark took only the conversation's lock, not a session read: 27. Before s6-turn, one statement
    # more in each: the user's profile read back after the upsert that rewrote it (now given, and written only when it
    # changes): 6, 6, 25, 17, 17. Before s6-handoff: the handoff's 7 transactions, 24 statements (without a limit on
    # handoffs there is no admission to ask: no look before the open; the open read the open session and counted the
    # earlier escalations, where the latest session tells both). Before s6-relay, 22 and 16: a row's completion read
    # its session (a message's needs none), where the reported row stood was read back (it was just marked done) and
    # told_user set in an UPDATE of its own (on the start row too, where it means nothing); the relay's enqueue read
    # the whole session and then looked for an older queued row (now one statement); the desk read its ticket
    # (locked) before updating it (now one UPDATE that checks it is open): 11. A relayed message is queued (and
    # claimed) in the transaction that stores it, by one INSERT ... SELECT from the open session, once this process
    # has seen the session open (a message to the bot pays nothing for it): before, 4 transactions, 11 statements.
    # Before s7-handoff, the handoff's 6 transactions, 20 statements: the start marked as maybe sent in a transaction
    # of its own just before the call, and its completion set the helpdesk's id and the notice in two UPDATEs.
    # Before s8-handoff, 5 transactions: the start marked done (with the helpdesk's id and the notice) in a
    # transaction of its own; sent from a tool that ends the turn, it now commits with the model's messages (its
    # look for the session's next row to claim is a look for any queued row, for the background deliverer); 18
    # statements: the session read whole again there (now, with that look, one read of its state and notice).
    # Before s8-relay, a relayed message's 10 statements: its first transaction read the model's whole history too,
    # which a message for the person never uses (now not read when the plugin expects to take the message).
    # Before s9-pg-handoff, the handoff's 17 statements: the desk's new ticket looked up by its idempotency key after
    # its INSERT (now the INSERT returns the key). Round trips on PostgreSQL: test_round_trips_per_message.py.
    assert counts == [(2, 2, 5), (2, 2, 5), (4, 4, 16), (3, 3, 9), (3, 3, 9)], counts


async def test_transactions_and_statements_per_webchat_message_with_quotas(tmp_path: Path, tally: Tally) -> None:
    """The default limits: one more write per message, group-committed with the others on SQLite."""
    counts = await per_message(tmp_path, tally)
    # The default limits add the per-minute count of the conversation's messages and, when that admits the message,
    # its activity (its idle timeout and message count): one write per message, in the server store's database, of
    # two statements (each an upsert that returns the count, the activity's conditioned on the minute's count: on
    # PostgreSQL one round trip for both; the handoff's escalation count is a write of its own). Before s10-quotas:
    # two writes, one for each upsert, awaited one after the other: 4, 4, 7, 5, 5 transactions. Before
    # (s4-trips): two statements each, 10, 10, 43, 26, 26. Before s5-handoff: 15, 8, 8 transactions; before s5-relay
    # 7, 7 for a relayed message (its claim alone). Before s6-turn (the profile's read-back): 8, 8, 28, 19, 19. Before
    # s6-handoff: the handoff's 27 statements (its open read the open session and counted the escalations). Before
    # s6-relay: 26, 18, 18. Before s7-handoff, the handoff's 10 transactions, 24 statements (its start's mark alone).
    # Before s8-handoff, 9: the start's completion alone (now with the model's messages), and a look at the HITL
    # session (with the transcript) before the admission; the turn found no open session as it stored the user's
    # message, so the admission is asked first and the open reads the transcript (22 statements: the look's
    # session read is the one less); 21 before the start's completion read the session's state with its look for a
    # queued row (one statement, not two). Before s8-relay, 12 statements for a relayed message (the model's history
    # read with it). Before s9-pg-handoff, the handoff's 20 (the desk's ticket looked up after its INSERT).
    assert counts == [(3, 3, 7), (3, 3, 7), (6, 6, 19), (4, 4, 11), (4, 4, 11)], counts  # relayed: 6, 13 before
