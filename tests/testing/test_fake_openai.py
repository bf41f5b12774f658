from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import openai
import pytest

from agentkit.testing import FakeOpenAIServer, Fault, Reply

USER = [{"role": "user", "content": "Where is my order?"}]


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
async def client(server: FakeOpenAIServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0) as sdk:
        yield sdk


async def test_chat_completion_with_text_two_tool_calls_and_usage(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.enqueue(
        text="Checking.", tool_calls=[("lookupOrder", {"id": 7}), ("handToSupport", {"reason": "angry"})],
        input_tokens=11, output_tokens=5,
    )  # fmt: skip
    completion = await client.chat.completions.create(model="gpt-4o-mini", messages=USER)  # type: ignore[arg-type]
    choice = completion.choices[0]
    calls = choice.message.tool_calls or []
    assert choice.message.content == "Checking."
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [  # type: ignore[union-attr]
        ("lookupOrder", {"id": 7}),
        ("handToSupport", {"reason": "angry"}),
    ]
    assert len({c.id for c in calls}) == 2
    assert choice.finish_reason == "tool_calls"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (11, 5)
    assert completion.model == "gpt-4o-mini"


async def test_responses_api_with_text_two_tool_calls_and_usage(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.enqueue(text="Checking.", tool_calls=[("a", {"x": 1}), ("b", {})], input_tokens=9, output_tokens=4)
    response = await client.responses.create(model="gpt-4o-mini", input="Where is my order?")
    calls = [item for item in response.output if item.type == "function_call"]
    assert response.output_text == "Checking."
    assert [(c.name, c.arguments) for c in calls] == [("a", '{"x": 1}'), ("b", "{}")]
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (9, 4)
    assert response.status == "completed"


async def test_malformed_tool_call_json_arrives_as_the_raw_string(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.enqueue_malformed_tool_call("handToSupport", '{"reason": "unfin')
    completion = await client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    (call,) = completion.choices[0].message.tool_calls or []
    assert call.function.arguments == '{"reason": "unfin'  # type: ignore[union-attr]


async def test_a_finished_script_fails_loudly_and_is_not_retried(server: FakeOpenAIServer) -> None:
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=3) as retrying_client:
        with pytest.raises(openai.InternalServerError, match="the script ran out"):
            await retrying_client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
    assert len(server.requests) == 1


async def test_script_faults_come_in_order_and_injected_faults_come_first(server: FakeOpenAIServer) -> None:
    server.enqueue(text="one")
    server.enqueue_fault(Fault.status(503))
    server.enqueue(text="two")
    server.inject(Fault.status(429))
    async with httpx2.AsyncClient(base_url=server.base_url) as http:
        statuses = [(await http.post("/chat/completions", json={"model": "m"})).status_code for _ in range(4)]
    assert statuses == [429, 200, 503, 200]
    assert server.pending == 0


async def test_handler_answers_many_concurrent_conversations() -> None:
    def answer(body: dict[str, Any]) -> Reply:
        return Reply(text="echo: " + body["messages"][-1]["content"])

    async with FakeOpenAIServer(handler=answer) as server, openai.AsyncOpenAI(
        base_url=server.base_url, api_key="test", max_retries=0
    ) as client:
        replies = await asyncio.gather(
            *(client.chat.completions.create(model="m", messages=[{"role": "user", "content": f"c{i}"}])
              for i in range(50))
        )  # fmt: skip
    assert sorted(r.choices[0].message.content or "" for r in replies) == sorted(f"echo: c{i}" for i in range(50))


async def test_handler_reply_is_the_same_through_both_apis() -> None:
    async with FakeOpenAIServer(handler=lambda body: "same") as server, openai.AsyncOpenAI(
        base_url=server.base_url, api_key="test", max_retries=0
    ) as client:
        chat = await client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
        response = await client.responses.create(model="m", input="hi")
    assert chat.choices[0].message.content == response.output_text == "same"


async def test_chat_requests_returns_what_the_client_sent(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.enqueue(text="a")
    server.enqueue(text="b")
    await client.chat.completions.create(model="m", messages=USER, temperature=0.2)  # type: ignore[arg-type]
    await client.responses.create(model="m", input="hi")
    (sent,) = server.chat_requests()
    assert (sent["messages"], sent["temperature"]) == (USER, 0.2)
    assert server.responses_requests()[0]["input"] == "hi"
    assert len(server.model_requests()) == 2


async def test_streamed_chat_completion_carries_text_tool_calls_and_usage(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.enqueue(text="Hi", tool_calls=[("a", {"x": 1})], input_tokens=3, output_tokens=2)
    stream = await client.chat.completions.create(  # type: ignore[call-overload]
        model="m", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert "".join(d.content or "" for d in deltas) == "Hi"
    pieces = [t for d in deltas for t in d.tool_calls or [] if t.function]
    assert [t.function.name for t in pieces if t.function and t.function.name] == ["a"]
    assert "".join(t.function.arguments or "" for t in pieces if t.function) == '{"x": 1}'
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 5


async def test_streamed_response_completes_with_the_full_reply(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.enqueue(text="Hi there", tool_calls=[("lookup", {"order_id": "A1", "note": "late parcel"})])
    async with client.responses.stream(model="m", input="hi") as stream:
        deltas = [event.delta async for event in stream if event.type == "response.output_text.delta"]
        final = await stream.get_final_response()
    assert final.output_text == "Hi there" and deltas == ["Hi", " there"]
    call = final.output[1]
    assert call.type == "function_call" and json.loads(call.arguments) == {"order_id": "A1", "note": "late parcel"}


async def test_with_a_chunk_gap_each_streamed_piece_is_its_own_chunk() -> None:
    with FakeOpenAIServer(chunk_gap=0.01) as gapped:
        gapped.enqueue(text="one two three")
        async with openai.AsyncOpenAI(base_url=gapped.base_url, api_key="test", max_retries=0) as slow:
            stream = await slow.chat.completions.create(model="m", messages=USER, stream=True)  # type: ignore[call-overload]
            texts = [c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content]
        sent_at = gapped.requests[0].chunks_sent_at
    assert texts == ["one", " two", " three"]
    assert len(sent_at) == 6 and sent_at == sorted(sent_at)  # role, three words, finish, [DONE]


async def test_unknown_paths_get_a_404_naming_what_is_served(server: FakeOpenAIServer) -> None:
    async with httpx2.AsyncClient() as http:
        reply = await http.get(server.base_url + "/models")
    assert reply.status_code == 404
    assert "/v1/chat/completions" in reply.json()["error"]["message"]


async def test_length_finish_reason_maps_to_an_incomplete_response(
    server: FakeOpenAIServer, client: openai.AsyncOpenAI
) -> None:
    server.enqueue(text="cut sh", finish_reason="length")
    response = await client.responses.create(model="m", input="hi")
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
