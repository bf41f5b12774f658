"""The webchat page for users. It extends the desk's ``base.html`` and shares its stylesheet, so the two pages
look alike; the desk's own page comes with the desk app."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..desk import DESK_TEMPLATES, render_page
from ..prompts import jinja_environment
from ._state import server_state

__all__ = ["PAGE_ROUTES"]

_templates = jinja_environment(Path(__file__).parent / "templates", DESK_TEMPLATES, html=True)


async def webchat_page(request: Request) -> Response:
    state = server_state(request)
    return render_page(_templates.get_template("webchat.html"), bot_name=state.agent.name,
                       title=f"{state.agent.name} · chat")  # fmt: skip


async def favicon(request: Request) -> Response:
    return Response(status_code=204)


PAGE_ROUTES = [
    Route("/", webchat_page, methods=["GET"]),
    Route("/chat", webchat_page, methods=["GET"]),
    Route("/favicon.ico", favicon, methods=["GET"]),
]
