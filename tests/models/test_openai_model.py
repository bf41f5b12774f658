from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from agentkit.exceptions import ConfigError, ModelError, ModelHTTPError
from agentkit.models import Backoff, Model, OpenAIModel, ToolCall, Usage
from agentkit.testing import FakeClock, FakeOpenAIServer, Fault, RemoteRequestBlocked
from agentkit.tools import Tool

FAST = Backoff(base=0.01, cap=0.05)
USER = [{"role": "user", "content": "I want a person"}]


class Escalate(BaseModel):
    reason: str
    priority: Literal["low", "medium", "high", "urgent"] = "medium"


HAND_TO_SUPPORT = Tool("handToSupport", "Transfer to a support agent", Escalate, lambda args: "escalated")


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as fake:
        yield fake


def model_for(server: FakeOpenAIServer, **kwargs: Any) -> OpenAIModel:
    kwargs.setdefault("backoff", FAST)
    return OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test", **kwargs)


@pytest.mark.parametrize("api", ["chat", "responses"])
async def test_text_two_tool_calls_and_usage_come_back(server: FakeOpenAIServer, api: Any) -> None:
    server.enqueue(
        text="Transferring.", tool_calls=[("handToSupport", {"reason": "asked"}), ("lookup", {"id": 3})],
        input_tokens=20, output_tokens=7,
    )  # fmt: skip
    async with model_for(server, api=api) as model:
        response = await model.request(USER, [HAND_TO_SUPPORT])
    assert response.text == "Transferring."
    assert [(c.name, json.loads(c.arguments)) for c in response.tool_calls] == [
        ("handToSupport", {"reason": "asked"}),
        ("lookup", {"id": 3}),
    ]
    assert all(c.id for c in response.tool_calls)
    assert response.usage == Usage(20, 7, 1)
    assert (response.model_name, response.finish_reason) == ("gpt-4o-mini", "tool_calls")


@pytest.mark.parametrize("api", ["chat", "responses"])
async def test_plain_text_reply_finishes_with_stop(server: FakeOpenAIServer, api: Any) -> None:
    server.enqueue(text="Hello!")
    async with model_for(server, api=api) as model:
        response = await model.request(USER)
    assert (response.text, response.tool_calls, response.finish_reason) == ("Hello!", (), "stop")


@pytest.mark.parametrize("api", ["chat", "responses"])
async def test_malformed_tool_call_json_arrives_as_the_raw_string(server: FakeOpenAIServer, api: Any) -> None:
    server.enqueue_malformed_tool_call("handToSupport", '{"reason": "unfin')
    async with model_for(server, api=api) as model:
        response = await model.request(USER, [HAND_TO_SUPPORT])
    assert response.tool_calls[0].arguments == '{"reason": "unfin'


async def test_chat_request_carries_messages_tool_specs_and_merged_settings(server: FakeOpenAIServer) -> None:
    server.enqueue(text="a")
    server.enqueue(text="b")
    async with model_for(server, temperature=0.1, parallel_tool_calls=False, seed=4) as model:
        await model.request(USER, [HAND_TO_SUPPORT], {"temperature": 0.9, "seed": None})
        await model.request(USER)
    with_tools, without_tools = server.chat_requests()
    assert with_tools["messages"] == USER
    assert with_tools["tools"] == [HAND_TO_SUPPORT.spec("chat")]
    assert (with_tools["temperature"], with_tools["parallel_tool_calls"]) == (0.9, False)
    assert "seed" not in with_tools  # a None setting removes the constructor's value
    assert (without_tools["temperature"], without_tools["seed"]) == (0.1, 4)
    assert "parallel_tool_calls" not in without_tools and "tools" not in without_tools


async def test_responses_request_translates_a_whole_conversation(server: FakeOpenAIServer) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "handToSupport", "arguments": '{"reason":"x"}'}}
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": [{"type": "text", "text": "help"}]},
        {"role": "assistant", "content": "One moment.", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "escalated"},
        {"role": "assistant", "content": "Done."},
    ]
    server.enqueue(text="ok")
    choice = {"type": "function", "function": {"name": "handToSupport"}}
    async with model_for(server, api="responses", max_tokens=50) as model:
        await model.request(messages, [HAND_TO_SUPPORT], {"tool_choice": choice})
    (sent,) = server.responses_requests()
    assert sent["instructions"] == "Be kind."
    assert sent["input"] == [
        {"role": "user", "content": [{"type": "input_text", "text": "help"}]},
        {"role": "assistant", "content": "One moment."},
        {"type": "function_call", "call_id": "call_1", "name": "handToSupport", "arguments": '{"reason":"x"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "escalated"},
        {"role": "assistant", "content": "Done."},
    ]
    assert sent["tools"] == [HAND_TO_SUPPORT.spec("responses")]
    assert (sent["max_output_tokens"], sent["tool_choice"]) == (50, {"type": "function", "name": "handToSupport"})


async def test_responses_cut_short_by_length_report_it(server: FakeOpenAIServer) -> None:
    server.enqueue(text="cut sh", finish_reason="length")
    async with model_for(server, api="responses") as model:
        assert (await model.request(USER)).finish_reason == "length"


async def test_429_with_retry_after_waits_at_least_that_long_then_succeeds(server: FakeOpenAIServer) -> None:
    server.inject(Fault.status(429, headers={"Retry-After": "1"}))
    server.enqueue(text="after the wait")
    clock = FakeClock()
    async with model_for(server, clock=clock.clock) as model:
        response = await model.request(USER)
    assert response.text == "after the wait"
    assert len(server.requests) == 2 and clock.sleeps == [1.0]


async def test_retry_after_ms_is_honoured(server: FakeOpenAIServer) -> None:
    server.inject(Fault.status(429, headers={"retry-after-ms": "300"}))
    server.enqueue(text="ok")
    clock = FakeClock()
    async with model_for(server, clock=clock.clock) as model:
        assert (await model.request(USER)).text == "ok"
    assert len(server.requests) == 2 and clock.sleeps == [0.3]


async def test_500_then_200_succeeds(server: FakeOpenAIServer) -> None:
    server.inject(Fault.status(500))
    server.enqueue(text="recovered")
    async with model_for(server) as model:
        assert (await model.request(USER)).text == "recovered"
    assert len(server.requests) == 2


async def test_503_every_time_raises_model_http_error_after_all_tries(server: FakeOpenAIServer) -> None:
    server.inject(*[Fault.status(503)] * 4)
    async with model_for(server, max_retries=3) as model:
        with pytest.raises(ModelHTTPError, match="HTTP 503 after 4 tries") as raised:
            await model.request(USER)
    assert raised.value.status_code == 503
    assert len(server.requests) == 4


async def test_400_is_not_retried(server: FakeOpenAIServer) -> None:
    server.inject(Fault.status(400, json={"error": {"message": "messages must not be empty"}}))
    async with model_for(server) as model:
        with pytest.raises(ModelHTTPError, match="after 1 try.*messages must not be empty") as raised:
            await model.request(USER)
    assert raised.value.status_code == 400
    assert len(server.requests) == 1


async def test_stalled_response_times_out_and_the_retry_succeeds(server: FakeOpenAIServer) -> None:
    server.inject(Fault.stall(10))
    server.enqueue(text="fresh connection")
    async with model_for(server, timeout=0.2) as model:
        assert (await model.request(USER)).text == "fresh connection"
    assert len(server.requests) == 2


async def test_dropped_connection_is_retried_and_succeeds(server: FakeOpenAIServer) -> None:
    server.inject(Fault.drop())
    server.enqueue(text="second try")
    async with model_for(server) as model:
        assert (await model.request(USER)).text == "second try"
    assert len(server.requests) == 2


async def test_an_endpoint_that_is_down_gives_model_error_after_all_tries() -> None:
    server = FakeOpenAIServer().start()
    server.stop()  # the port is now closed
    async with model_for(server, max_retries=2) as model:
        with pytest.raises(ModelError, match="after 3 tries.*is the endpoint up"):
            await model.request(USER)


async def test_a_finished_script_fails_at_once_with_its_message(server: FakeOpenAIServer) -> None:
    async with model_for(server) as model:
        with pytest.raises(ModelHTTPError, match="the script ran out") as raised:
            await model.request(USER)
    assert raised.value.status_code == 500
    assert len(server.requests) == 1


async def test_unusable_reply_raises_model_error() -> None:
    async with FakeOpenAIServer() as server, model_for(server) as model:
        server.enqueue_fault(Fault.status(200, json={"unexpected": True}))
        with pytest.raises(ModelError, match="not a chat completion"):
            await model.request(USER)


async def test_key_and_base_url_come_from_the_environment(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    server.enqueue(text="hi")
    async with OpenAIModel("gpt-4o-mini") as model:
        assert (await model.request(USER)).text == "hi"
    assert server.requests[0].headers["authorization"] == "Bearer sk-from-env"


def test_a_missing_key_is_a_config_error_saying_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        OpenAIModel("gpt-4o-mini")


async def test_the_default_endpoint_is_blocked_in_tests() -> None:
    async with OpenAIModel("gpt-4o-mini") as model:
        with pytest.raises(RemoteRequestBlocked, match="api.openai.com"):
            await model.request(USER)


async def test_openai_model_is_a_model(server: FakeOpenAIServer) -> None:
    async with model_for(server) as model:
        assert isinstance(model, Model)
        assert model.name == "gpt-4o-mini"


async def test_reply_converts_to_a_chat_message_for_the_next_turn(server: FakeOpenAIServer) -> None:
    server.enqueue(tool_calls=[("handToSupport", {"reason": "r"})])
    async with model_for(server) as model:
        response = await model.request(USER, [HAND_TO_SUPPORT])
    call: ToolCall = response.tool_calls[0]
    assert response.to_message()["tool_calls"][0]["id"] == call.id
