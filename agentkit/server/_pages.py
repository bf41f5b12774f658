"""The HTML pages: the webchat for users and the desk (sign-in, then the inbox) for human agents.

Plain HTML from the package's templates, with the package's CSS and vanilla JS; no CDN, no build step. The desk
page carries the session's CSRF token in a meta tag, which the page's script sends back on every change.
"""

from __future__ import annotations

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ._auth import DESK_COOKIE
from ._state import server_state

__all__ = ["PAGE_ROUTES"]

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("agentkit.server", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
# The pages load nothing from elsewhere; the policy makes sure an injected script or form could not either.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _page(template: str, **values: object) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(template).render(**values), headers=_HEADERS)


async def webchat_page(request: Request) -> Response:
    state = server_state(request)
    return _page("webchat.html", bot_name=state.agent.name, title=f"{state.agent.name} · chat")


async def desk_page(request: Request) -> Response:
    state = server_state(request)
    if state.desk is None:
        return _page("message.html", title="No desk", text="This server has no desk: its agent has no DeskHitl "
                     "plugin. Tickets go to the helpdesk the agent is configured with.")  # fmt: skip
    session = state.signer.read(request.cookies.get(DESK_COOKIE))
    if session is None:
        return _page("desk_login.html", title="Desk · sign in")
    return _page("desk.html", title="Desk · inbox", agent=session.agent, csrf=session.csrf)


async def favicon(request: Request) -> Response:
    return Response(status_code=204)


PAGE_ROUTES = [
    Route("/", webchat_page, methods=["GET"]),
    Route("/chat", webchat_page, methods=["GET"]),
    Route("/desk", desk_page, methods=["GET"]),
    Route("/favicon.ico", favicon, methods=["GET"]),
]
