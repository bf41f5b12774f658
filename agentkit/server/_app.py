"""``create_app``: the webchat, the desk app, the REST API with its OpenAPI document, and the helpdesk webhooks, on
one Starlette app.

The server only assembles: the webchat reaches conversations through the agent (``receive``, ``history``,
``subscribe``: ``ServedAgent``) and handoffs through the HITL plugins; the desk (its page, its API, its accounts
and sessions) is ``agentkit.desk.DeskApp``, mounted as it is; webhooks go to the agent's plugins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .. import telemetry
from ..desk import (
    ERROR_HANDLERS,
    ApiRoute,
    DeskApp,
    DeskService,
    LabellingQueue,
    LoginThrottle,
    json_response,
    openapi_document,
)
from ..hitl import HitlPlugin
from ..storage import parse_url
from ._chat_api import CHAT_ROUTES
from ._conversations import DatabaseServerStore, ServerStore
from ._direct import DirectRoutes
from ._hardening import HardenedApp
from ._host import ServedAgent
from ._metrics import Metrics
from ._outbox_api import OUTBOX_ROUTES
from ._pages import PAGE_ROUTES
from ._quotas import QuotaCounter, WebchatQuotas
from ._schemas import Health
from ._state import ServerState, server_state
from ._webhooks import WEBHOOK_ROUTES

__all__ = ["api_routes", "create_app", "find_desk"]


async def health(request: Request) -> Response:
    state = server_state(request)  # the model is not named: it tells an attacker which prompt tricks to try
    return json_response(Health(status="ok", agent=state.agent.name, desk=state.desk is not None))


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)


def api_routes(desk_routes: Sequence[ApiRoute] = DeskApp.API_ROUTES) -> list[ApiRoute]:
    """Every API route of the app, the desk's and the webhooks included: the table the OpenAPI document is made
    from. ``desk_routes``: the mounted desk app's."""
    own = [
        ApiRoute("GET", "/api/health", health, "Is the server up, and with which agent", "public",
                 "server", response=Health),
        ApiRoute("GET", "/api/openapi.json", openapi, "This document", "public", "server"),
    ]  # fmt: skip
    return [*own, *CHAT_ROUTES, *desk_routes, *OUTBOX_ROUTES, *WEBHOOK_ROUTES]


def find_desk(agent: Any) -> DeskService | None:
    """The desk of the agent's first plugin that has one (``DeskHitl``), or None."""
    for plugin in getattr(agent, "plugins", {}).values():
        desk = getattr(plugin, "desk", None)
        if desk is not None:
            return desk  # type: ignore[no-any-return]
    return None


def create_app(
    agent: ServedAgent,
    *,
    desk: DeskService | None = None,
    secret_key: str | bytes,
    store: ServerStore | None = None,
    manage_agent: bool = True,
    poll_interval: float = 1.0,
    keepalive_interval: float = 15.0,
    session_max_age: float = 12 * 3600,
    allowed_hosts: Sequence[str] | None = None,
    quotas: WebchatQuotas | None = None,
    quota_db: str | None = None,
    session_idle_timeout: float = 2 * 3600,
    login_throttle: LoginThrottle | None = None,
    metrics: bool = False,
    metrics_token: str | None = None,
    metrics_listener: bool = False,
    labelling: LabellingQueue | None = None,
) -> Starlette:
    """The ASGI app for ``agent``. ``desk``: default the agent's ``DeskHitl`` desk. ``secret_key`` signs desk
    sessions (keep it across restarts, or everyone signs in again). ``store``: accounts and conversation tokens
    (default: in memory; the caller closes a store it passes). ``manage_agent``: the app's lifespan starts and
    closes the agent. ``allowed_hosts``: the ``Host`` names answered (others get 400), e.g.
    ``["chat.example.com"]``; None answers any (``agentkit serve`` passes its ``--allowed-hosts``). ``quotas``:
    the anonymous webchat's limits (default ``WebchatQuotas()``; ``WebchatQuotas.unlimited()`` for none), counted
    in ``quota_db`` (a path or URL; give the workers' shared database, else each process counts alone).
    ``metrics``: serve ``/metrics`` for Prometheus (needs ``prometheus-client``), asking for ``metrics_token`` as a
    bearer token when one is given; ``metrics_listener``: not among the app's routes but on a listener of its own
    (``serve(..., metrics_sock=...)``). ``labelling``: the eval-case labelling queue the desk serves at
    ``/desk/labelling`` to signed-in agents (the caller closes it)."""
    server_store = store or DatabaseServerStore()
    desk_app = DeskApp(
        desk if desk is not None else find_desk(agent), server_store, secret_key=secret_key,
        session_max_age=session_max_age, session_idle_timeout=session_idle_timeout, poll_interval=poll_interval,
        login_throttle=login_throttle, keepalive_interval=keepalive_interval, labelling=labelling,
    )  # fmt: skip
    state = ServerState(agent=agent, store=server_store, desk_app=desk_app, hitl=_first_hitl(agent),
                        keepalive_interval=keepalive_interval, hub=desk_app.state.hub,
                        quotas=_quota_counter(server_store, quota_db, quotas))  # fmt: skip
    table = api_routes(desk_app.api_routes)
    observed = Metrics(metrics_token) if metrics else None
    on_app = observed is not None and not metrics_listener
    extra = [Route("/metrics", observed.endpoint, methods=["GET"])] if observed is not None and on_app else []
    routes = _routes(table, desk_app)
    app = HardenedApp(
        routes=[*extra, *routes],
        allowed_hosts=allowed_hosts,
        middleware=[Middleware(DirectRoutes, routes=_direct(routes), handlers=ERROR_HANDLERS)],
        lifespan=_lifespan(state, manage_agent=manage_agent, owns_store=store is None, metrics=observed),
        exception_handlers=ERROR_HANDLERS,
    )
    app.state.agentkit = state
    app.state.metrics = observed
    app.state.openapi = openapi_document(table, title=f"agentkit server: {agent.name}", version="1")
    return app


def _quota_counter(store: ServerStore, quota_db: str | None, quotas: WebchatQuotas | None) -> QuotaCounter:
    """The counters in ``quota_db``: in the server store's own database when it is the same one (as under
    ``agentkit serve``), so that one SQLite file has one writer."""
    if quota_db is not None and isinstance(store, DatabaseServerStore) and store.location == parse_url(quota_db):
        return QuotaCounter(quotas=quotas, database=store.database)
    return QuotaCounter(quota_db or ":memory:", quotas)


def _routes(table: Sequence[ApiRoute], desk_app: DeskApp) -> list[BaseRoute]:
    """The server's own routes, then the desk app. It is mounted at the root because its paths (``/desk``,
    ``/api/desk/...``) are the ones the desk always had; its static files share ``/static`` with the webchat's."""
    own = {id(route) for route in desk_app.api_routes}
    static = StaticFiles(packages=[("agentkit.server", "static"), ("agentkit.desk", "static")])
    served = [r for r in table if id(r) not in own]
    return [
        *(r.route() for r in _busiest_first(served)),
        *PAGE_ROUTES,
        Mount("/static", static, name="static"),
        Mount("", app=desk_app),
    ]


def _busiest_first(routes: Sequence[ApiRoute]) -> list[ApiRoute]:
    """The webchat's routes first, its POSTs (every message) first of all: Starlette tries the routes in order, a
    regex each (a message went through 8 before its own, ~15 us). No two of these routes and pages match one path
    and method, so the order changes no answer (a test resolves every route both ways)."""
    chat = sorted((r for r in routes if r in CHAT_ROUTES), key=lambda r: r.method != "POST")
    return [*chat, *(r for r in routes if r not in CHAT_ROUTES)]


def _direct(routes: Sequence[BaseRoute]) -> list[Route]:
    """The webchat's routes that answer with a plain response (not its event stream), served by ``DirectRoutes``:
    they lead the routes (``_busiest_first``), so the router would choose them for the requests they match too."""
    plain = {route.endpoint for route in CHAT_ROUTES if not route.stream}
    return [route for route in routes if isinstance(route, Route) and route.endpoint in plain]


def _first_hitl(agent: ServedAgent) -> Any | None:
    return next((p for p in agent.plugins.values() if isinstance(p, HitlPlugin)), None)


def _lifespan(state: ServerState, *, manage_agent: bool, owns_store: bool, metrics: Metrics | None) -> Any:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if metrics is not None:
                telemetry.add_observer(metrics.observe)
                stack.callback(telemetry.remove_observer, metrics.observe)
            stack.push_async_callback(state.quotas.aclose)
            if owns_store:
                stack.push_async_callback(state.store.aclose)
            if manage_agent:
                await stack.enter_async_context(state.agent)
            stack.callback(state.hub.close)  # first out: open streams end before the agent closes
            yield

    return lifespan
