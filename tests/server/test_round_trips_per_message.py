"""How many round trips one webchat message asks of PostgreSQL before its transactions' COMMITs, pinned.

A write transaction on PostgreSQL is batched (``agentkit.storage``): its statements go to the server when one of
their results is read, and with its COMMIT otherwise; the COMMIT itself goes with the next transaction a lane sends.
So a transaction that reads nothing before its COMMIT costs no round trip of its own under load, and each read in
the middle of one costs a round trip, a wait of the lane's thread and a GIL hand-off: under load, the server's CPU
(issue 12). Counted here: for what a request runs (its own task) on the agent's and the desk's stores, the write
transactions, the round trips they ask for before their COMMITs (a read whose result is needed at once), and the
statements they queue (locks included; BEGIN and COMMIT not). Not counted: the turn locks (a lane of their own),
and the notifications, sent only while another worker may listen (one worker here, but its listener may not know
that yet: tests/storage/test_postgres_quiet_notifications.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentkit.hitl import DeskHitl
from agentkit.runtime import Agent
from agentkit.server import WebchatQuotas
from agentkit.storage import AsyncDatabase, Connection
from agentkit.storage._pg_batch import Batch
from agentkit.storage._pg_prepared import PreparedStatements

from .test_transactions_per_message import post_script

pytestmark = pytest.mark.postgres

_counting: ContextVar[bool] = ContextVar("counting_round_trips", default=False)
_in_transaction = threading.local()


@dataclass
class Trips:
    writes: int = 0
    round_trips: int = 0  # asked for before a COMMIT (a write's read), or a read-only transaction's statements
    statements: int = 0

    def counts(self) -> tuple[int, int, int]:
        return self.writes, self.round_trips, self.statements

    @contextmanager
    def counted(self) -> Iterator[None]:
        """One message's counts: from zero, for the block."""
        self.writes = self.round_trips = self.statements = 0
        with counting():
            yield


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Trips:
    trips = Trips()
    original_run = AsyncDatabase.run

    async def run(self: AsyncDatabase, fn: Callable[[Connection], Any], *, write: bool = True) -> Any:
        if not _counting.get():
            return await original_run(self, fn, write=write)

        def counted(connection: Connection) -> Any:
            trips.writes += write
            _in_transaction.on = True
            try:
                return fn(connection)
            finally:
                _in_transaction.on = False

        return await original_run(self, counted, write=write)

    original_add, original_send = Batch.add, Batch.send

    def add(self: Batch, sql: str, *args: Any, **kwargs: Any) -> Any:
        if getattr(_in_transaction, "on", False) and not sql.startswith("SELECT pg_notify("):
            trips.statements += 1
        return original_add(self, sql, *args, **kwargs)

    def send(self: Batch) -> None:
        if getattr(_in_transaction, "on", False):
            trips.round_trips += 1
        original_send(self)

    monkeypatch.setattr(AsyncDatabase, "run", run)
    monkeypatch.setattr(Batch, "add", add)
    monkeypatch.setattr(Batch, "send", send)
    return trips


@contextmanager
def counting() -> Iterator[None]:
    token = _counting.set(True)
    try:
        yield
    finally:
        _counting.reset(token)


async def test_round_trips_before_commit_per_webchat_message_on_postgresql(
    tmp_path: Path, pg_url: str, trips: Trips
) -> None:
    """``agentkit serve --db postgresql://... --no-quotas``, as ``load_webchat.py --only pg`` runs it: the agent and
    the desk on one PostgreSQL database (the server's own store on SQLite here: a message costs it nothing)."""
    desk = DeskHitl(pg_url, poll_interval=3600)  # background polls out of the way
    agent = Agent("support", "offline", plugins={"desk-hitl": desk}, store=pg_url)

    counts = await post_script(tmp_path, agent, trips.counted, trips.counts, quotas=WebchatQuotas.unlimited())
    # (write transactions, round trips before their COMMITs, statements): a question, a question, the handoff, two
    # messages to the person. A question: the user's message with the model's history (and, the desk being on this
    # database, the transcript, from the same statement) and the HITL session, all read at commit; the reply. The
    # handoff: the user's message; the session opened with the desk's ticket as the turn saw the conversation (its
    # latest session and its transcript, read with the user's message: nothing read here, no round trip; the
    # conversation's lock; the ticket inserted unless its escalation's key has one, its key read at commit, its event
    # written under the desk's lock for the key's ticket if that has none yet; the session inserted with the
    # ticket's id, found by that key, both read back at commit, its number NULL, and the transaction failed whole,
    # if a message was shown since; no start row; the handoff notice posted); the model's messages. Before
    # s12-handoff: 1 round trip, 16 statements (the latest session and the transcript read together in the open,
    # then decided on). Before s11-samedb: 4 transactions, 20 statements: the session
    # and its start row; the desk's ticket, in a transaction of the desk's own; the start marked done with the model's
    # messages (the notice stored only if the session was open and not told yet, then the session's helpdesk id and
    # notice written on the same condition; whether a row waits after the start read at commit). A relayed
    # message: one transaction, the user's message and the desk's together (the desk on the agent's database): the
    # conversation's lock, the conversation, the message; the HITL session, read at commit; the desk's ticket touched,
    # its message and its event (under the desk's lock), each written only if the ticket is open and the session this
    # process saw open takes it as it is with no older row queued; the outbox row queued only if not (none here),
    # each read at commit. Before s11-samedb: 3 transactions, 12 statements: the user's message with its outbox row;
    # the desk's (the same 4 statements, on the desk's own pool); the row marked done, with the claim of the
    # session's next row (the conversation's lock, the UPDATE, the claim). Before s9-pg-handoff: the handoff's 8 round
    # trips, 21 statements (the open's 4: the session read, then the transcript, then each INSERT's key; the desk's
    # 2: the INSERT's row count, then the new ticket looked up by its key; the completion's 2: where the session
    # stands, read before deciding on the notice, then the notice's key); a relayed message's 2 (the desk's UPDATE's
    # row count; the completion's look for a next row, then claimed in statements of its own).
    assert counts == [(2, 0, 7), (2, 0, 7), (3, 0, 14), (1, 0, 9), (1, 0, 9)], counts


@pytest.mark.parametrize("quotas", [False, True], ids=["no-quotas", "quotas"])
async def test_every_statement_of_a_webchat_message_is_prepared_on_postgresql(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, quotas: bool
) -> None:
    """A statement PostgreSQL will not prepare (a parameter it types text where a number goes, say) goes as SQL text
    every time, parsed and planned again: none of the webchat's may be one, with the default limits counted in
    PostgreSQL too. Before s10: the relay's queued message (its lease's end, a parameter in a CASE)."""
    refused: list[str] = []
    original = PreparedStatements.unpreparable

    def unpreparable(self: PreparedStatements, sql: str) -> None:
        refused.append(sql)
        original(self, sql)

    monkeypatch.setattr(PreparedStatements, "unpreparable", unpreparable)
    desk = DeskHitl(pg_url, poll_interval=3600)
    agent = Agent("support", "offline", plugins={"desk-hitl": desk}, store=pg_url)
    for _ in range(2):  # the second time, what waited on each connection is prepared
        await post_script(tmp_path, agent, nullcontext, lambda: None,
                          **({"quota_db": pg_url} if quotas else {"quotas": WebchatQuotas.unlimited()}))  # fmt: skip
    assert refused == []


async def test_round_trips_of_the_quotas_per_webchat_message_on_postgresql(
    tmp_path: Path, pg_url: str, trips: Trips
) -> None:
    """The default limits, counted in PostgreSQL (as two workers share them): a message adds one write transaction,
    with no round trip before its COMMIT: the per-minute count and the conversation's activity, both upserts read at
    commit (before s10-quotas, two transactions, awaited one after the other). The handoff adds the escalation's
    count, a transaction of its own. Before s12-handoff: the handoff 1 round trip, 19 statements. Before s11-samedb:
    the handoff 6 transactions, 23 statements; a relayed message 4 transactions, 14 statements."""
    desk = DeskHitl(pg_url, poll_interval=3600)
    agent = Agent("support", "offline", plugins={"desk-hitl": desk}, store=pg_url)

    counts = await post_script(tmp_path, agent, trips.counted, trips.counts, quota_db=pg_url)
    assert counts == [(3, 0, 9), (3, 0, 9), (5, 0, 17), (2, 0, 11), (2, 0, 11)], counts
