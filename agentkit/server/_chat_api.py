"""The webchat's REST API: start a conversation, send a message, read it, and follow it live (SSE).

Everything goes through the agent: ``receive`` for the user's messages, ``history`` and ``subscribe`` for what
the user sees (the bot's replies, the human agent's messages, the notices), and the HITL plugin for the handoff
state shown above the chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..desk import KEEPALIVE, ApiError, ApiRoute, EventStream, Query, json_response, read_json, sse
from ..runtime import ReplyDelta
from ._chat_auth import conversation_user, set_chat_cookie
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

__all__ = ["CHAT_ROUTES", "message_view"]


def message_view(message: Any) -> MessageView:
    return MessageView(id=message.id, role=message.role, text=message.text, at=message.at,
                       agent_name=message.agent_name)  # fmt: skip


async def create_conversation(request: Request) -> Response:
    state = server_state(request)
    new = await read_json(request, NewConversation)
    user = {k: v.strip() for k, v in new.model_dump().items() if isinstance(v, str) and v.strip()}
    conversation_id, token = await state.store.create_conversation(user)
    response = json_response(ConversationCreated(id=conversation_id, token=token), 201)
    set_chat_cookie(response, request, conversation_id, token)
    return response


async def get_conversation(request: Request) -> Response:
    state = server_state(request)
    await conversation_user(request, state, write=False)
    conversation_id = request.path_params["conversation_id"]
    history = await state.agent.history(conversation_id)
    view = ConversationView(id=conversation_id, handoff=await _handoff(state, conversation_id),
                            messages=[message_view(m) for m in history])  # fmt: skip
    return json_response(view)


async def list_messages(request: Request) -> Response:
    state = server_state(request)
    await conversation_user(request, state, write=False)
    after = _after(request.query_params.get("after"))
    history = await state.agent.history(request.path_params["conversation_id"])
    return json_response(MessagesView(messages=[message_view(m) for m in history if m.id > after]))


async def send_message(request: Request) -> Response:
    state = server_state(request)
    user = await conversation_user(request, state, write=True)
    message = await read_json(request, SendMessage)
    conversation_id = request.path_params["conversation_id"]
    caused = await state.agent.receive(conversation_id, message.text, user={"id": conversation_id, **user})
    return json_response(MessagesView(messages=[message_view(m) for m in caused]))


async def conversation_events(request: Request) -> Response | EventStream:
    state = server_state(request)
    await conversation_user(request, state, write=False)
    # On a reconnect the browser sends Last-Event-ID, newer than the `after` of the URL it first opened.
    after = _after(request.headers.get("last-event-id") or request.query_params.get("after"))
    events = _message_events(state, request.path_params["conversation_id"], after)
    return EventStream(events, state.hub)


async def _message_events(state: ServerState, conversation_id: str, after: int) -> AsyncGenerator[str, None]:
    """The messages after ``after``, then each new one as it is stored. This process's writes wake the stream at
    once (the subscription); another worker's writes on a shared database are found by reading the store every
    ``message_poll_interval``. Either way the messages sent are read from the store, in id order, so a message of
    another worker committed before one of ours is never skipped; ids already sent are skipped. Between them,
    ``delta`` events (no id: they are not stored) carry the pieces of a bot reply of this process as it is written."""
    async with state.agent.subscribe(conversation_id, deltas=True) as subscription:
        last, idle, read_store = after, 0.0, True
        while True:
            for message in await state.agent.history(conversation_id) if read_store else ():
                if message.id > last:
                    yield sse("message", message_view(message).model_dump(mode="json"), message.id)
                    last, idle = message.id, 0.0
            try:
                async with asyncio.timeout(state.message_poll_interval):
                    update = await anext(subscription)
            except TimeoutError:
                idle += state.message_poll_interval
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


async def _handoff(state: ServerState, conversation_id: str) -> Handoff:
    if state.hitl is None:
        return Handoff(state="none")
    session = await state.hitl.session(conversation_id)
    if session is None:
        return Handoff(state="none")
    return Handoff(state=session.state, agent_name=session.agent_name)


def _after(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        raise ApiError(422, f"`after` must be a message id (an integer), not {value!r}") from None


_AFTER = Query("after", {"type": "integer", "minimum": 0}, "Only messages with a greater id")
CHAT_ROUTES = [
    ApiRoute("POST", "/api/conversations", create_conversation, "Start a webchat conversation", "public",
             "webchat", body=NewConversation, response=ConversationCreated, status=201),
    ApiRoute("GET", "/api/conversations/{conversation_id}", get_conversation,
             "The conversation: its messages and whether a person has it", "conversation", "webchat",
             response=ConversationView),
    ApiRoute("GET", "/api/conversations/{conversation_id}/messages", list_messages, "Messages, oldest first",
             "conversation", "webchat", response=MessagesView, query=(_AFTER,)),
    ApiRoute("POST", "/api/conversations/{conversation_id}/messages", send_message,
             "Send the user's message; answers with the messages it caused (bot reply, notices)",
             "conversation_write", "webchat", body=SendMessage, response=MessagesView),
    ApiRoute("GET", "/api/conversations/{conversation_id}/events", conversation_events,
             "Follow the conversation live: `message` events (id = message id; resumes after Last-Event-ID) and "
             "`delta` events (`text`, `iteration`: a piece of a bot reply being written; the message follows)",
             "conversation", "webchat", query=(_AFTER,), stream=True),
]  # fmt: skip
