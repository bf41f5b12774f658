"""The interface the stores share: a ``Database`` lends ``Connection``s, one transaction each.

SQL is written once, in what SQLite and PostgreSQL both speak, with ``?`` placeholders; DDL is written in SQLite's
words (``INTEGER PRIMARY KEY AUTOINCREMENT``, ``REAL``) and the PostgreSQL backend translates it. What the two do
not share goes through a method: ``insert`` (the new row's key) and ``insert_at_commit`` (the same, read once the
transaction has ended; ``read_at_commit`` reads any rows so), ``lock_conversation`` and ``lock`` (PostgreSQL's
advisory locks), ``for_update`` (row locks). SQLite needs no locks: ``BEGIN IMMEDIATE`` already runs one writing
transaction at a time, across processes too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

if TYPE_CHECKING:
    from ._listen import Listening, Notification

__all__ = ["BatchOutcome", "Connection", "Cursor", "Database", "Dialect", "NamedLock", "TurnLocks", "TurnOperation"]

Dialect = Literal["sqlite", "postgresql"]
BatchOutcome = tuple[bool, Any]
"""``(True, value)`` for an item of a batch that was done, ``(False, exception)`` for one that was not."""
TurnOperation = tuple[Literal["take", "release"], str]
"""``("take", conversation_id)``: ``TurnLocks.try_acquire``; ``("release", conversation_id)``: ``release``."""


class NamedLock(IntEnum):
    """Locks on something other than a conversation. Each is one key of PostgreSQL's advisory locks."""

    SCHEMA = 1  # two workers creating the same tables at once would collide in PostgreSQL's catalog
    DESK_EVENTS = 2  # desk events are numbered in commit order, so readers of ``seq > cursor`` miss none: taken
    # last, right before the event's ``insert_at_commit``, so that it is held for the commit alone
    TURNS_SOLO = 3  # held for as long as a worker runs, exclusively by one alone (its turns take no lock), shared
    # by the others (theirs do): session-level, never in a transaction (``_pg_alone``)


class Cursor(Protocol):
    """What ``Connection.execute`` returns. Rows answer ``row["column"]`` and ``row[0]``, and unpack."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(ABC):
    """One transaction's connection; the same calls on every backend."""

    dialect: ClassVar[Dialect]
    serialized: ClassVar[bool]
    """True when transactions run one at a time anyway (SQLite): then no lock is needed, and none is taken."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[object] = ()) -> Cursor:
        """Run one statement; ``?`` marks a parameter."""

    @abstractmethod
    def insert(self, sql: str, params: Sequence[object], key: str = "id") -> int:
        """Run an ``INSERT`` of one row and return the generated ``key`` of that row."""

    def insert_at_commit(self, sql: str, params: Sequence[object], key: str = "id") -> Callable[[], int]:
        """``insert``, with the key read later: call the result once the transaction has ended. On PostgreSQL the
        INSERT then goes to the server with the COMMIT, in one round trip, so a lock taken just before it (``lock``)
        is held for the insert and the commit alone. Nothing may be read in the transaction after it."""
        value = self.insert(sql, params, key)
        return lambda: value

    def read_at_commit(self, sql: str, params: Sequence[object] = ()) -> Callable[[], list[Any]]:
        """``execute(sql, params).fetchall()``, with the rows read later: call the result once the transaction has
        ended. The statement runs where it stands (it sees the transaction's writes before it); on PostgreSQL it
        goes to the server with the next statement that is read, or with the COMMIT, instead of costing a round
        trip of its own: a write transaction that reads only this way is one round trip."""
        rows = self.execute(sql, params).fetchall()
        return lambda: rows

    def notify(
        self, channel: str, payload: str = "", *, prefix: str = "", prefix_params: Sequence[object] = ()
    ) -> None:
        """Tell other processes listening on ``channel`` (``Database.listen``) when this transaction commits, once
        per transaction, payload and prefix. ``prefix``: a query of one value (``?`` marks its parameters), run
        here, after the statements before it, whose value goes before the payload: ``"value:payload"`` (NULL:
        nothing is sent). PostgreSQL only, and only while another process may listen; SQLite: one process writes,
        and wakes its own readers."""
        return None

    @abstractmethod
    def lock_conversation(self, conversation_id: str) -> None:
        """Hold the conversation until this transaction ends: its messages and HITL state are written by one
        transaction at a time, across processes, and in the order they commit."""

    @abstractmethod
    def lock(self, name: NamedLock) -> None:
        """Hold ``name`` until this transaction ends."""

    @abstractmethod
    def for_update(self, *, skip_locked: bool = False) -> str:
        """The suffix of a ``SELECT`` that locks the rows it reads."""


class TurnLocks(ABC):
    """Locks held across awaits, for a whole turn of a conversation, by one worker at a time. Blocking calls:
    ``try_acquire`` and ``release`` on ``width`` threads of their own, ``wait`` on threads apart (it can block for
    as long as another worker's turn lasts). One caller per conversation at a time (the agent's in-process lock
    sees to that)."""

    width: int = 1

    def open(self) -> None:
        """Before the first turn (blocking: it may wait for another worker to hand over, see ``take_alone``)."""
        return None

    def take_alone(self, conversation_id: str) -> bool | None:
        """True: no other worker can run a turn now, and this turn needs no lock (give it back with
        ``let_go_alone``). False: take the lock (``try_acquire``, ``wait``). None: not known yet; ask again after
        ``wait_decided``. Cheap: called on the event loop."""
        return False

    def let_go_alone(self, conversation_id: str) -> bool:
        """A turn has ended: True if it held no lock (``take_alone``), False if it is to be ``release``d."""
        return False

    def wait_decided(self, timeout: float) -> None:
        """Block until ``take_alone`` knows (or ``timeout`` seconds have passed)."""
        return None

    @abstractmethod
    def try_acquire(self, conversation_id: str) -> bool:
        """Take the conversation's lock if no one holds it (here or in another process)."""

    @abstractmethod
    def wait(self, conversation_id: str) -> bool:
        """Block until the conversation's lock is taken (woken by the database when its holder lets go); False
        when ``interrupt`` stopped the wait first."""

    @abstractmethod
    def interrupt(self, conversation_id: str) -> None:
        """Stop a ``wait`` in progress on another thread (its caller was cancelled); nothing if there is none."""

    @abstractmethod
    def release(self, conversation_id: str) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def lane(self, conversation_id: str) -> int:
        """Which of the ``width`` lanes the conversation's lock lives on (``run_lane`` takes one lane's work)."""
        return 0

    def run_lane(self, lane: int, operations: Sequence[TurnOperation]) -> list[BatchOutcome]:
        """Several conversations' takes and releases on one lane, in order: ``(True, taken)`` for a take,
        ``(True, None)`` for a release, ``(False, error)`` for one that failed. A backend that can do them in one
        round trip does; this one does them one by one."""
        outcomes: list[BatchOutcome] = []
        for kind, conversation_id in operations:
            try:
                taken = self.try_acquire(conversation_id) if kind == "take" else self.release(conversation_id)
            except Exception as error:
                outcomes.append((False, error))
            else:
                outcomes.append((True, taken))
        return outcomes


class Database(ABC):
    """A backend: connections on demand, each call of ``transaction`` one transaction. Blocking; thread-safe."""

    url: str
    concurrency: int
    """How many transactions may run at once; a caller gives its work this many threads."""
    errors: tuple[type[Exception], ...]
    """The driver's base error classes: a store that is down, busy or full raises one of these."""

    @abstractmethod
    def open(self) -> None:
        """Connect now, so that a wrong URL or a server that is down fails here and not on first use."""

    @abstractmethod
    def transaction(self, *, write: bool = True) -> AbstractContextManager[Connection]:
        """``with database.transaction() as connection:``; an exception rolls everything back. ``write=False``:
        ``fn`` only reads (no write, no lock), which a backend may run without a transaction of its own."""

    @abstractmethod
    def script(self, sql: str) -> None:
        """Run idempotent DDL (``CREATE TABLE IF NOT EXISTS ...``), several statements in one string."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection; ``open`` may be called again afterwards."""

    def turn_locks(self) -> TurnLocks | None:
        """Locks across processes for whole turns, or None where there is nothing to lock against."""
        return None

    def same_as(self, other: Database) -> bool:
        """Whether ``other`` is this very database, opened apart (the agent's store and the desk at one URL): one's
        transactions may then write the other's tables."""
        return False

    def written_by(self, other: Database) -> None:
        """``other`` (``same_as`` this one) writes this database's tables in its own transactions: its notifications
        on the channels this one listens on are this one's own, sent only while another process may listen, and not
        handed to this one's listener (this process knows of them already)."""
        return None

    def listen(self, channel: str, callback: Callable[[Notification | None], None]) -> Listening | None:
        """Other processes' writes on ``channel`` as they commit (PostgreSQL's LISTEN/NOTIFY, see ``_listen``), on
        the running event loop; None where nothing notifies (SQLite: one process writes, and wakes its own
        readers)."""
        return None
