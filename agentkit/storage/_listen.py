"""PostgreSQL's LISTEN/NOTIFY: one listening connection per process and database wakes what used to poll.

Triggers (the runtime's and the desk's migrations) send a notification when a row commits: ``agentkit_messages``
(payload ``"seq:conversation_id"``) for each message the user sees, ``agentkit_desk`` (payload ``"seq"``) for each
desk event. ``database.listen(callback)`` hands each one to ``callback(notification)`` on the caller's event loop;
however many callers listen, one thread and one connection per database URL receive them for the process.

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import Connection

__all__ = [
    "DESK_CHANNEL", "FALLBACK_POLL", "MESSAGES_CHANNEL", "Listening", "Notification", "listen", "notify_on_insert",
]

logger = logging.getLogger("agentkit.storage")

MESSAGES_CHANNEL = "agentkit_messages"
DESK_CHANNEL = "agentkit_desk"
FALLBACK_POLL = 10.0
"""Seconds between the reads that still catch what a notification missed, while notifications arrive."""
_TICK = 0.5  # seconds between looks at the stop flag while waiting for notifications
_FIRST_RETRY, _LAST_RETRY = 0.2, 5.0  # seconds before connecting again after the connection dropped


@dataclass(frozen=True)
class Notification:
    channel: str
    payload: str
    pid: int
    """The PostgreSQL backend that sent it: one of the writer's connections."""


Callback = Callable[[Notification | None], None]


class Listening:
    """One caller's subscription to its database's notifications; ``cancel()`` to stop."""

    def __init__(
        self,
        listener: _Listener,
        callback: Callback,
        loop: asyncio.AbstractEventLoop,
        skip: Callable[[Notification], bool] | None = None,
    ) -> None:
        self.callback = callback
        self.loop = loop
        self._listener = listener
        self._skip = skip

    @property
    def connected(self) -> bool:
        """True while notifications arrive; False while the listening connection is (re)connecting."""
        return self._listener.connected

    @property
    def backend_pid(self) -> int | None:
        """The listening connection's PostgreSQL backend, while connected (tests drop it to see a reconnect)."""
        return self._listener.backend_pid

    def cancel(self) -> None:
        self._listener.remove(self)

    def deliver(self, notification: Notification | None) -> None:
        if notification is not None and self._skip is not None and self._skip(notification):
            return  # dropped on the listening thread: no wake-up of the caller's loop for it
        with contextlib.suppress(RuntimeError):  # the caller's loop has closed: it listens no more
            self.loop.call_soon_threadsafe(self.callback, notification)


class _Listener:
    """The thread and connection of one database URL, while anyone listens."""

    def __init__(self, url: str, connect: Callable[[], Any]) -> None:
        self.url = url
        self.connected = False
        self.backend_pid: int | None = None
        self._connect = connect
        self._lock = threading.Lock()
        self._listening: set[Listening] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="agentkit-listen", daemon=True)

    def add(self, listening: Listening) -> None:
        with self._lock:
            self._listening.add(listening)
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
                self.connected, self.backend_pid = False, None
            self._stop.wait(min(_FIRST_RETRY * 2 ** max(failures - 1, 0), _LAST_RETRY))

    def _listen(self, again: bool) -> None:
        with self._connect() as raw:
            for channel in (MESSAGES_CHANNEL, DESK_CHANNEL):
                raw.execute(f"LISTEN {channel}")
            self.connected, self.backend_pid = True, raw.info.backend_pid
            if again:
                self._deliver(None)  # listening again: read what may have been missed meanwhile
            while not self._stop.is_set():
                for notify in raw.notifies(timeout=_TICK):
                    self._deliver(Notification(notify.channel, notify.payload, notify.pid))

    def _deliver(self, notification: Notification | None) -> None:
        with self._lock:
            listening = list(self._listening)
        for each in listening:
            each.deliver(notification)


_listeners: dict[str, _Listener] = {}
_registry = threading.Lock()


def listen(
    url: str, connect: Callable[[], Any], callback: Callback, skip: Callable[[Notification], bool] | None = None
) -> Listening:
    """``callback`` gets each notification of the database at ``url`` on the running event loop, but those for
    which ``skip`` (called on the listening thread) is true. ``connect``: a new autocommit connection (the
    database's own ``connect``)."""
    loop = asyncio.get_running_loop()
    with _registry:
        listener = _listeners.get(url)
        if listener is None:
            listener = _listeners[url] = _Listener(url, connect)
        listening = Listening(listener, callback, loop, skip)
        listener.add(listening)
    return listening


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
