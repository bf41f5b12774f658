"""The webchat's conversation cookie: written by hand for speed, it must be the header Starlette's ``set_cookie``
writes, for HTTP and HTTPS, and ids outside the token alphabet still go through Starlette (quoted)."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response

from agentkit.desk import new_token
from agentkit.server._chat_auth import CHAT_COOKIE, CHAT_COOKIE_MAX_AGE, set_chat_cookie


def _request(scheme: str) -> Request:
    return Request({"type": "http", "scheme": scheme, "path": "/api/conversations", "headers": [(b"host", b"x")],
                    "query_string": b"", "server": ("x", 443), "root_path": ""})  # fmt: skip


def _starlettes(scheme: str, conversation_id: str, token: str) -> list[tuple[bytes, bytes]]:
    response = Response("x")
    response.set_cookie(CHAT_COOKIE, token, max_age=CHAT_COOKIE_MAX_AGE, path=f"/api/conversations/{conversation_id}",
                        httponly=True, samesite="lax", secure=scheme == "https")  # fmt: skip
    return [header for header in response.raw_headers if header[0] == b"set-cookie"]


def _ours(scheme: str, conversation_id: str, token: str) -> list[tuple[bytes, bytes]]:
    response = Response("x")
    set_chat_cookie(response, _request(scheme), conversation_id, token)
    return [header for header in response.raw_headers if header[0] == b"set-cookie"]


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_cookie_is_the_one_starlette_writes(scheme: str) -> None:
    for _ in range(20):  # tokens of every shape new_token makes, "-" and "_" included
        conversation_id, token = f"web-{new_token()[:16]}", new_token()
        [(_, ours)] = _ours(scheme, conversation_id, token)
        assert _ours(scheme, conversation_id, token) == _starlettes(scheme, conversation_id, token)
    assert (b"; Secure" in ours) is (scheme == "https")
    assert b"HttpOnly" in ours and b"SameSite=lax" in ours


@pytest.mark.parametrize("odd", ['web-a"b', "web-a;b", "web a", "web-é"])
def test_ids_outside_the_token_alphabet_are_left_to_starlette(odd: str) -> None:
    assert _ours("http", odd, "token") == _starlettes("http", odd, "token")
    assert _ours("https", "web-ok", odd) == _starlettes("https", "web-ok", odd)
