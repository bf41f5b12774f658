"""The desk's REST API: sign in, list and read tickets, claim, reply, close, and follow changes live (SSE).

Every ticket operation goes through the desk service; the HITL plugin hears of each change from the desk's
events and tells the user (an agent joined, wrote, closed).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..handoff import PRIORITIES
from ..storage import FALLBACK_POLL
from ._auth import clear_desk_cookie, desk_session, set_desk_cookie
from ._models import DeskEvent, Ticket, TicketClosed, TicketNotFound, TicketStatus
from ._schemas import (
    Claim,
    DeskSessionView,
    Login,
    Reply,
    TicketList,
    TicketMessageView,
    TicketSummary,
    TicketView,
)
from ._sse import KEEPALIVE, EventStream, sse
from ._state import DeskService, DeskState, desk_state
from ._web import ApiError, ApiRoute, Query, json_response, read_json

logger = logging.getLogger("agentkit.desk")

__all__ = ["DESK_ROUTES", "PRIORITY_ORDER", "sort_tickets"]

PRIORITY_ORDER = {priority: rank for rank, priority in enumerate(reversed(PRIORITIES))}  # urgent: 0 ... low: 3
STATUS_FILTERS: dict[str, tuple[TicketStatus, ...]] = {
    "active": ("open", "assigned"), "open": ("open",), "assigned": ("assigned",), "closed": ("closed",),
    "all": ("open", "assigned", "closed"),
}  # fmt: skip


def sort_tickets(tickets: list[Ticket]) -> list[Ticket]:
    """Most urgent first; within a priority, the one waiting longest first."""
    return sorted(tickets, key=lambda t: (PRIORITY_ORDER[t.priority], t.created_at, int(t.id)))


# -- session --


async def login(request: Request) -> Response:
    state = desk_state(request)
    credentials = await read_json(request, Login)
    address = request.client.host if request.client else "?"
    await state.throttle.check(state.accounts, credentials.name, address)
    if not await state.accounts.check_agent(credentials.name, credentials.password):
        await state.accounts.record_signin(credentials.name, address, succeeded=False)
        raise ApiError(401, "wrong name or password")
    await state.accounts.record_signin(credentials.name, address, succeeded=True)
    session_id = await state.accounts.start_session(credentials.name, lifetime=state.signer.max_age)
    cookie, session = state.signer.issue(credentials.name, session_id=session_id)
    response = json_response(DeskSessionView(agent=session.agent, csrf_token=session.csrf))
    set_desk_cookie(response, request, cookie, state.signer.max_age)
    return response


async def logout(request: Request) -> Response:
    state = desk_state(request)
    session = await desk_session(request, state, write=True)
    await state.accounts.end_session(session.id)  # the cookie is worthless from now on, wherever a copy of it is
    response = Response(status_code=204)
    clear_desk_cookie(response)
    return response


async def get_session(request: Request) -> Response:
    session = await desk_session(request, desk_state(request), write=False)
    return json_response(DeskSessionView(agent=session.agent, csrf_token=session.csrf))


# -- tickets --


async def list_tickets(request: Request) -> Response:
    state = desk_state(request)
    await desk_session(request, state, write=False)
    statuses = STATUS_FILTERS.get(request.query_params.get("status", "active"))
    priority = request.query_params.get("priority") or None
    if statuses is None or (priority is not None and priority not in PRIORITY_ORDER):
        raise ApiError(422, f"status is one of {', '.join(STATUS_FILTERS)}; priority one of "
                            f"{', '.join(PRIORITY_ORDER)}")  # fmt: skip
    tickets = [t for status in statuses for t in await _desk(state).tickets(status)]
    tickets = [t for t in tickets if priority is None or t.priority == priority]
    return json_response(TicketList(tickets=[_summary(t) for t in sort_tickets(tickets)]))


async def get_ticket(request: Request) -> Response:
    state = desk_state(request)
    await desk_session(request, state, write=False)
    return json_response(ticket_view(await _ticket(state, request.path_params["ticket_id"])))


async def claim_ticket(request: Request) -> Response:
    state = desk_state(request)
    session = await desk_session(request, state, write=True)
    claim = await read_json(request, Claim) if "content-type" in request.headers else Claim()
    ticket = await _ticket(state, request.path_params["ticket_id"])
    if ticket.status != "closed" and ticket.assignee not in (None, session.agent):
        if not claim.takeover:
            raise ApiError(409, f"ticket {ticket.id} is assigned to {ticket.assignee}; to take it over, claim it "
                                'with {"takeover": true}')  # fmt: skip
        logger.warning("desk: %s took ticket %s over from %s", session.agent, ticket.id, ticket.assignee)
    if ticket.assignee != session.agent or ticket.status == "closed":  # claiming twice would say "joined" twice
        with _desk_errors():
            ticket = await _desk(state).assign(ticket.id, session.agent)
    return json_response(ticket_view(ticket))


async def reply_ticket(request: Request) -> Response:
    state = desk_state(request)
    session = await desk_session(request, state, write=True)
    reply = await read_json(request, Reply)
    ticket = await _ticket(state, request.path_params["ticket_id"])
    _require_mine(ticket, session.agent, "reply to", unassigned_ok=False)
    with _desk_errors():
        ticket = await _desk(state).reply(ticket.id, reply.text, agent_name=session.agent)
    return json_response(ticket_view(ticket))


async def close_ticket(request: Request) -> Response:
    state = desk_state(request)
    session = await desk_session(request, state, write=True)
    ticket = await _ticket(state, request.path_params["ticket_id"])
    _require_mine(ticket, session.agent, "close", unassigned_ok=True)
    with _desk_errors():
        ticket = await _desk(state).close(ticket.id, reason=f"closed by {session.agent}", by="agent")
    return json_response(ticket_view(ticket))


async def desk_events(request: Request) -> Response | EventStream:
    state = desk_state(request)
    await desk_session(request, state, write=False)
    return EventStream(_ticket_changes(state, _desk(state)), state.hub)


async def _ticket_changes(state: DeskState, desk: DeskService) -> AsyncGenerator[str, None]:
    """``ready`` with the active tickets, then a ``tickets`` event naming the tickets that changed, from the desk's
    event log: a ticket opened, a user's message, an agent's act, a close. This process's changes wake the stream
    at once, and so do another worker's on a shared PostgreSQL (by notification); the log is also read every
    ``poll_interval`` seconds (seldom while notifications arrive), one indexed query, however many tickets are open."""
    watch = desk.watch()
    try:
        cursor = await desk.head()  # before the list: a change made between the two is reported, not lost
        active = [t.id for status in STATUS_FILTERS["active"] for t in await desk.tickets(status)]
        yield sse("ready", {"tickets": sorted(active, key=int)})
        quiet = 0.0
        while True:
            interval = _wait_interval(state, desk)
            await watch.wait(interval)
            events = await _events_after(desk, cursor)
            cursor = events[-1].seq if events else cursor
            changed = sorted({e.ticket_id for e in events}, key=int)
            quiet = 0.0 if changed else quiet + interval
            if changed:
                yield sse("tickets", {"changed": changed})
            elif quiet >= state.keepalive_interval:
                quiet = 0.0
                yield KEEPALIVE
    finally:
        watch.cancel()


def _wait_interval(state: DeskState, desk: DeskService) -> float:
    """``poll_interval``; while other processes' changes wake the watch by notification, only now and then, for
    one that was missed."""
    if getattr(desk, "notified", False):
        return min(max(state.poll_interval, FALLBACK_POLL), state.keepalive_interval)
    return state.poll_interval


async def _events_after(desk: DeskService, cursor: int) -> list[DeskEvent]:
    events: list[DeskEvent] = []
    while batch := await desk.events_since(events[-1].seq if events else cursor):
        events += batch
        if len(batch) < 100:
            break
    return events


# -- helpers --


def _desk(state: DeskState) -> DeskService:
    if state.desk is None:
        raise ApiError(404, "this server has no desk: the agent has no DeskHitl plugin, and none was given")
    return state.desk


async def _ticket(state: DeskState, ticket_id: str) -> Ticket:
    with _desk_errors():
        return await _desk(state).ticket(ticket_id)


def _require_mine(ticket: Ticket, agent: str, action: str, *, unassigned_ok: bool) -> None:
    if ticket.status == "closed":
        raise ApiError(409, f"ticket {ticket.id} is closed; cannot {action} it")
    if ticket.assignee is None and not unassigned_ok:
        raise ApiError(409, f"claim ticket {ticket.id} before you {action} it")
    if ticket.assignee not in (None, agent):
        raise ApiError(409, f"ticket {ticket.id} is assigned to {ticket.assignee}; take it over first")


@contextlib.contextmanager
def _desk_errors() -> Iterator[None]:
    try:
        yield
    except TicketNotFound as error:
        raise ApiError(404, f"no ticket {error.ticket_id}") from None
    except TicketClosed as error:
        raise ApiError(409, str(error)) from None


def _summary(ticket: Ticket) -> TicketSummary:
    return TicketSummary(**_summary_fields(ticket))


def _summary_fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id, "conversation_id": ticket.conversation_id, "title": ticket.title, "priority": ticket.priority,
        "status": ticket.status, "assignee": ticket.assignee, "user": ticket.user, "created_at": ticket.created_at,
        "updated_at": ticket.updated_at, "messages": len(ticket.messages),
    }  # fmt: skip


def ticket_view(ticket: Ticket) -> TicketView:
    return TicketView(
        **_summary_fields(ticket),
        description=ticket.description,
        closed_reason=ticket.closed_reason,
        bot_name=ticket.bot_name,
        transcript=list(ticket.transcript),
        thread=[TicketMessageView(id=m.id, author=m.author, author_name=m.author_name, text=m.text, at=m.at)
                for m in ticket.messages],
    )  # fmt: skip


_TICKET = "/api/desk/tickets/{ticket_id}"
_STATUS = Query("status", {"enum": list(STATUS_FILTERS), "default": "active"}, "active = open and assigned")
_PRIORITY = Query("priority", {"enum": list(PRIORITY_ORDER)}, "Only tickets of this priority")
DESK_ROUTES = [
    ApiRoute("POST", "/api/desk/login", login, "Sign in; sets the session cookie and returns the CSRF token",
             "public", "desk", body=Login, response=DeskSessionView),
    ApiRoute("POST", "/api/desk/logout", logout, "Sign out", "desk_write", "desk", status=204),
    ApiRoute("GET", "/api/desk/session", get_session, "Who is signed in, and the CSRF token", "desk", "desk",
             response=DeskSessionView),
    ApiRoute("GET", "/api/desk/tickets", list_tickets, "Tickets, most urgent first, then oldest first", "desk",
             "desk", response=TicketList, query=(_STATUS, _PRIORITY)),
    ApiRoute("GET", _TICKET, get_ticket, "One ticket: reason, description, user, transcript, thread", "desk",
             "desk", response=TicketView),
    ApiRoute("POST", f"{_TICKET}/claim", claim_ticket, "Assign the ticket to me (the user is told a person "
             "joined); another agent's ticket only with takeover (logged). The body is optional", "desk_write",
             "desk", body=Claim, body_optional=True, response=TicketView),
    ApiRoute("POST", f"{_TICKET}/reply", reply_ticket, "Write to the user (the ticket must be mine)",
             "desk_write", "desk", body=Reply, response=TicketView),
    ApiRoute("POST", f"{_TICKET}/close", close_ticket, "Close the ticket; the bot takes the conversation back",
             "desk_write", "desk", response=TicketView),
    ApiRoute("GET", "/api/desk/events", desk_events, "Follow the inbox live: `tickets` events name the active "
             "tickets that changed", "desk", "desk", stream=True),
]  # fmt: skip
