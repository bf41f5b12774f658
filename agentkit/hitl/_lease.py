"""A delivery claim kept alive while its owner works: a short lease, renewed on a heartbeat.

A deliverer claims an outbox row for ``claim_seconds`` and, while the helpdesk call is in flight (retries
included), renews the claim every third of that. A live deliverer therefore never loses its row, however slow the
helpdesk is; a dead one (kill -9, a lost machine) stops renewing, and its row is free for the next deliverer or
``agentkit hitl redeliver`` within ``claim_seconds``. Exactly once still holds: the row is only sent by whoever
holds the claim, and a takeover while a slow call is still landing sends the same idempotency key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ..loop import alarms
from ..storage import Connection
from . import _outbox as outbox
from ._host import HitlHost, Post

__all__ = ["KeptClaim", "claim_to_the_end", "claims_end", "keep_claim", "renew"]

T = TypeVar("T")

logger = logging.getLogger("agentkit.hitl")


def renew(connection: Connection, row_id: int, token: str, until: float) -> bool:
    """Extend this deliverer's claim on the row; False when the claim is not ours any more."""
    cursor = connection.execute(
        "UPDATE hitl_outbox SET claimed_until = ? WHERE id = ? AND claim_token = ? AND status = 'queued'",
        (until, row_id, token),
    )
    return bool(cursor.rowcount)


class _ToTheEnd(asyncio.Task[T]):
    """A task that cannot be cancelled: a task awaiting it that is cancelled (shutdown, a deadline) hears of it
    once this one is done, with its result still there to read. As ``asyncio.shield(ensure_future(...))`` but
    without the outer future: one event-loop round less for whoever awaits it (the answer wakes it directly)."""

    def cancel(self, msg: Any = None) -> bool:
        return False


async def claim_to_the_end(
    host: HitlHost, claim: Callable[[Connection, list[Post]], T], row_of: Callable[[T], int | None], token: str
) -> T:
    """Run the ``claim`` transaction; if this task is cancelled meanwhile (shutdown), the store's thread commits the
    claim anyway, so wait for it and give the row back before stopping: a cancelled deliverer holds no row.
    ``row_of``: the row the transaction claimed (None: none; never called with None)."""
    claiming = _ToTheEnd(host.transact(claim))
    try:
        return await claiming
    except asyncio.CancelledError:
        if not claiming.done():  # not ours: the task cannot be cancelled (see ``_ToTheEnd``)
            raise
        claimed = claiming.result()  # its own error, if it failed, as awaiting it would raise
        if claimed is not None and (row_id := row_of(claimed)) is not None:
            await host.transact(lambda c, _: outbox.release(c, row_id, token))
        raise


def claims_end(connection: Connection, plugin: str, since: float) -> float | None:
    """When the last claim on the plugin's queued rows that was live at ``since`` runs out (or ran out: it may be
    past), if there is one."""
    (until,) = connection.execute(
        "SELECT MAX(claimed_until) FROM hitl_outbox WHERE plugin = ? AND status = 'queued' AND claimed_until > ?",
        (plugin, since),
    ).fetchone()
    return None if until is None else float(until)


def keep_claim(host: HitlHost, row_id: int, token: str, lease: float) -> KeptClaim:
    """Within the block (``with``, on the event loop, or ``async with``), the claim on ``row_id`` is renewed every
    ``lease / 3`` seconds. Most helpdesk calls end well within the first third of the lease: the heartbeat task only
    starts once one has not (until then an entry under the loop's shared timer, ``agentkit.loop.alarms``: not a
    task, nor a timer, per call). Entering and leaving wait for nothing: ``with`` costs no coroutine either."""
    return KeptClaim(host, row_id, token, lease)


class KeptClaim:
    __slots__ = ("_beats", "_host", "_key", "_lease", "_row_id", "_token")

    def __init__(self, host: HitlHost, row_id: int, token: str, lease: float) -> None:
        self._host, self._row_id, self._token, self._lease = host, row_id, token, lease
        self._beats: list[asyncio.Task[None]] = []

    def __enter__(self) -> None:
        self._key = alarms().add(self._lease / 3, self._start)

    def __exit__(self, *_: object) -> None:
        alarms().remove(self._key)
        for beat in self._beats:
            beat.cancel()  # not awaited: awaiting it here could swallow a cancellation meant for our caller

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *_: object) -> None:
        self.__exit__()

    def _start(self) -> None:
        heartbeat = _heartbeat(self._host, self._row_id, self._token, self._lease)
        self._beats.append(asyncio.get_running_loop().create_task(heartbeat, name=f"claim-{self._row_id}"))


async def _heartbeat(host: HitlHost, row_id: int, token: str, lease: float) -> None:
    """Renew now (a third of the lease has passed), then every third of it, while the claim is ours."""
    while True:
        try:
            kept = await host.transact(lambda c, _: renew(c, row_id, token, time.time() + lease))
        except Exception:  # the store hiccuped: the next beat tries again, well within the lease
            logger.warning("HITL: could not renew the claim on outbox row %s", row_id, exc_info=True)
            kept = True
        if not kept:
            return
        await asyncio.sleep(lease / 3)
