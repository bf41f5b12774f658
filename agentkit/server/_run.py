"""Running the app with uvicorn: ``serve`` for the CLI, ``running_server`` (same event loop) and ``ServerThread``
(its own thread and loop) for tests, all on a socket bound before the server starts, so port 0 picks a free one.

On shutdown the app's event streams are ended first: uvicorn's graceful shutdown waits for every open response,
and an SSE stream would otherwise keep it waiting forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette

from ..exceptions import ConfigError
from ._metrics import MetricsListener
from ._protocols import protocol_class

__all__ = ["ConnectionOptions", "ServerThread", "bind", "running_server", "serve"]


@dataclass(frozen=True)
class ConnectionOptions:
    """How uvicorn treats connections. The defaults suit a server reached directly, proxy or not."""

    forwarded_allow_ips: tuple[str, ...] = ()
    """Peers whose ``X-Forwarded-For``/``-Proto`` are believed (a reverse proxy); empty: nobody's, loopback's
    neither, so a client cannot pick its own address (and escape per-address quotas) with a header."""
    timeout_keep_alive: int = 5
    """Seconds an idle keep-alive connection stays open between requests."""
    timeout_headers: float = 10.0
    """Seconds a client has to send a request's headers (uvicorn has no such limit: a slow client would hold its
    connection forever)."""
    limit_concurrency: int | None = 1000
    """Connections and requests at once; beyond it uvicorn answers 503."""
    ssl_keyfile: str | None = None
    ssl_certfile: str | None = None


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._app.state.agentkit.hub.close()
        await super().shutdown(sockets)


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}; pick another --port or --host") from None
    # Listening from now on: a request made as soon as the URL is printed waits for startup instead of being refused.
    sock.listen(2048)
    return sock


def _server(
    app: Starlette, log_level: str, options: ConnectionOptions | None = None, metrics_sock: socket.socket | None = None
) -> _Server:
    options = options or ConnectionOptions()
    protocol = protocol_class(options.timeout_headers)
    config = uvicorn.Config(
        _listening(app, metrics_sock), lifespan="on", log_level=log_level, access_log=False, ws="none", http=protocol,
        timeout_graceful_shutdown=5, timeout_keep_alive=options.timeout_keep_alive,
        limit_concurrency=options.limit_concurrency, proxy_headers=bool(options.forwarded_allow_ips),
        forwarded_allow_ips=list(options.forwarded_allow_ips),  # never None: uvicorn would read $FORWARDED_ALLOW_IPS
        ssl_keyfile=options.ssl_keyfile, ssl_certfile=options.ssl_certfile,
        server_header=False,  # "server: uvicorn" tells a scanner which server's flaws to try
    )  # fmt: skip
    return _Server(config, app)


def _listening(app: Starlette, metrics_sock: socket.socket | None) -> Any:
    """The app, or with a metrics socket the app and /metrics apart (one server, one lifespan, both sockets)."""
    if metrics_sock is None:
        return app
    metrics = getattr(app.state, "metrics", None)
    if metrics is None:
        raise ConfigError("a metrics socket needs an app made with create_app(metrics=True, metrics_listener=True)")
    return MetricsListener(app, metrics, metrics_sock.getsockname()[:2])


def serve(
    app: Starlette,
    sock: socket.socket,
    *,
    log_level: str = "info",
    options: ConnectionOptions | None = None,
    metrics_sock: socket.socket | None = None,
) -> None:
    """Serve until Ctrl-C or SIGTERM (blocking), then shut down gracefully. ``metrics_sock``: a listener of its own
    for /metrics (the app made with ``metrics_listener=True``)."""
    sockets = [sock] if metrics_sock is None else [sock, metrics_sock]
    # uvicorn raises the signal it caught again once it has shut down; the shutdown is the answer to it.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_server(app, log_level, options, metrics_sock).serve(sockets=sockets))


@contextlib.asynccontextmanager
async def running_server(
    app: Starlette,
    *,
    log_level: str = "warning",
    options: ConnectionOptions | None = None,
    metrics_sock: socket.socket | None = None,
) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 in this event loop for the ``async with`` block; yields the base URL.
    ``metrics_sock``: as for ``serve`` (the caller binds and closes it)."""
    server = _server(app, log_level, options, metrics_sock)  # before bind(): it may refuse, leaving no socket open
    sock = bind()
    sockets = [sock] if metrics_sock is None else [sock, metrics_sock]
    task = asyncio.get_running_loop().create_task(server.serve(sockets=sockets))
    try:
        await _wait_started(server, task.done)
        yield _base_url(sock)
    finally:
        server.should_exit = True
        await task
        sock.close()


class ServerThread:
    """``app`` served by uvicorn on 127.0.0.1 in a background thread, from ``start()`` (or ``with``) to ``stop()``."""

    def __init__(self, app: Starlette, *, log_level: str = "warning", options: ConnectionOptions | None = None) -> None:
        self._sock = bind()
        self._server = _server(app, log_level, options)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="agentkit-server", daemon=True)
        self.base_url = _base_url(self._sock)

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._sock]))
        except BaseException as error:  # handed to the thread that waits in start()
            self._error = error

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        for _ in range(int(timeout / 0.02)):
            if self._server.started or not self._thread.is_alive():
                break
            time.sleep(0.02)
        if not self._server.started:
            self.stop()
            detail = f": {self._error}" if self._error else ""
            raise RuntimeError(f"the server did not start (see its log above){detail}")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


async def _wait_started(server: uvicorn.Server, failed: Callable[[], bool]) -> None:
    while not server.started:
        if failed():
            raise RuntimeError("the server did not start (see its log above)")
        await asyncio.sleep(0.01)


def _base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"
