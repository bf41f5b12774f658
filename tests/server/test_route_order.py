"""The app tries the webchat's routes first (they serve every message): every request must still reach the route
it reached with the routes in the order they are listed (pages, then the API table, then the mounts)."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import BaseRoute, Match, Mount, Route

from agentkit.desk import DeskApp
from agentkit.server import api_routes
from agentkit.server._pages import PAGE_ROUTES

from .server_helpers import harness

SAMPLES = {"conversation_id": ["web-abc", "api", "messages", "x.y:z@w"], "ticket_id": ["1"],
           "plugin_alias": ["desk-hitl"]}  # fmt: skip
OTHERS = ["/", "/chat", "/favicon.ico", "/static/webchat.js", "/desk", "/nowhere", "/api/conversations/",
          "/api/conversations/a/b/messages", "/api/desk/outbox", "/webhooks/desk-hitl/extra"]  # fmt: skip


def _resolve(routes: list[BaseRoute], method: str, path: str) -> str:
    partial = None
    for route in routes:
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "path_params": {}}
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return _name(route)
        if match is Match.PARTIAL and partial is None:
            partial = route
    return f"partial {_name(partial)}" if partial is not None else "none"


def _name(route: BaseRoute | None) -> str:
    if isinstance(route, Route):
        return f"{route.path} {route.endpoint.__qualname__}"
    if isinstance(route, Mount):
        return f"mount {route.path!r}"
    return repr(route)


def _paths() -> list[str]:
    paths = list(OTHERS)
    for route in [*api_routes(), *DeskApp.API_ROUTES]:
        names = re.findall(r"{(\w+)}", route.path)
        for n in range(max((len(SAMPLES[name]) for name in names), default=1)):
            paths.append(re.sub(r"{(\w+)}", lambda m, n=n: SAMPLES[m[1]][n % len(SAMPLES[m[1]])], route.path))
    return paths


async def test_every_path_reaches_the_route_it_reached_in_listed_order(tmp_path: Path) -> None:
    async with harness(tmp_path) as h:
        served = list(h.app.router.routes)
        mounts = [route for route in served if isinstance(route, Mount)]
        desk_own = {route.path for route in DeskApp.API_ROUTES}
        listed = [*PAGE_ROUTES, *(r.route() for r in api_routes() if r.path not in desk_own), *mounts]
        assert sorted(map(_name, served)) == sorted(map(_name, listed))  # the same routes, in another order
        assert served[-2:] == mounts  # the catch-all desk mount stays last
        for path in _paths():
            for method in ("GET", "POST", "HEAD", "DELETE"):
                assert _resolve(served, method, path) == _resolve(listed, method, path), (method, path)


async def test_a_message_is_matched_by_the_first_or_second_route(tmp_path: Path) -> None:
    async with harness(tmp_path) as h:
        served = list(h.app.router.routes)
        for position, (method, path) in enumerate([("POST", "/api/conversations"),
                                                   ("POST", "/api/conversations/web-abc/messages")]):  # fmt: skip
            scope = {"type": "http", "method": method, "path": path, "root_path": "", "path_params": {}}
            assert served[position].matches(scope)[0] is Match.FULL
