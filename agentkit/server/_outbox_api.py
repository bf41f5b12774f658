"""``GET /api/desk/outbox``: the dead letters of the agent's HITL plugins, for the people at the desk. A dead letter
is an escalation, a relayed message or a close that failed too often and is no longer tried: someone should look
at the conversation (``agentkit hitl outbox`` lists the same)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..desk import ApiRoute, desk_session, json_response
from ..hitl import HitlPlugin
from ._schemas import DeadLetterList, DeadLetterView
from ._state import server_state

__all__ = ["OUTBOX_ROUTES"]


async def list_dead_letters(request: Request) -> Response:
    state = server_state(request)
    await desk_session(request, state.desk_app.state, write=False)
    plugins = [p for p in state.agent.plugins.values() if isinstance(p, HitlPlugin) and p.is_bound]
    letters = [
        DeadLetterView(id=e.id, plugin=e.plugin, conversation_id=e.conversation_id, kind=e.kind, attempts=e.attempts,
                       last_error=e.last_error, created_at=e.created_at, given_up_at=e.done_at)
        for plugin in plugins for e in await plugin.outbox("dead")
    ]  # fmt: skip
    return json_response(DeadLetterList(letters=letters))


OUTBOX_ROUTES = [
    ApiRoute("GET", "/api/desk/outbox", list_dead_letters, "Dead letters: helpdesk calls that failed too often and "
             "are no longer tried", "desk", "desk", response=DeadLetterList),
]  # fmt: skip
