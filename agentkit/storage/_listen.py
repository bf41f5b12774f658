"""PostgreSQL's LISTEN/NOTIFY: one listening connection per process and database wakes what used to poll.

The writing transaction sends the notification (``Connection.notify``), which goes out when it commits:
``agentkit_messages`` (payload ``"seq:conversation_id"``, the first of the transaction's messages of that
conversation) when messages the user sees are stored, ``agentkit_desk`` (payload: the ticket's id) for a desk event.
``database.listen(channel, callback)`` hands each one to ``callback(notification)`` on the caller's event loop;
however many callers listen, one thread and one connection per database URL receive them for the process.

A notification is sent only while someone else may need it (``stay_quiet``): a worker alone would otherwise pay for
every one (a queue entry, the commit's global notify lock, its own listener woken to drop it; ~15 % of the CPU of
a message on PostgreSQL). Listening connections name themselves (``application_name`` ``agentkit-listen``, set
once they listen); each looks up the others when it connects and every ``FALLBACK_POLL`` seconds, and says hello
on ``agentkit_listeners``. A process notifies while its listener knows of another process's listener, or another
of its own databases listens on the channel, or while it does not know (no listener, or not connected). Handing
over: a listener that learns of a new one waits until its process's transactions that stayed quiet have ended,
then says hello; a hello makes each listener's callers read what may have been missed (``callback(None)``).

If the connection drops, the thread connects again, backing off; meanwhile ``Listening.connected`` is False, so
callers poll as they did before, and each gets ``callback(None)`` once the thread is listening again: whatever
was notified meanwhile is lost, so read what may have been missed. A notification carries the process id of the
PostgreSQL backend that sent it (``pid``), which tells a caller's own writes from another worker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import Connection

__all__ = [
    "DESK_CHANNEL", "FALLBACK_POLL", "LISTENERS_CHANNEL", "LISTENER_NAME", "MESSAGES_CHANNEL", "Listening",
    "Notification", "listen", "no_notify_on_insert", "notify_on_insert", "own_listeners", "retry_delay", "server_of",
    "stay_quiet",
]

logger = logging.getLogger("agentkit.storage")

MESSAGES_CHANNEL = "agentkit_messages"
DESK_CHANNEL = "agentkit_desk"
LISTENERS_CHANNEL = "agentkit_listeners"
"""A listener's hello: it listens, and notifies the others of its process's writes from now on."""
FALLBACK_POLL = 10.0
"""Seconds between the reads that still catch what a notification missed, while notifications arrive."""
_TICK = 0.5  # seconds between looks at the stop flag while waiting for notifications
_FIRST_RETRY, _LAST_RETRY = 0.2, 5.0  # seconds before connecting again after the connection dropped
LISTENER_NAME = "agentkit-listen"
"""The application_name of listening connections: how workers find each other."""
_OTHERS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s "
    "AND pid <> pg_backend_pid()"
)
_HANDOVER = 5.0  # seconds a hello waits at most for the process's quiet transactions to end


@dataclass(frozen=True)
class Notification:
    channel: str
    payload: str
    pid: int
    """The PostgreSQL backend that sent it: one of the writer's connections."""


Callback = Callable[[Notification | None], None]


class Listening:
    """One caller's subscription to its database's notifications on one channel; ``cancel()`` to stop."""

    def __init__(
        self,
        listener: _Listener,
        channel: str,
        callback: Callback,
        loop: asyncio.AbstractEventLoop,
        owner: object = None,
        skip: Callable[[Notification], bool] | None = None,
        own: Callable[[object], bool] | None = None,
    ) -> None:
        self.channel = channel
        self.callback = callback
        self.loop = loop
        self.owner = owner
        """The database that listens: another one of the process writing on the channel notifies it."""
        self._listener = listener
        self._skip = skip
        self._own = own

    def owns(self, writer: object) -> bool:
        """Whether ``writer``'s writes need not notify this listening: its owner's own (``own``: the owner says)."""
        return writer is self.owner or (self._own is not None and self._own(writer))

    @property
    def connected(self) -> bool:
        """True while notifications arrive (and the other listeners are known); False while the listening connection
        is (re)connecting."""
        return self._listener.connected

    @property
    def backend_pid(self) -> int | None:
        """The listening connection's PostgreSQL backend, while connected (tests drop it to see a reconnect)."""
        return self._listener.backend_pid

    def cancel(self) -> None:
        self._listener.remove(self)

    def deliver(self, notification: Notification | None) -> None:
        if notification is not None and (
            notification.channel != self.channel or (self._skip is not None and self._skip(notification))
        ):
            return  # dropped on the listening thread: no wake-up of the caller's loop for it
        with contextlib.suppress(RuntimeError):  # the caller's loop has closed: it listens no more
            self.loop.call_soon_threadsafe(self.callback, notification)


class _Listener:
    """The thread and connection of one database URL, while anyone listens; and what the process knows of the
    other listeners, which tells its writes whether to notify (``quiet``)."""

    def __init__(self, url: str, connect: Callable[[], Any]) -> None:
        self.url = url
        self.connected = False
        self.backend_pid: int | None = None
        self.pid: int | None = None  # the listening connection's backend from connect on (``own_listeners``)
        self.server: tuple[str, int, str] | None = None  # and its server's host, port and database
        self._connect = connect
        self._lock = threading.Condition()
        self._listening: set[Listening] = set()
        self._known = False  # connected, and the other listeners looked up: the process may stay quiet
        self._others: set[int] = set()  # the other processes' listening connections (backend pids)
        self._quiet = 0  # the process's transactions that did not notify and have not ended yet
        self._catching_up: list[Listening] = []  # added while some were quiet: read once they have ended
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="agentkit-listen", daemon=True)

    def add(self, listening: Listening) -> None:
        with self._lock:
            self._listening.add(listening)
            if self._quiet:
                self._catching_up.append(listening)
        if not self._thread.is_alive():
            self._thread.start()

    def remove(self, listening: Listening) -> None:
        with _registry, self._lock:
            self._listening.discard(listening)
            if self._listening:
                return
            self._stop.set()  # the thread closes its connection within a tick
            if _listeners.get(self.url) is self:
                del _listeners[self.url]

    def quiet(self, owner: object, channel: str) -> Callable[[], None] | None:
        """None: notify. Otherwise nobody else listens on ``channel``: stay quiet, and call the result once the
        transaction has ended (a listener that appears meanwhile is greeted, and reads, only after that)."""
        with self._lock:
            if not self._known or self._others:
                return None
            if any(each.channel == channel and not each.owns(owner) for each in self._listening):
                return None
            self._quiet += 1
        return self._ended

    def _ended(self) -> None:
        with self._lock:
            self._quiet -= 1
            if self._quiet:
                return
            self._lock.notify_all()
            catching_up, self._catching_up = self._catching_up, []
        for listening in catching_up:
            listening.deliver(None)

    def _run(self) -> None:
        failures, dropped = 0, False
        while not self._stop.is_set():
            try:
                self._listen(dropped)
                failures = 0
            except Exception as error:  # the driver's errors, whatever the cause: connect again
                logger.warning("listening for PostgreSQL notifications failed (%s); connecting again", error)
                failures += 1
            finally:
                dropped = dropped or self.connected
                with self._lock:
                    self._known = False
                self.connected, self.backend_pid = False, None
            self._stop.wait(retry_delay(failures))

    def _listen(self, again: bool) -> None:
        with self._connect() as raw:
            # Before its name and hello: the process's turn locks tell it from another worker's (``_pg_alone``)
            self.pid, self.server = raw.info.backend_pid, server_of(raw)
            for channel in (MESSAGES_CHANNEL, DESK_CHANNEL, LISTENERS_CHANNEL):
                raw.execute(f"LISTEN {channel}")
            raw.execute(f"SET application_name = '{LISTENER_NAME}'")  # after LISTEN: whoever finds it by name is heard
            self._look_around(raw, hello=True)
            looked = time.monotonic()
            self.connected, self.backend_pid = True, raw.info.backend_pid
            if again:
                self._deliver(None)  # listening again: read what may have been missed meanwhile
            while not self._stop.is_set():
                greeted: set[int] = set()
                for notify in raw.notifies(timeout=_TICK):  # at most a tick, however many arrive
                    if notify.channel == LISTENERS_CHANNEL:
                        greeted.add(notify.pid)
                    else:
                        self._deliver(Notification(notify.channel, notify.payload, notify.pid))
                greeted.discard(raw.info.backend_pid)
                if greeted:
                    self._greeted(raw, greeted)
                if time.monotonic() - looked >= FALLBACK_POLL:
                    self._look_around(raw)
                    looked = time.monotonic()

    def _look_around(self, raw: Any, hello: bool = False) -> None:
        """Which other processes listen now (those that stopped are forgotten); greet those that are new."""
        found = {int(row[0]) for row in raw.execute(_OTHERS, (LISTENER_NAME,)).fetchall()}
        with self._lock:
            new = bool(found - self._others)
            self._others, self._known = found, True
        if new or hello:
            self._hello(raw, wait=new)

    def _greeted(self, raw: Any, pids: set[int]) -> None:
        """Other listeners said hello: they notify this process of their writes from now on, and those they did
        not notify have committed. Read what may have been missed; greet the new ones."""
        with self._lock:
            new = bool(pids - self._others)
            self._others |= pids
        if new:
            self._hello(raw, wait=True)
        self._deliver(None)

    def _hello(self, raw: Any, wait: bool) -> None:
        """``wait``: new listeners are known, so no transaction stays quiet any more; greet them once those that
        did (before they were known) have ended."""
        if wait:
            with self._lock:
                if not self._lock.wait_for(lambda: not self._quiet, _HANDOVER):
                    logger.warning("transactions still quiet after %s s: greeting the others anyway", _HANDOVER)
        raw.execute(f"NOTIFY {LISTENERS_CHANNEL}")

    def _deliver(self, notification: Notification | None) -> None:
        with self._lock:
            listening = list(self._listening)
        for each in listening:
            each.deliver(notification)


_listeners: dict[str, _Listener] = {}
_registry = threading.Lock()


def listen(
    url: str,
    connect: Callable[[], Any],
    channel: str,
    callback: Callback,
    owner: object = None,
    skip: Callable[[Notification], bool] | None = None,
    own: Callable[[object], bool] | None = None,
) -> Listening:
    """``callback`` gets each notification on ``channel`` of the database at ``url`` on the running event loop,
    but those for which ``skip`` (called on the listening thread) is true. ``connect``: a new autocommit connection
    (the database's own ``connect``); ``owner``: the database listening (its own writes need not notify it);
    ``own``: whether another writer's writes are its own too (a database writing its tables)."""
    loop = asyncio.get_running_loop()
    with _registry:
        listener = _listeners.get(url)
        if listener is None:
            listener = _listeners[url] = _Listener(url, connect)
        listening = Listening(listener, channel, callback, loop, owner, skip, own)
        listener.add(listening)
    return listening


def retry_delay(failures: int) -> float:
    """Seconds before connecting again after ``failures`` failures in a row (0: the connection dropped after it
    worked): 0.2 s, doubled each time, at most 5 s."""
    return min(_FIRST_RETRY * 2.0 ** max(failures - 1, 0), _LAST_RETRY)


def own_listeners(server: tuple[str, int, str]) -> set[int]:
    """The backends of this process's connections listening on ``server`` (``server_of``), whatever their URL (a
    search path, say): not another worker's (``_pg_alone``)."""
    with _registry:
        return {each.pid for each in _listeners.values() if each.pid is not None and each.server == server}


def server_of(raw: Any) -> tuple[str, int, str]:
    """A connection's server and database: (host, port, database name)."""
    return raw.info.host, raw.info.port, raw.info.dbname


def stay_quiet(url: str, owner: object, channel: str) -> Callable[[], None] | None:
    """Whether a transaction of ``owner`` (a database at ``url``) that wrote for ``channel`` may skip its
    notification: None if it must notify; otherwise call the result once the transaction has ended."""
    listener = _listeners.get(url)
    return None if listener is None else listener.quiet(owner, channel)


def notify_on_insert(table: str, channel: str, payload: str, when: str = "") -> Callable[[Connection], None]:
    """A migration step (``Migration(run=...)``): on PostgreSQL, a trigger that notifies ``channel`` with the SQL
    expression ``payload`` for each row inserted into ``table`` (``when``: only rows where it holds). The
    notification goes out when the writing transaction commits, with no round trip of its own. Nothing on SQLite."""
    function = f"agentkit_notify_{table}"

    def create(connection: Connection) -> None:
        if connection.dialect != "postgresql":
            return
        connection.execute(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN PERFORM pg_notify('{channel}', {payload}); RETURN NULL; END $$"
        )
        condition = f" WHEN ({when})" if when else ""
        connection.execute(
            f"CREATE TRIGGER {function} AFTER INSERT ON {table} FOR EACH ROW{condition} EXECUTE FUNCTION {function}()"
        )

    return create


def no_notify_on_insert(table: str) -> Callable[[Connection], None]:
    """A migration step: drop the trigger ``notify_on_insert`` created (the writers notify, ``Connection.notify``)."""
    function = f"agentkit_notify_{table}"

    def drop(connection: Connection) -> None:
        if connection.dialect == "postgresql":
            connection.execute(f"DROP TRIGGER IF EXISTS {function} ON {table}")
            connection.execute(f"DROP FUNCTION IF EXISTS {function}()")

    return drop
