"""``DirectRoutes``: the webchat's busiest routes (every message, every new conversation, every history read) served
without Starlette's router and its exception layers, with the same answers.

Through Starlette a request to an endpoint passes ``ExceptionMiddleware`` (a ``Request`` and an exception wrapper),
the ``Router`` (a regex per route tried) and the route's ``request_response`` (a second ``Request`` and a second
exception wrapper) before the endpoint runs: about 15 % of the event loop's CPU per message in-process. This layer
sits inside ``ServerErrorMiddleware`` (an unexpected error still gets the same 500 and is raised on to the server's
log), itself inside ``SecurityHeaders`` (the Host check, and the headers on every answer, that 500 included): a
request for one of its routes is matched by the route's own regex and goes to its endpoint with one ``Request``,
the errors the app answers (``ApiError``, ``HTTPException``) answered by the app's own handlers. Anything else goes
on down the app as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["DirectRoutes"]


class DirectRoutes:
    """``routes``: the routes served directly, each a plain ``Route`` whose endpoint answers with a ``Response`` (not
    a stream), and each the one the router would choose for the requests its regex and methods match (the app's
    first routes: a test resolves every route both ways). ``handlers``: the app's exception handlers; the 500 one
    (``Exception``) stays with ``ServerErrorMiddleware``, as in Starlette."""

    def __init__(self, app: ASGIApp, routes: Sequence[Route], handlers: Mapping[Any, Any]) -> None:
        self.app = app
        self._by_method: dict[str, list[Route]] = {}
        for route in routes:
            for method in sorted(route.methods or ()):
                self._by_method.setdefault(method, []).append(route)
        if any(isinstance(key, int) and key != 500 for key in handlers):
            raise ValueError("DirectRoutes answers errors by class: give no handler by status code but 500")
        self._handlers = {key: value for key, value in handlers.items() if key not in (500, Exception)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.route_for(scope)
        if route is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send)
        try:
            response = await route.endpoint(request)
        except Exception as error:
            response = await self._answer(request, error)
        await response(scope, receive, send)  # a plain answer being sent raises none of the errors handled above

    def route_for(self, scope: Scope) -> Route | None:
        """The route this request goes to directly, with its path parameters put in ``scope`` as the router puts
        them; None for any other request (another route, a ``root_path``, a WebSocket) and the app serves it."""
        if scope["type"] != "http" or scope.get("root_path"):
            return None
        path = scope["path"]
        for route in self._by_method.get(scope["method"], ()):
            match = route.path_regex.match(path)
            if match is not None:
                convertors = route.param_convertors
                params = {name: convertors[name].convert(value) for name, value in match.groupdict().items()}
                scope["router"] = scope["app"].router
                scope["endpoint"] = route.endpoint
                scope["path_params"] = {**scope.get("path_params", {}), **params}
                return route
        return None

    async def _answer(self, request: Request, error: Exception) -> Any:
        """The app's handler's answer to ``error`` (looked up by class, as Starlette's exception layers do); an
        error without one is raised on, to ``ServerErrorMiddleware``'s 500."""
        for cls in type(error).__mro__:
            handler = self._handlers.get(cls)
            if handler is not None:
                response = await handler(request, error)
                error.__traceback__ = None  # a reused exception would keep every request's frames
                return response
        raise error
