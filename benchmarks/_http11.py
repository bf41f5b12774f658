"""A lean HTTP/1.1 client for the load benchmark: one keep-alive connection on asyncio streams, JSON in and out,
bodies framed by Content-Length, nothing else (no TLS, no chunked bodies, no redirects, no cookies).

It exists because the client shares the machine's two cores with the server it measures: httpx2 spends several
times more CPU per request (URL and header models, the connection pool, h11's state machine), which a client
driving hundreds of requests a second takes from the server. It answers like the subset of ``httpx2.AsyncClient``
the benchmark uses (``post``/``get`` with ``json`` and ``headers``, ``raise_for_status``, ``json``), so the
benchmark's conversation runs on either.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


class HTTPError(Exception):
    """A request that failed: an error status, a connection closed mid-answer, an answer this client cannot read."""


@dataclass
class Response:
    status_code: int
    content: bytes
    method: str
    path: str

    def json(self) -> Any:
        return json.loads(self.content)

    def raise_for_status(self) -> Response:
        if self.status_code >= 400:
            raise HTTPError(f"{self.method} {self.path}: {self.status_code} {self.content[:200]!r}")
        return self


class LeanClient:
    """One connection to ``base_url`` (``http://host:port``), used one request after the other; reopened when it
    has been idle for ``keepalive_expiry`` seconds, as httpx's pool does, or when the server closed it."""

    def __init__(self, base_url: str, timeout: float = 120.0, keepalive_expiry: float = 1.0) -> None:
        address = urlsplit(base_url)
        if address.scheme != "http" or not address.hostname:
            raise ValueError(f"LeanClient speaks plain http://host:port only, not {base_url!r}")
        self._host, self._port = address.hostname, address.port or 80
        self._host_header = f"Host: {address.netloc}\r\n"
        self._timeout, self._expiry = timeout, keepalive_expiry
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._idle_since = 0.0

    async def post(self, path: str, json: object, headers: Mapping[str, str] | None = None) -> Response:
        return await self.request("POST", path, json, headers)

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> Response:
        return await self.request("GET", path, None, headers)

    async def request(
        self, method: str, path: str, body: object | None, headers: Mapping[str, str] | None = None
    ) -> Response:
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\n{self._host_header}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        try:
            async with asyncio.timeout(self._timeout):
                reader, writer = await self._connection()
                writer.write(head.encode("latin-1") + b"\r\n" + payload)
                status, content, close = await self._answer(reader, method, path)
        except BaseException:  # a timeout or an error mid-answer leaves the connection unusable
            await self.aclose()
            raise
        if close:
            await self.aclose()
        self._idle_since = time.monotonic()
        return Response(status, content, method, path)

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._streams is not None and (
            time.monotonic() - self._idle_since >= self._expiry or self._streams[0].at_eof()
        ):
            await self.aclose()
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        return self._streams

    async def _answer(self, reader: asyncio.StreamReader, method: str, path: str) -> tuple[int, bytes, bool]:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            raise HTTPError(f"{method} {path}: the server closed the connection before answering") from error
        status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        fields = {}
        for line in lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if "content-length" not in fields:
            raise HTTPError(f"{method} {path}: an answer without Content-Length ({status_line}), not supported here")
        content = await reader.readexactly(int(fields["content-length"]))
        return int(status_line.split(" ", 2)[1]), content, fields.get("connection", "").lower() == "close"

    async def aclose(self) -> None:
        streams, self._streams = self._streams, None
        if streams is not None:
            streams[1].close()
            try:
                await streams[1].wait_closed()
            except OSError:  # the server reset it first: closed all the same
                pass

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()
