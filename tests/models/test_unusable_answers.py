"""No raw errors from the model path: bodies that are not JSON, bodies cut mid-way on every HTTP framing, and JSON of
the wrong shape all end as a ``ModelError`` (retried when the body was only cut short)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agentkit.exceptions import ModelError
from agentkit.models import Backoff, OpenAIModel
from agentkit.testing import FakeClock, FakeOpenAIServer, Fault

USER = [{"role": "user", "content": "hello"}]
COMPLETION = json.dumps(
    {"id": "x", "object": "chat.completion", "model": "gpt-4o-mini",
     "choices": [{"index": 0, "message": {"role": "assistant", "content": "a full answer"}, "finish_reason": "stop"}]}
).encode()  # fmt: skip
HALF = COMPLETION[: len(COMPLETION) // 2]


def head(*headers: str) -> bytes:
    return ("\r\n".join(["HTTP/1.1 200 OK", "content-type: application/json", *headers]) + "\r\n\r\n").encode()


CUT_SHORT = {
    "content-length": head(f"content-length: {len(COMPLETION)}") + HALF,
    "chunked": head("transfer-encoding: chunked") + f"{len(HALF):x}\r\n".encode() + HALF + b"\r\n",
    "close-delimited": head("connection: close") + HALF,
}


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as fake:
        yield fake


def model_for(server: FakeOpenAIServer, clock: FakeClock, **kwargs: Any) -> OpenAIModel:
    return OpenAIModel(
        "gpt-4o-mini", base_url=server.base_url, api_key="test", clock=clock.clock, backoff=Backoff(0.1), **kwargs
    )


@pytest.mark.parametrize("framing", list(CUT_SHORT))
async def test_a_body_cut_mid_way_is_retried(server: FakeOpenAIServer, framing: str) -> None:
    server.inject(Fault.raw(CUT_SHORT[framing]))
    server.enqueue(text="the retry's answer")
    clock = FakeClock()
    async with model_for(server, clock) as model:
        response = await model.request(USER)
    assert response.text == "the retry's answer"
    assert len(server.requests) == 2 and len(clock.sleeps) == 1


@pytest.mark.parametrize("framing", list(CUT_SHORT))
async def test_a_body_cut_every_time_ends_as_a_model_error(server: FakeOpenAIServer, framing: str) -> None:
    server.inject(*[Fault.raw(CUT_SHORT[framing])] * 3)
    async with model_for(server, FakeClock(), max_retries=2) as model:
        with pytest.raises(ModelError, match="after 3 tries"):
            await model.request(USER)
    assert len(server.requests) == 3


@pytest.mark.parametrize("framing", ["content-length", "close-delimited"])
async def test_a_200_that_is_an_html_page_is_a_model_error_not_retried(server: FakeOpenAIServer, framing: str) -> None:
    page = b"<html><body>502 Bad Gateway (from a proxy)</body></html>"
    length = f"content-length: {len(page)}" if framing == "content-length" else "connection: close"
    server.inject(Fault.raw(head(length).replace(b"application/json", b"text/html") + page))
    async with model_for(server, FakeClock()) as model:
        with pytest.raises(ModelError, match="not JSON") as raised:
            await model.request(USER)
    assert "base URL" in str(raised.value) and "Bad Gateway" in str(raised.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("api", "answer"),
    [
        ("chat", {"choices": []}),
        ("chat", {"choices": [{"message": "just text"}]}),
        ("chat", {"choices": [{"message": {"content": 42}}]}),
        ("chat", {"choices": [{"message": {"content": None, "tool_calls": [{"id": "c"}]}}]}),
        ("chat", {"error": "overloaded"}),
        ("responses", {"output": "text"}),
        ("responses", {"output": [{"type": "message", "content": [{"type": "output_text"}]}]}),
    ],
)
async def test_json_of_the_wrong_shape_is_a_model_error(server: FakeOpenAIServer, api: Any, answer: Any) -> None:
    server.inject(Fault.status(200, json=answer))
    async with model_for(server, FakeClock(), api=api) as model:
        with pytest.raises(ModelError, match="not a"):
            await model.request(USER)


def whole(body: bytes, content_type: str = "application/json") -> bytes:
    """A complete 200 answer with ``body``, sent as it is."""
    return head(f"content-length: {len(body)}").replace(b"application/json", content_type.encode()) + body


def completion_saying(text: str) -> dict[str, Any]:
    choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
    return {"id": "x", "object": "chat.completion", "choices": [choice]}


async def test_a_utf8_body_is_read_from_its_bytes(server: FakeOpenAIServer) -> None:
    """The reply is decoded from the body's bytes (no charset lookup): non-ASCII text arrives intact."""
    text = "Votre remboursement est validé ✓ — 払い戻し"
    server.inject(Fault.raw(whole(json.dumps(completion_saying(text), ensure_ascii=False).encode())))
    async with model_for(server, FakeClock()) as model:
        assert (await model.request(USER)).text == text


async def test_a_body_in_another_declared_charset_is_still_read(server: FakeOpenAIServer) -> None:
    """Not UTF-8, but the charset is declared: decoded by it, as before the bytes path."""
    text = "remboursement validé, reçu envoyé"
    body = json.dumps(completion_saying(text), ensure_ascii=False).encode("iso-8859-1")
    server.inject(Fault.raw(whole(body, "application/json; charset=iso-8859-1")))
    async with model_for(server, FakeClock()) as model:
        assert (await model.request(USER)).text == text


@pytest.mark.parametrize("body", [b"[1, 2, 3]", b'"just a string"', b"\xff\xfe not json at all"])
async def test_json_that_is_not_an_object_or_not_json_is_a_model_error_not_retried(
    server: FakeOpenAIServer, body: bytes
) -> None:
    server.inject(Fault.raw(whole(body)))
    async with model_for(server, FakeClock()) as model:
        with pytest.raises(ModelError, match="not an object|not JSON"):
            await model.request(USER)
    assert len(server.requests) == 1
