"""Whether a worker is alone on its PostgreSQL database: then its turns need no lock in the database.

A conversation's turn lock (``PostgresTurnLocks``) costs each message two statements and their hops to a thread and
back (~14 % of a worker's CPU per message, measured); it only matters while another worker may take the same
conversation. So a worker alone keeps its turns to itself in process (the agent's locks already do), and only
workers that may meet take the locks in the database. Which one a worker is, PostgreSQL's lock manager decides, not
a look at who is connected, so that a newcomer can never run a turn beside one of a worker that believed it was
alone:

- every worker holds one advisory lock, ``SOLO``, on a connection of its own: a worker alone holds it exclusively,
  any other shared. A worker that finds ``SOLO`` taken says so (a notification on ``agentkit_turns``) and waits in
  the database for it shared; it begins no turn before it holds it.
- a worker alone that hears of another (that notification; a listener's hello on ``agentkit_listeners``; or, every
  ``LOOK_AGAIN`` seconds, a waiter on ``SOLO``, another process's listener, another's turn lock) hands over: its new
  turns take their locks in the database from then on, it takes in the database the lock of each turn it has in
  flight, and only then takes ``SOLO`` shared and gives back its exclusive hold, which lets the newcomer in.
- a worker holding ``SOLO`` shared tries every ``LOOK_AGAIN`` seconds to hold it alone: it does when nobody else
  holds it (nor waits for it), no other process listens (an agentkit worker always does, an older one too), and no
  other session holds or waits for a turn lock.

``SOLO``'s connection listens (``agentkit_turns``, ``agentkit_listeners``) only while the worker is alone, or
looking whether it is: PostgreSQL wakes every listening connection of the database at each commit that notifies,
whatever the channel, and a worker sharing the database would otherwise pay, in PostgreSQL, for every message
the workers store (~6 % of PostgreSQL's CPU per message with two workers, measured), to hear nothing it needs: a
worker holding ``SOLO`` shared hands nothing over. It listens again before it tries to hold ``SOLO`` alone, so
that a newcomer's call, which can only come once it holds it, is heard.

If ``SOLO``'s connection drops, the worker's turns wait (new ones) or take their locks in the database (those in
flight) while it connects and looks again. Until a turn's lock is in the database, a dropped connection loses that
turn's hold, as a dropped lane loses the locks it held.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Collection
from enum import Enum
from typing import TYPE_CHECKING, Any

from ._base import NamedLock
from ._listen import LISTENER_NAME, LISTENERS_CHANNEL, own_listeners, retry_delay, server_of

if TYPE_CHECKING:
    import psycopg

    from ._postgres import PostgresDatabase

__all__ = ["HAND_OVER_LIMIT", "LOOK_AGAIN", "NAMED_KEYS", "TURNS_CHANNEL", "TURN_KEYS", "Alone"]

logger = logging.getLogger("agentkit.storage")

TURNS_CHANNEL = "agentkit_turns"
"""A worker waits for ``SOLO``: the one alone hands over."""
LOOK_AGAIN = 10.0
"""Seconds between a worker's looks at whether it is alone (or, alone, still is)."""
NAMED_KEYS = 0x61676B00  # "agk\0": the first int4 of a named lock's advisory key (``_postgres``)
TURN_KEYS = 0x61676B01  # and of a turn lock's
_SOLO = (NAMED_KEYS, int(NamedLock.TURNS_SOLO))
HAND_OVER_LIMIT = 60.0
"""Seconds a newcomer waits for the worker alone to hand over (it does within ``LOOK_AGAIN`` at most, unless it is
stuck): then opening its store fails, and says why."""
_SOMEONE_ELSE = (
    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s "
    "  AND pid <> ALL(%s::int[])) "
    "OR EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND database = "
    "  (SELECT oid FROM pg_database WHERE datname = current_database()) AND ("
    "    (classid = %s AND pid <> ALL(%s::int[]) AND pid <> pg_backend_pid()) "
    "    OR (classid = %s AND objid = %s AND NOT granted)))"
)  # another process's listener; another's turn lock, held or waited for; a waiter on SOLO


class State(Enum):
    UNDECIDED = "undecided"  # not known yet, or looking again after a drop: turns wait
    ALONE = "alone"  # SOLO held exclusively: turns need no lock in the database
    SHARED = "shared"  # SOLO held shared: each turn takes its lock in the database


class Alone:
    """Whether this worker is alone on the database (``take``), and the hand-over when it is not any more.

    ``take_in_database(conversations)``: take their turn locks in the database; returns those it could not.
    ``own_turn_backends()``: the backends of this worker's turn-lock connections (its own locks are not another's).
    """

    def __init__(
        self,
        database: PostgresDatabase,
        take_in_database: Callable[[Collection[str]], list[str]],
        own_turn_backends: Callable[[], set[int]],
    ) -> None:
        self._database = database
        self._take_in_database = take_in_database
        self._own_turn_backends = own_turn_backends
        self._lock = threading.Condition()
        self._state = State.UNDECIDED
        self._lone: set[str] = set()  # turns in flight without a lock in the database
        self._raw: psycopg.Connection[Any] | None = None
        self._waiting: psycopg.Connection[Any] | None = None  # waiting for SOLO shared: close cancels it
        self._stop = threading.Event()
        self._wake: tuple[socket.socket, socket.socket] | None = None  # (reader, writer): close wakes the thread
        self._thread: threading.Thread | None = None
        self.listening = False
        """Whether ``SOLO``'s connection listens now: while alone, or looking whether it is."""

    @property
    def state(self) -> State:
        return self._state

    def open(self) -> None:
        """Connect and decide (blocks while a worker alone hands over), then watch on a thread of its own."""
        self._raw = self._connect_and_decide()
        self._wake = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name="agentkit-turns-alone", daemon=True)
        self._thread.start()

    def take(self, conversation_id: str) -> bool | None:
        """True: this worker is alone, and the turn is its own with no lock in the database (``let_go`` at its
        end). False: take the lock in the database. None: not known yet (``wait_decided``, then ask again)."""
        with self._lock:
            if self._state is State.ALONE:
                self._lone.add(conversation_id)
                return True
            return None if self._state is State.UNDECIDED else False

    def let_go(self, conversation_id: str) -> bool:
        """The turn has ended: True if it held no lock in the database (nothing more to do)."""
        with self._lock:
            if conversation_id in self._lone:
                self._lone.discard(conversation_id)
                return True
            return False

    def wait_decided(self, timeout: float) -> None:
        with self._lock:
            self._lock.wait_for(lambda: self._state is not State.UNDECIDED or self._stop.is_set(), timeout)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._state = State.UNDECIDED
            self._lock.notify_all()
            if self._waiting is not None:
                self._waiting.cancel_safe()
        if self._wake is not None:
            self._wake[1].send(b"\0")
        if self._thread is not None:
            self._thread.join()
        elif self._raw is not None:
            self._raw.close()
        for end in self._wake or ():
            end.close()

    # -- on the watching thread (and ``open``) --

    def _connect_and_decide(self) -> psycopg.Connection[Any]:
        raw = self._database.connect()
        try:
            self._listen(raw)
            # The one statement of this connection that can wait for a lock is the wait for the hand-over
            raw.execute(f"SET lock_timeout = {int(HAND_OVER_LIMIT * 1000)}")
            self._decide(raw)
            if self._state is State.SHARED:
                self._unlisten(raw)
        except BaseException:
            raw.close()
            raise
        return raw

    def _decide(self, raw: psycopg.Connection[Any]) -> None:
        if _one(raw, "SELECT pg_try_advisory_lock(%s, %s)", _SOLO):
            if not self._someone_else(raw):
                self._set(State.ALONE)
                return
            raw.execute("SELECT pg_advisory_lock_shared(%s, %s)", _SOLO)  # beside our own exclusive hold: at once
            raw.execute("SELECT pg_advisory_unlock(%s, %s)", _SOLO)
        else:
            raw.execute("SELECT pg_notify(%s, '')", (TURNS_CHANNEL,))  # the worker alone hands over
            self._wait_shared(raw)
        self._set(State.SHARED)

    def _wait_shared(self, raw: psycopg.Connection[Any]) -> None:
        with self._lock:
            if self._stop.is_set():
                raise RuntimeError("the turn locks are closed")
            self._waiting = raw
        try:
            raw.execute("SELECT pg_advisory_lock_shared(%s, %s)", _SOLO)
        except self._database.lock_not_available:
            raise RuntimeError(
                f"another worker on the database has kept its turns to itself for {HAND_OVER_LIMIT:g} s since this "
                "one asked it to hand over (agentkit_turns): is it stuck? Stop it, or wait and start this one again"
            ) from None
        finally:
            with self._lock:
                self._waiting = None

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if self._raw is None:
                    self._raw = self._connect_and_decide()
                self._watch(self._raw)
                failures = 0
            except Exception as error:  # the driver's errors, whatever the cause: connect again
                if self._stop.is_set():
                    break
                logger.warning("the turn locks' connection failed (%s); connecting again", error)
                self._lost()
                failures += 1
                self._stop.wait(retry_delay(failures))
        if self._raw is not None:
            self._raw.close()  # SOLO goes with it

    def _watch(self, raw: psycopg.Connection[Any]) -> None:
        assert self._wake is not None
        looked = time.monotonic()
        while not self._stop.is_set():
            heard = _heard(raw)  # those that came with a statement's answer first: the socket does not show them
            if not heard:
                remaining = max(0.0, looked + LOOK_AGAIN - time.monotonic())
                select.select([raw.fileno(), self._wake[0].fileno()], [], [], remaining)
                heard = _heard(raw)
            due = time.monotonic() - looked >= LOOK_AGAIN
            if due:
                looked = time.monotonic()
            if self._stop.is_set():
                return
            if self._state is State.ALONE:
                if TURNS_CHANNEL in heard or ((due or LISTENERS_CHANNEL in heard) and self._someone_else(raw)):
                    self._hand_over(raw)
            elif due:
                self._try_alone(raw)

    def _hand_over(self, raw: psycopg.Connection[Any]) -> None:
        """New turns take their locks in the database; those in flight take theirs; then SOLO is shared."""
        with self._lock:  # a turn that starts or ends meanwhile waits for this (a round trip per lane)
            self._state = State.SHARED
            self._to_database()
        raw.execute("SELECT pg_advisory_lock_shared(%s, %s)", _SOLO)
        raw.execute("SELECT pg_advisory_unlock(%s, %s)", _SOLO)  # the newcomer's wait ends here
        self._unlisten(raw)
        logger.info("turn locks: another worker has come, they are taken in the database")

    def _try_alone(self, raw: psycopg.Connection[Any]) -> None:
        self._listen(raw)  # before SOLO is held alone: a newcomer that finds it so calls, and is heard
        if not _one(raw, "SELECT pg_try_advisory_lock(%s, %s)", _SOLO):
            self._unlisten(raw)
            return  # another worker holds it (or waits for it)
        if self._someone_else(raw):
            raw.execute("SELECT pg_advisory_unlock(%s, %s)", _SOLO)
            self._unlisten(raw)
            return
        self._set(State.ALONE)
        raw.execute("SELECT pg_advisory_unlock_shared(%s, %s)", _SOLO)

    def _lost(self) -> None:
        """SOLO's connection failed (and SOLO with it, if it dropped): turns wait, those in flight take their locks
        in the database, and the next connection decides again."""
        with self._lock:
            self._state = State.UNDECIDED
            self._to_database()
        raw, self._raw = self._raw, None
        if raw is not None:
            raw.close()

    def _to_database(self) -> None:
        """(Under the lock.) The turns in flight without a lock in the database take it."""
        lone, self._lone = self._lone, set()
        try:
            unheld = self._take_in_database(lone) if lone else []
        except Exception as error:
            unheld = [f"all ({error})"]
        if unheld:
            logger.error("turn locks not taken in the database for conversations %s: another worker may run "
                         "their next turn before this one ends", unheld)  # fmt: skip

    def _listen(self, raw: psycopg.Connection[Any]) -> None:
        raw.execute(f"LISTEN {TURNS_CHANNEL}; LISTEN {LISTENERS_CHANNEL}")
        self.listening = True

    def _unlisten(self, raw: psycopg.Connection[Any]) -> None:
        """Sharing the database: nothing to hear (a listening connection is woken by every notifying commit)."""
        raw.execute("UNLISTEN *")
        self.listening = False

    def _someone_else(self, raw: psycopg.Connection[Any]) -> bool:
        listeners, turn_backends = sorted(own_listeners(server_of(raw))), sorted(self._own_turn_backends())
        return bool(_one(raw, _SOMEONE_ELSE, (LISTENER_NAME, listeners, TURN_KEYS, turn_backends, *_SOLO)))

    def _set(self, state: State) -> None:
        with self._lock:
            self._state = state
            self._lock.notify_all()
        logger.info("turn locks: %s", "this worker is alone, they stay in process" if state is State.ALONE
                    else "another worker may be there, they are taken in the database")  # fmt: skip


def _heard(raw: psycopg.Connection[Any]) -> set[str]:
    """The channels notified since last asked, but by this connection itself (a newcomer's own call)."""
    return {notify.channel for notify in raw.notifies(timeout=0) if notify.pid != raw.info.backend_pid}


def _one(raw: psycopg.Connection[Any], sql: str, params: tuple[object, ...]) -> Any:
    row = raw.execute(sql, params).fetchone()
    return row[0] if row is not None else None
