"""``GET /metrics`` for Prometheus (``agentkit serve --metrics``; ``pip install agentkit[metrics]``).

Off by default; when off, ``prometheus_client`` is never imported. Each app has a registry of its own (not the
global default), so several apps and the tests never collide. The counters and histograms hear
``agentkit.telemetry`` events while the app runs; the outbox gauges are read from the store at each scrape.
The endpoint asks for ``Authorization: Bearer <token>`` when the app was given a token. ``MetricsListener``
serves it on a listener of its own instead of the public one (``agentkit serve --metrics-port``).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..hitl import HitlPlugin
from ._hardening import HardenedApp

__all__ = ["Metrics", "MetricsListener"]

_LATENCY = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_WAIT = (10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)


class Metrics:
    """The app's metrics; ``observe`` is the telemetry observer, ``endpoint`` the ``/metrics`` route."""

    def __init__(self, token: str | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram  # only when metrics are on

        self.token = token
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.messages = Counter("agentkit_messages_received", "Webchat messages received", registry=registry)
        self.turns = Counter("agentkit_turns", "Agent turns, by outcome", ["agent", "outcome"], registry=registry)
        self.turn_seconds = Histogram(
            "agentkit_turn_seconds", "How long a turn took", ["agent"], buckets=_LATENCY, registry=registry
        )
        self.model_requests = Counter(
            "agentkit_model_requests", "Model requests, by outcome (error: failed after its retries)",
            ["model", "outcome"], registry=registry,
        )  # fmt: skip
        self.model_retries = Counter("agentkit_model_retries", "Model requests sent again", registry=registry)
        self.escalations = Counter(
            "agentkit_escalations", "Handoffs to a person, by priority", ["priority"], registry=registry
        )
        self.assignment = Histogram(
            "agentkit_time_to_assignment_seconds", "From a handoff until a person took it", buckets=_WAIT,
            registry=registry,
        )  # fmt: skip
        self.outbox_depth = Gauge(
            "agentkit_outbox_depth", "Helpdesk calls waiting in the outbox", ["plugin"], registry=registry
        )
        self.outbox_age = Gauge(
            "agentkit_outbox_oldest_age_seconds", "Age of the oldest waiting outbox row (0: none)", ["plugin"],
            registry=registry,
        )  # fmt: skip
        self.streams = Gauge("agentkit_open_streams", "Open server-sent event streams", registry=registry)

    def observe(self, event: str, data: Mapping[str, Any]) -> None:
        if event == "message_received":
            self.messages.inc()
        elif event == "turn":
            self.turns.labels(data["agent"], data["outcome"]).inc()
            self.turn_seconds.labels(data["agent"]).observe(data["seconds"])
        elif event == "model_request":
            self.model_requests.labels(data["model"], data["outcome"]).inc()
        elif event == "model_retry":
            self.model_retries.inc()
        elif event == "escalation":
            self.escalations.labels(data["priority"]).inc()
        elif event == "assigned":
            self.assignment.observe(max(0.0, data["seconds"]))
        elif event == "stream":
            self.streams.inc(data["change"])

    async def endpoint(self, request: Request) -> Response:
        if self.token is not None and not _bearer_matches(request, self.token):
            return PlainTextResponse("a bearer token is needed: Authorization: Bearer <metrics token>\n", 401,
                                     headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        await self._read_outbox(request.app.state.agentkit.agent.plugins)
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    async def _read_outbox(self, plugins: Mapping[str, Any]) -> None:
        now = time.time()
        for alias, plugin in plugins.items():
            if not isinstance(plugin, HitlPlugin) or not plugin.is_bound:
                continue
            waiting = await plugin.outbox("queued")
            self.outbox_depth.labels(alias).set(len(waiting))
            self.outbox_age.labels(alias).set(max((now - e.created_at for e in waiting), default=0.0))


class MetricsListener:
    """``app`` on every listener but one: requests that arrive on ``address`` (the metrics listener's own
    address) see only ``GET /metrics``, and the others never see it. The lifespan is the app's. Every answer there
    (the 401, a 404, a 500 too) carries the app's headers (``HardenedApp``); the Host check stays the public
    listener's: a scraper names this one as it likes (an address, a service name)."""

    def __init__(self, app: Starlette, metrics: Metrics, address: tuple[str, int]) -> None:
        self.app = app
        self.address = (str(address[0]), int(address[1]))
        self.metrics_app = HardenedApp(routes=[Route("/metrics", metrics.endpoint, methods=["GET"])])
        self.metrics_app.state.agentkit = app.state.agentkit  # the endpoint reads the outbox through it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")  # (host, port) of the socket the request came in on
        if scope["type"] == "http" and server is not None and tuple(server[:2]) == self.address:
            await self.metrics_app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
