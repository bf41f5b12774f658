"""Server-sent events: a response that streams an async iterator of events and stops when the client leaves.

Starlette's ``StreamingResponse`` only notices a departed client when a write fails; this one also listens for
``http.disconnect``, so a closed tab releases its subscription at once. ``StreamHub.close()`` ends every stream
(the server calls it before its graceful shutdown, which would otherwise wait for the streams forever).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

import anyio
from starlette.types import Receive, Scope, Send

from .. import telemetry

__all__ = ["KEEPALIVE", "EventStream", "StreamHub", "sse"]

KEEPALIVE = ": keepalive\n\n"
"""Sent when idle, so proxies keep the connection and a dead one is found."""


def sse(event: str, data: Any, event_id: int | str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


class StreamHub:
    """Knows when the server is closing, so every open stream can end."""

    def __init__(self) -> None:
        self.closing = asyncio.Event()

    def close(self) -> None:
        self.closing.set()


class EventStream:
    """An ASGI response: ``text/event-stream`` from ``events`` until it ends, the client leaves or the hub closes."""

    def __init__(self, events: AsyncGenerator[str, None], hub: StreamHub) -> None:
        self.events = events
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),  # nginx would buffer the stream otherwise
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        telemetry.emit("stream", change=1)
        try:
            await self._run(send, receive)
        finally:
            telemetry.emit("stream", change=-1)
        await _finish(send)

    async def _run(self, send: Send, receive: Receive) -> None:
        async with aclosing(self.events), anyio.create_task_group() as group:

            async def until(waiter: Any) -> None:
                await waiter()
                group.cancel_scope.cancel()

            group.start_soon(until, lambda: self._pump(send))
            group.start_soon(until, lambda: _disconnected(receive))
            group.start_soon(until, self.hub.closing.wait)

    async def _pump(self, send: Send) -> None:
        async for chunk in self.events:
            await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _finish(send: Send) -> None:
    try:
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:
        pass  # the client has gone; there is nobody to tell
