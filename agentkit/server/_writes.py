"""A connection's transport that sends what uvicorn writes in one round of the event loop with one ``send``.

uvicorn's h11 protocol writes an answer in two pieces: the status line and headers when the app starts the
response, the body when it sends it, a moment later in the same round of the loop. Each ``transport.write`` on an
idle socket is a ``send`` system call (on loopback the kernel also delivers the segment to the reader within it),
and the client gets two segments for one small JSON answer. Held until the round ends, or until the response is
complete, the two go as one: one call and one segment. Nothing waits longer than the round it was written in, so
an event stream's pieces still leave as they are written, and bytes leave in the order they were written. Past
``HOLD_AT_MOST`` bytes held, they leave at once: the transport's flow control (uvicorn waits while its buffer is
full) sees a large answer as it is written, not after the round.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["HOLD_AT_MOST", "CoalescedWrites"]

HOLD_AT_MOST = 64 * 1024


class CoalescedWrites:
    """``transport``, with the writes of one loop round sent together (``flush``: at once). Anything else is the
    transport's own."""

    __slots__ = ("_held", "_held_bytes", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, data: bytes) -> None:
        if not data:  # h11's end of a Content-Length body: nothing to send
            return
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(data)
        self._held_bytes += len(data)
        if self._held_bytes > HOLD_AT_MOST:
            self.flush()

    def flush(self) -> None:
        """What is held, in one write. Dropped when the connection is closing: the peer went away (we flush
        before closing ourselves), and the transport would only log that it cannot send."""
        if not self._held:
            return
        held, self._held, self._held_bytes = self._held, [], 0
        if not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
