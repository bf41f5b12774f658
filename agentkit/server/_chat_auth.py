"""Who may use a webchat conversation: each has its own random token. Writes need it in ``X-Conversation-Token``;
reads may use the path-scoped cookie instead, because ``EventSource`` cannot send headers. A cookie alone never
writes, so a page on another site cannot post into someone's conversation.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from ..desk import ApiError

if TYPE_CHECKING:
    from ._state import ServerState

__all__ = ["CHAT_COOKIE", "conversation_user", "set_chat_cookie"]

CHAT_COOKIE = "agentkit_chat"
CHAT_HEADER = "x-conversation-token"
CHAT_COOKIE_MAX_AGE = 30 * 86400
_PLAIN = frozenset(string.ascii_letters + string.digits + "-_")
"""What a cookie value and path may hold unquoted: the alphabet of ``new_token`` (base64url)."""


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
    """The conversation's token as a cookie scoped to its own paths (each conversation's cookie goes only with its
    own requests), out of scripts' reach (HttpOnly), Secure over HTTPS."""
    secure = request.scope.get("scheme") == "https"  # what ``request.url.scheme`` reads, without making a URL
    path = f"/api/conversations/{conversation_id}"
    if not (_PLAIN.issuperset(token) and _PLAIN.issuperset(conversation_id)):  # another store's ids: quoted
        response.set_cookie(CHAT_COOKIE, token, max_age=CHAT_COOKIE_MAX_AGE, path=path, httponly=True,
                            samesite="lax", secure=secure)  # fmt: skip
        return
    # Starlette's ``set_cookie`` writes the same header (a test compares them) through a SimpleCookie and a Morsel:
    # about 40 us of every new conversation's CPU, this one f-string ~1 us.
    value = f"{CHAT_COOKIE}={token}; HttpOnly; Max-Age={CHAT_COOKIE_MAX_AGE}; Path={path}; SameSite=lax"
    response.raw_headers.append((b"set-cookie", (value + "; Secure" if secure else value).encode("latin-1")))
