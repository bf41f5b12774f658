"""The webchat's REST API: start a conversation, send a message, read it, and follow it live (SSE).

Everything goes through the agent: ``receive`` for the user's messages, ``history`` and ``subscribe`` for what
the user sees (the bot's replies, the human agent's messages, the notices), and the HITL plugin for the handoff
state shown above the chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any

import pydantic_core
from starlette.requests import Request
from starlette.responses import Response

from .. import context, telemetry
from ..desk import KEEPALIVE, ApiError, ApiRoute, EventStream, Query, json_response, read_json, sse
from ..exceptions import ToolError
from ..runtime import ReplyDelta
from ..storage import FALLBACK_POLL
from ._chat_auth import conversation_user, set_chat_cookie
from ._quotas import address_key
from ._schemas import (
    ConversationCreated,
    ConversationView,
    Handoff,
    MessagesView,
    MessageView,
    NewConversation,
    SendMessage,
)
from ._state import ServerState, server_state

__all__ = ["CHAT_ROUTES", "message_view", "messages_response"]


def message_view(message: Any) -> MessageView:
    return MessageView(id=message.id, role=message.role, text=message.text, at=message.at,
                       agent_name=message.agent_name)  # fmt: skip


def messages_response(messages: Sequence[Any], more: bool = False) -> Response:
    """``MessagesView(messages=..., more=...)`` as JSON: byte for byte what ``json_response`` writes of the model (a
    test compares them), from plain dicts. The messages are the store's, already of the model's types; a model
    validated and dumped per message cost a history of 10 messages ~63 us, this ~19 us (every answer to a message
    and every history read writes one)."""
    view = {
        "messages": [
            {"id": int(m.id), "role": m.role, "text": m.text, "at": float(m.at), "agent_name": m.agent_name}
            for m in messages
        ],
        "more": more,
    }
    return Response(pydantic_core.to_json(view), media_type="application/json")


async def create_conversation(request: Request) -> Response:
    state = server_state(request)
    new = await read_json(request, NewConversation)
    limits = state.quotas.quotas
    await state.quotas.hit(f"conversations:{_client(request)}", limits.conversations_per_minute, 60.0,
                           "new conversations from your address")  # fmt: skip
    user = {k: v.strip() for k, v in new.model_dump().items() if isinstance(v, str) and v.strip()}
    conversation_id, token = await state.store.create_conversation(user)
    await state.quotas.started(conversation_id)
    response = json_response(ConversationCreated(id=conversation_id, token=token), 201)
    set_chat_cookie(response, request, conversation_id, token)
    return response


async def get_conversation(request: Request) -> Response:
    state = server_state(request)
    conversation_id = await _open(request, state)
    history = await state.agent.history(conversation_id)
    page, more = _page(history, after=None, before=None, limit=state.quotas.quotas.page_size)
    view = ConversationView(id=conversation_id, handoff=await _handoff(state, conversation_id),
                            messages=[message_view(m) for m in page], more=more)  # fmt: skip
    return json_response(view)


async def list_messages(request: Request) -> Response:
    state = server_state(request)
    conversation_id = await _open(request, state)
    query = request.query_params
    after, before = _cursor(query.get("after"), "after"), _cursor(query.get("before"), "before")
    limit = _limit(query.get("limit"), state.quotas.quotas.page_size)
    history = await state.agent.history(conversation_id)
    page, more = _page(history, after=after, before=before, limit=limit)
    return messages_response(page, more)


async def send_message(request: Request) -> Response:
    state = server_state(request)
    user = await conversation_user(request, state, write=True)
    message = await read_json(request, SendMessage)
    conversation_id = request.path_params["conversation_id"]
    await state.quotas.message(conversation_id)
    telemetry.emit("message_received")
    with context.scope(admit_escalation=_escalation_quota(state, request)):
        caused = await state.agent.receive(conversation_id, message.text, user={"id": conversation_id, **user})
    return messages_response(caused)


async def conversation_events(request: Request) -> Response | EventStream:
    state = server_state(request)
    await _open(request, state)
    # On a reconnect the browser sends Last-Event-ID, newer than the `after` of the URL it first opened.
    after = _after(request.headers.get("last-event-id") or request.query_params.get("after"))
    events = _message_events(state, request.path_params["conversation_id"], after)
    return EventStream(events, state.hub)


async def _message_events(state: ServerState, conversation_id: str, after: int) -> AsyncGenerator[str, None]:
    """The messages after ``after``, then each new one as it is stored. This process's writes wake the stream at
    once (the subscription), and so do another worker's on a shared PostgreSQL, by notification; the store is also
    read every ``message_poll_interval`` (only now and then while notifications arrive: ``_wait_interval``).
    Either way the messages sent are read from the store, in id order, so a message of
    another worker committed before one of ours is never skipped; ids already sent are skipped. Between them,
    ``delta`` events (no id: they are not stored) carry the pieces of a bot reply of this process as it is written."""
    async with state.agent.subscribe(conversation_id, deltas=True) as subscription:
        last, idle, read_store = after, 0.0, True
        while True:
            for message in await state.agent.history(conversation_id) if read_store else ():
                if message.id > last:
                    yield sse("message", message_view(message).model_dump(mode="json"), message.id)
                    last, idle = message.id, 0.0
            interval = _wait_interval(state, subscription)
            try:
                async with asyncio.timeout(interval):
                    update = await anext(subscription)
            except TimeoutError:
                idle += interval
                if idle >= state.keepalive_interval:
                    yield KEEPALIVE
                    idle = 0.0
                read_store = True
                continue
            except StopAsyncIteration:
                return  # the agent is closing
            read_store = not isinstance(update, ReplyDelta)
            if isinstance(update, ReplyDelta):
                yield sse("delta", {"text": update.text, "iteration": update.iteration})


def _wait_interval(state: ServerState, subscription: Any) -> float:
    """How long a stream waits for its subscription before reading the store: ``message_poll_interval``; while
    other workers' messages arrive as notifications (PostgreSQL's listener is up), only now and then, for one that
    was missed."""
    if getattr(subscription, "notified", False):
        return min(max(state.message_poll_interval, FALLBACK_POLL), state.keepalive_interval)
    return state.message_poll_interval


async def _handoff(state: ServerState, conversation_id: str) -> Handoff:
    if state.hitl is None:
        return Handoff(state="none")
    session = await state.hitl.session(conversation_id)
    if session is None:
        return Handoff(state="none")
    return Handoff(state=session.state, agent_name=session.agent_name)


async def _open(request: Request, state: ServerState) -> str:
    """The conversation of the path, for reading: its token checked, and its idle clock reset."""
    await conversation_user(request, state, write=False)
    conversation_id: str = request.path_params["conversation_id"]
    await state.quotas.used(conversation_id, message=False)
    return conversation_id


def _client(request: Request) -> str:
    return address_key(request.client.host if request.client else "unknown")


def _escalation_quota(state: ServerState, request: Request) -> Callable[[str], Awaitable[None]] | None:
    """What ``start_hitl`` asks before it opens a new handoff for this request (see ``hitl._actions``); None
    without a limit: there is nothing to ask, and the session opens in one transaction, not a look and then two."""
    if state.quotas.quotas.escalations_per_hour <= 0:
        return None
    client = _client(request)

    async def admit(conversation_id: str) -> None:
        try:
            await state.quotas.hit(f"escalations:{client}", state.quotas.quotas.escalations_per_hour, 3600.0,
                                   "handoffs to a person from this address")  # fmt: skip
        except ApiError as refused:  # the model hears it as the tool's error and tells the user
            raise ToolError(f"no person can be reached from here right now: {refused.message}") from None

    return admit


def _page(history: Sequence[Any], *, after: int | None, before: int | None, limit: int) -> tuple[list[Any], bool]:
    """At most ``limit`` messages: the first ones after ``after``, else the last ones before ``before`` (or the
    last ones of all); and whether more lie beyond the page in that direction."""
    chosen = [m for m in history if (after is None or m.id > after) and (before is None or m.id < before)]
    page = chosen[:limit] if after is not None and before is None else chosen[-limit:]
    return page, len(chosen) > limit


def _after(value: str | None) -> int:
    return _cursor(value, "after") or 0


def _cursor(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 18:
        raise ApiError(422, f"`{name}` must be a message id (a non-negative integer), not {value[:40]!r}")
    return int(value)


def _limit(value: str | None, page_size: int) -> int:
    if value is None or value == "":
        return page_size
    if not value.isdigit() or len(value) > 6 or not 1 <= int(value) <= page_size:
        raise ApiError(422, f"`limit` must be a number of messages from 1 to {page_size}, not {value[:40]!r}")
    return int(value)


_AFTER = Query("after", {"type": "integer", "minimum": 0}, "Only messages with a greater id (the page after it)")
_BEFORE = Query("before", {"type": "integer", "minimum": 0}, "Only messages with a smaller id (the page before it)")
_LIMIT = Query(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": 100},
    "At most this many messages (default and most: the server's page size, 100 unless configured)",
)
CHAT_ROUTES = [
    ApiRoute("POST", "/api/conversations", create_conversation, "Start a webchat conversation", "public",
             "webchat", body=NewConversation, response=ConversationCreated, status=201),
    ApiRoute("GET", "/api/conversations/{conversation_id}", get_conversation,
             "The conversation: its messages and whether a person has it", "conversation", "webchat",
             response=ConversationView),
    ApiRoute("GET", "/api/conversations/{conversation_id}/messages", list_messages,
             "Messages, oldest first, a page at a time: the latest page, or the one before/after a message id",
             "conversation", "webchat", response=MessagesView, query=(_AFTER, _BEFORE, _LIMIT)),
    ApiRoute("POST", "/api/conversations/{conversation_id}/messages", send_message,
             "Send the user's message; answers with the messages it caused (bot reply, notices)",
             "conversation_write", "webchat", body=SendMessage, response=MessagesView),
    ApiRoute("GET", "/api/conversations/{conversation_id}/events", conversation_events,
             "Follow the conversation live: `message` events (id = message id; resumes after Last-Event-ID) and "
             "`delta` events (`text`, `iteration`: a piece of a bot reply being written; the message follows)",
             "conversation", "webchat", query=(_AFTER,), stream=True),
]  # fmt: skip
