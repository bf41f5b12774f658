"""``LoopbackServer``: a real HTTP/1.1 server on 127.0.0.1 for tests, recording requests, injecting faults.

Fake helpdesks and the fake OpenAI server are built on it. It runs an asyncio event loop in one background
thread, with keep-alive, so a client's connection pool behaves as against a real service. One thread for all
connections, not one per connection: with hundreds of connections, threads spend their time fighting for the GIL
(measured: 200 concurrent connections served 3x faster this way).
"""

from __future__ import annotations

import asyncio
import inspect
import json as jsonlib
import threading
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = ["Fault", "LoopbackServer", "RecordedRequest", "Response", "Route"]


@dataclass
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received_at: float
    chunks_sent_at: list[float] = field(default_factory=list)
    """For a response sent in chunks: when each was written (``time.monotonic()``)."""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return jsonlib.loads(self.body)


@dataclass
class Response:
    """What ``route`` answers: ``json`` (serialised, with a JSON content type) wins over ``body`` when set.
    ``chunks`` wins over both: the body is sent in those pieces (chunked encoding), ``chunk_gap`` seconds apart."""

    status: int = 200
    json: Any = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Sequence[bytes] = ()
    chunk_gap: float = 0.0


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour, consumed by one request before ``route`` runs."""

    kind: Literal["status", "stall", "drop", "raw"]
    response: Response | None = None
    seconds: float = 0.0
    payload: bytes = b""

    @staticmethod
    def status(code: int, headers: dict[str, str] | None = None, json: Any = None) -> Fault:
        """Answer ``code`` (with ``headers`` and a JSON body) instead of the route's response."""
        if json is None:
            json = {"error": {"message": f"injected fault: HTTP {code}", "code": code}}
        return Fault("status", Response(code, json=json, headers=dict(headers or {})))

    @staticmethod
    def stall(seconds: float) -> Fault:
        """Read the request, send nothing for ``seconds``, then close the connection."""
        return Fault("stall", seconds=seconds)

    @staticmethod
    def drop() -> Fault:
        """Read the request, then close the connection without any response."""
        return Fault("drop")

    @staticmethod
    def raw(data: bytes) -> Fault:
        """Read the request, send ``data`` as it is (a status line, headers, part of a body...), then close the
        connection: a response cut mid-body, a body that is not JSON, framing a proxy got wrong."""
        return Fault("raw", payload=data)


Answer = Response | Fault
Route = Callable[[RecordedRequest], Answer | Awaitable[Answer]]


class LoopbackServer:
    """A real HTTP/1.1 server on ``127.0.0.1`` (a free port) answering every request with ``route``.

    ``route`` may return a ``Fault`` to misbehave for that one request, and may be ``async``. A sync ``route``
    runs on the server's event loop thread, so it must not block: use ``latency`` or an async route for delays.
    Use with ``with`` or ``async with``, or ``start()`` / ``stop()``.
    """

    def __init__(self, route: Route, *, latency: float = 0.0) -> None:
        self.route = route
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self.url = ""
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._connections: set[asyncio.Task[None]] = set()

    def inject(self, *faults: Fault) -> None:
        """Queue faults; each is consumed, in order, by the next request."""
        with self._lock:
            self._faults.extend(faults)

    @property
    def open_connections(self) -> int:
        """Client connections open right now: a client that closed (or never kept) its connections leaves 0."""
        return len(self._connections)

    def clear_faults(self) -> int:
        """Drop the faults no request has consumed yet (the service is back); returns how many there were."""
        with self._lock:
            dropped = len(self._faults)
            self._faults.clear()
        return dropped

    def start(self) -> Self:
        """Bind a free port and serve from a background thread; ``url`` is set when this returns."""
        if self._thread is not None:
            raise RuntimeError("LoopbackServer is already started; stop() it first")
        ready: list[BaseException | int] = []
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready, started), name="loopback", daemon=True)
        self._thread.start()
        started.wait()
        if isinstance(ready[0], BaseException):
            self._thread.join()
            self._thread = None
            raise ready[0]
        self.url = f"http://127.0.0.1:{ready[0]}"
        return self

    def stop(self) -> None:
        """Close every connection (stalled or idle keep-alive ones too) and join the server thread."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None or loop is None or stop is None:
            return
        loop.call_soon_threadsafe(stop.set)
        thread.join()
        self._thread = self._loop = self._stop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self, ready: list[BaseException | int], started: threading.Event) -> None:
        with asyncio.Runner() as runner:
            runner.run(self._serve(ready, started))

    async def _serve(self, ready: list[BaseException | int], started: threading.Event) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        connections = self._connections = set()
        try:
            server = await asyncio.start_server(
                lambda r, w: _track(connections, _Connection(self, r, w).serve()), "127.0.0.1", 0, backlog=1024
            )
        except OSError as error:
            ready.append(error)
            started.set()
            return
        ready.append(server.sockets[0].getsockname()[1])
        started.set()
        async with server:
            await self._stop.wait()
            server.close()
            for task in list(connections):
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

    def _record(self, request: RecordedRequest) -> Fault | None:
        with self._lock:
            self.requests.append(request)
            return self._faults.popleft() if self._faults else None

    async def _answer(self, request: RecordedRequest) -> Answer:
        fault = self._record(request)
        if fault is not None:
            return fault
        try:
            answer = self.route(request)
            return await answer if inspect.isawaitable(answer) else answer
        except Exception:
            # A bug in a fake must fail the test loudly, not hang the client.
            return Response(500, body=traceback.format_exc().encode(), headers={"content-type": "text/plain"})


def _track(tasks: set[asyncio.Task[None]], coroutine: Awaitable[None]) -> None:
    task = asyncio.ensure_future(coroutine)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


class _BadRequest(Exception):
    pass


class _Connection:
    """One client connection: requests read and answered one after another (HTTP/1.1 keep-alive)."""

    def __init__(self, owner: LoopbackServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.owner, self.reader, self.writer = owner, reader, writer

    async def serve(self) -> None:
        try:
            while await self._serve_one():
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away
        except _BadRequest as error:
            self.writer.write(_head(400, {"content-length": "0", "connection": "close"}, str(error)))
        finally:
            self.writer.close()

    async def _serve_one(self) -> bool:
        """Read and answer one request; False when the connection must close."""
        start = await self.reader.readline()
        if not start.strip():
            return False
        request, keep_alive = await self._read_request(start)
        answer = await self.owner._answer(request)
        if isinstance(answer, Fault) and answer.kind != "status":
            if answer.kind == "stall":
                await asyncio.sleep(answer.seconds)
            elif answer.kind == "raw":
                self.writer.write(answer.payload)
                await self.writer.drain()
            return False
        if self.owner.latency > 0:
            await asyncio.sleep(self.owner.latency)
        response = answer.response if isinstance(answer, Fault) else answer
        assert response is not None
        if response.chunks and request.method != "HEAD":
            await self._write_chunks(response, keep_alive, request)
        else:
            await self._write(response, keep_alive, head_only=request.method == "HEAD")
        return keep_alive

    async def _read_request(self, start: bytes) -> tuple[RecordedRequest, bool]:
        received_at = time.monotonic()
        try:
            method, target, version = start.decode("latin-1").split()
        except ValueError:
            raise _BadRequest(f"bad request line {start!r}") from None
        headers = await self._read_headers()
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
        if headers.get("expect", "").lower() == "100-continue":
            self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = await self._read_body(headers)
        return RecordedRequest(method, parts.path, query, headers, body, received_at), keep_alive

    async def _read_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise _BadRequest(f"bad header line {line!r}")
            headers[name.strip().lower()] = value.strip()
        return headers

    async def _read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await self._read_chunked()
        length = int(headers.get("content-length") or 0)
        return await self.reader.readexactly(length) if length else b""

    async def _read_chunked(self) -> bytes:
        chunks = []
        while size := int((await self.reader.readline()).split(b";")[0].strip() or b"0", 16):
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readline()
        while (await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)

    async def _write(self, response: Response, keep_alive: bool, head_only: bool) -> None:
        body, headers = response.body, {k.lower(): v for k, v in response.headers.items()}
        if response.json is not None:
            body = jsonlib.dumps(response.json).encode()
            headers.setdefault("content-type", "application/json")
        headers["content-length"] = str(len(body))
        if not keep_alive:
            headers["connection"] = "close"
        # One write for head and body: two small writes can meet Nagle + delayed ACK.
        self.writer.write(_head(response.status, headers) + (b"" if head_only else body))
        await self.writer.drain()


    async def _write_chunks(self, response: Response, keep_alive: bool, request: RecordedRequest) -> None:
        headers = {k.lower(): v for k, v in response.headers.items()} | {"transfer-encoding": "chunked"}
        if not keep_alive:
            headers["connection"] = "close"
        head = _head(response.status, headers)
        for position, chunk in enumerate(response.chunks):
            if position and response.chunk_gap > 0:
                await asyncio.sleep(response.chunk_gap)
            self.writer.write((head if position == 0 else b"") + b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await self.writer.drain()
            request.chunks_sent_at.append(time.monotonic())
        self.writer.write(b"0\r\n\r\n")
        await self.writer.drain()


def _head(status: int, headers: dict[str, str], reason: str = "") -> bytes:
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
