"""``create_app``: the webchat, the desk, the REST API with its OpenAPI document, and the helpdesk webhooks, on
one Starlette app.

The app reaches conversations only through the agent (``receive``, ``history``, ``subscribe``), tickets only
through the desk service, handoffs only through the HITL plugins, and accounts and conversation tokens through a
``ServerStore``: swapping SQLite for another database changes none of it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from ..hitl._plugin import HitlPlugin
from ._api import ApiError, ApiRoute, error_response, json_response, openapi_document
from ._chat_api import CHAT_ROUTES
from ._desk_api import DESK_ROUTES
from ._pages import PAGE_ROUTES
from ._schemas import Health
from ._security import SessionSigner
from ._state import DeskService, ServerState, server_state
from ._store import DatabaseServerStore, ServerStore
from ._webhooks import WEBHOOK_ROUTES

__all__ = ["api_routes", "create_app", "find_desk"]

logger = logging.getLogger("agentkit.server")


async def health(request: Request) -> Response:
    state = server_state(request)
    model = getattr(getattr(state.agent, "model", None), "name", "?")
    return json_response(Health(status="ok", agent=state.agent.name, model=model, desk=state.desk is not None))


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)


def api_routes() -> list[ApiRoute]:
    """Every API route of the app, the webhooks included: the table the OpenAPI document is made from."""
    own = [
        ApiRoute("GET", "/api/health", health, "Is the server up, and with which agent and model", "public",
                 "server", response=Health),
        ApiRoute("GET", "/api/openapi.json", openapi, "This document", "public", "server"),
    ]  # fmt: skip
    return [*own, *CHAT_ROUTES, *DESK_ROUTES, *WEBHOOK_ROUTES]


def find_desk(agent: Any) -> DeskService | None:
    """The desk of the agent's first plugin that has one (``DeskHitl``), or None."""
    for plugin in getattr(agent, "plugins", {}).values():
        desk = getattr(plugin, "desk", None)
        if desk is not None:
            return desk  # type: ignore[no-any-return]
    return None


def create_app(
    agent: Any,
    *,
    desk: DeskService | None = None,
    secret_key: str | bytes,
    store: ServerStore | None = None,
    manage_agent: bool = True,
    poll_interval: float = 1.0,
    keepalive_interval: float = 15.0,
    session_max_age: float = 12 * 3600,
) -> Starlette:
    """The ASGI app for ``agent``. ``desk``: default the agent's ``DeskHitl`` desk. ``secret_key`` signs desk
    sessions (keep it across restarts, or everyone signs in again). ``store``: accounts and conversation tokens
    (default: in memory; the caller closes a store it passes). ``manage_agent``: the app's lifespan starts and
    closes the agent."""
    state = ServerState(
        agent=agent, desk=desk if desk is not None else find_desk(agent), store=store or DatabaseServerStore(),
        signer=SessionSigner(secret_key, max_age=session_max_age), hitl=_first_hitl(agent),
        poll_interval=poll_interval, keepalive_interval=keepalive_interval,
    )  # fmt: skip
    table = api_routes()
    app = Starlette(
        routes=_routes(table),
        lifespan=_lifespan(state, manage_agent=manage_agent, owns_store=store is None),
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _server_error},
    )
    app.state.agentkit = state
    app.state.openapi = openapi_document(table, title=f"agentkit server: {agent.name}", version="1")
    return app


def _routes(table: Sequence[ApiRoute]) -> list[BaseRoute]:
    static = Mount("/static", StaticFiles(packages=[("agentkit.server", "static")]), name="static")
    return [*PAGE_ROUTES, *(r.route() for r in table), static]


def _first_hitl(agent: Any) -> Any | None:
    return next((p for p in getattr(agent, "plugins", {}).values() if isinstance(p, HitlPlugin)), None)


def _lifespan(state: ServerState, *, manage_agent: bool, owns_store: bool) -> Any:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if owns_store:
                stack.push_async_callback(state.store.aclose)
            if manage_agent:
                await stack.enter_async_context(state.agent)
            stack.callback(state.hub.close)  # first out: open streams end before the agent closes
            yield

    return lifespan


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(("/api/", "/webhooks/")):
        return error_response(exc.status_code, f"{exc.detail}: {request.method} {request.url.path}", exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, "the server failed on this request; the details are in the server log")
