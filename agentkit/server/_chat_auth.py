"""Who may use a webchat conversation: each has its own random token. Writes need it in ``X-Conversation-Token``;
reads may use the path-scoped cookie instead, because ``EventSource`` cannot send headers. A cookie alone never
writes, so a page on another site cannot post into someone's conversation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..desk import ApiError

if TYPE_CHECKING:
    from ._state import ServerState

__all__ = ["CHAT_COOKIE", "conversation_user", "set_chat_cookie"]

CHAT_COOKIE = "agentkit_chat"
CHAT_HEADER = "x-conversation-token"


async def conversation_user(request: Request, state: ServerState, *, write: bool) -> dict[str, Any]:
    """The user of the conversation in the path; 401 without a token, 403 with another conversation's token."""
    conversation_id = request.path_params["conversation_id"]
    token = request.headers.get(CHAT_HEADER) or ("" if write else request.cookies.get(CHAT_COOKIE, ""))
    if not token:
        where = "the X-Conversation-Token header" + ("" if write else " (or its cookie)")
        raise ApiError(401, f"conversation {conversation_id} needs its token in {where}; POST /api/conversations "
                            "gives one with each new conversation")  # fmt: skip
    user = await state.store.conversation_user(conversation_id, token)
    if user is None:
        raise ApiError(403, f"this token does not open conversation {conversation_id}")
    return user


def set_chat_cookie(response: Response, request: Request, conversation_id: str, token: str) -> None:
    # Scoped to the conversation's own paths: each conversation's cookie goes only with its own requests.
    response.set_cookie(CHAT_COOKIE, token, max_age=30 * 86400, path=f"/api/conversations/{conversation_id}",
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")  # fmt: skip
