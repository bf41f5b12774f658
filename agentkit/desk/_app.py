"""``DeskApp``: the desk's ASGI app, whole: the inbox page (``/desk``) and the desk's REST + SSE API
(``/api/desk/...``), over a desk service, its accounts and a session signer.

``agentkit serve`` mounts it next to the webchat; ``DeskApp.standalone()`` serves it alone (with its stylesheet and
scripts under ``/static``). Its endpoints find their state in the request's scope, put there by the app itself, so
the same routes work mounted or alone; errors go up to the hosting app's handlers (``ERROR_HANDLERS``).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Router
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from ._accounts import AccountStore
from ._api import DESK_ROUTES
from ._auth import LoginThrottle
from ._labelling import LabellingQueue, labelling_routes
from ._pages import desk_page_routes
from ._security import SessionSigner
from ._sse import StreamHub
from ._state import DESK_SCOPE_KEY, DeskService, DeskState
from ._web import ERROR_HANDLERS, ApiRoute

__all__ = ["DeskApp"]


class DeskApp:
    """The desk's pages and API as one ASGI app. ``desk``: the tickets (None: the pages and the API say this server
    has no desk). ``accounts``: who may sign in. ``secret_key`` signs the session cookies. ``hub``: share the host's,
    so its shutdown ends the desk's open event streams too."""

    API_ROUTES: tuple[ApiRoute, ...] = tuple(DESK_ROUTES)
    """The desk's API routes (what the OpenAPI document lists)."""

    def __init__(
        self,
        desk: DeskService | None,
        accounts: AccountStore,
        *,
        secret_key: str | bytes,
        session_max_age: float = 12 * 3600,
        session_idle_timeout: float = 2 * 3600,
        login_throttle: LoginThrottle | None = None,
        poll_interval: float = 1.0,
        keepalive_interval: float = 15.0,
        hub: StreamHub | None = None,
        labelling: LabellingQueue | None = None,
    ) -> None:
        self.state = DeskState(
            desk=desk, accounts=accounts, signer=SessionSigner(secret_key, max_age=session_max_age),
            poll_interval=poll_interval, keepalive_interval=keepalive_interval, hub=hub or StreamHub(),
            idle_timeout=session_idle_timeout, throttle=login_throttle or LoginThrottle(),
        )  # fmt: skip
        self.api_routes: list[ApiRoute] = list(self.API_ROUTES)
        """The API's table, for the host's OpenAPI document."""
        self.routes: list[BaseRoute] = [*desk_page_routes(), *(r.route() for r in self.api_routes)]
        self.state.labelling = labelling  # the labelling queue (``_labelling``): its page and API, when given
        self.routes += labelling_routes() if labelling is not None else []
        self._router = Router(routes=self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._router({**scope, DESK_SCOPE_KEY: self.state}, receive, send)

    def standalone(self) -> Starlette:
        """The desk alone, as a Starlette app with the error handlers and the static files."""
        static = Mount("/static", StaticFiles(packages=[("agentkit.desk", "static")]), name="static")
        return Starlette(routes=[static, Mount("", app=self)], exception_handlers=ERROR_HANDLERS)
