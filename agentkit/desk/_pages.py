"""The desk's HTML page: sign-in, then the inbox, for human agents.

Plain HTML from the package's templates, with the package's CSS and vanilla JS; no CDN, no build step. The page
carries the session's CSRF token in a meta tag, which the page's script sends back on every change. ``base.html``
and ``style.css`` are shared with the server's webchat page.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..handoff import PRIORITIES
from ..prompts import jinja_environment
from ._auth import current_session
from ._state import desk_state

__all__ = ["DESK_TEMPLATES", "PAGE_HEADERS", "desk_page_routes", "render_page"]

DESK_TEMPLATES = Path(__file__).parent / "templates"
_templates = jinja_environment(DESK_TEMPLATES, html=True)
# The pages load nothing from elsewhere; the policy makes sure an injected script or form could not either.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def render_page(template: str | jinja2.Template, **values: object) -> HTMLResponse:
    """A page from the desk's templates (or a template of the caller's that extends ``base.html``)."""
    page = _templates.get_template(template) if isinstance(template, str) else template
    return HTMLResponse(page.render(**values), headers=PAGE_HEADERS)


async def desk_page(request: Request) -> Response:
    state = desk_state(request)
    if state.desk is None:
        return render_page("message.html", title="No desk", text="This server has no desk: its agent has no "
                           "DeskHitl plugin. Tickets go to the helpdesk the agent is configured with.")  # fmt: skip
    session = await current_session(request, state)
    if session is None:
        return render_page("desk_login.html", title="Desk · sign in")
    return render_page(
        "desk.html", title="Desk · inbox", agent=session.agent, csrf=session.csrf, priorities=PRIORITIES
    )


def desk_page_routes() -> list[Route]:
    return [Route("/desk", desk_page, methods=["GET"])]
