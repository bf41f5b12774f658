"""The issue's must-shows, end to end: ``execute`` -> OpenAIModel -> the official openai client -> a loopback server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from agentkit import Autonomous, Tool, execute
from agentkit.models import OpenAIModel
from agentkit.testing import FakeClock, FakeOpenAIServer, Fault


class HandToSupportInput(BaseModel):
    reason: str = Field(description="Why the conversation needs a support agent")
    priority: Literal["low", "medium", "high", "urgent"] = "medium"


class LookupInput(BaseModel):
    order_id: str


escalated: list[HandToSupportInput] = []


async def escalate(args: HandToSupportInput) -> str:
    escalated.append(args)
    return "escalated"


handToSupport = Autonomous.Tool(
    name="handToSupport",
    description="Transfer the conversation to a support agent.",
    input=HandToSupportInput,
    handler=escalate,
    ends_turn=True,
)


async def lookup(args: LookupInput) -> dict[str, str]:
    return {"order_id": args.order_id, "status": "shipped"}


lookupOrder = Tool("lookupOrder", "Look up an order by id", LookupInput, lookup)
USER = [{"role": "user", "content": "I want to talk to a person"}]


opened: list[OpenAIModel] = []


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    escalated.clear()
    async with FakeOpenAIServer() as fake:
        yield fake
        for model in opened:  # close each client inside the loop that opened it
            await model.aclose()
        opened.clear()


@pytest.fixture(params=["chat", "responses"])
def api(request: pytest.FixtureRequest) -> Literal["chat", "responses"]:
    return request.param  # type: ignore[no-any-return]


def model_for(server: FakeOpenAIServer, api: Literal["chat", "responses"] = "chat") -> OpenAIModel:
    model = OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test", api=api)
    opened.append(model)
    return model


def tool_outputs(body: dict) -> list[str]:  # type: ignore[type-arg]
    if "messages" in body:
        return [m["content"] for m in body["messages"] if m["role"] == "tool"]
    return [item["output"] for item in body["input"] if item.get("type") == "function_call_output"]


async def test_handoff_ends_the_run_with_no_further_request(server: FakeOpenAIServer, api: str) -> None:
    server.enqueue(tool_calls=[("handToSupport", {"reason": "User asked for a person", "priority": "high"})])
    server.enqueue(text="this must never be requested")
    result = await execute("You are a support assistant.", [handToSupport], USER, model_for(server, api))  # type: ignore[arg-type]
    assert result.status == "ended_by_tool" and result.text is None
    assert len(server.model_requests()) == 1 and server.pending == 1
    assert escalated == [HandToSupportInput(reason="User asked for a person", priority="high")]
    sent_tools = server.model_requests()[0]["tools"]
    assert sent_tools == [handToSupport.spec(api)]  # type: ignore[arg-type]


async def test_invalid_arguments_reach_the_model_which_corrects_itself(server: FakeOpenAIServer, api: str) -> None:
    server.enqueue(tool_calls=[("handToSupport", {"reason": "x", "priority": "critical"})])
    server.enqueue_malformed_tool_call("handToSupport")
    server.enqueue(tool_calls=[("handToSupport", {"reason": "Fraud on my card", "priority": "urgent"})])
    result = await execute("sys", [handToSupport], USER, model_for(server, api))  # type: ignore[arg-type]
    assert result.status == "ended_by_tool" and [r.ok for r in result.tool_calls] == [False, False, True]
    requests = server.model_requests()
    assert "priority" in tool_outputs(requests[1])[-1] and "invalid arguments" in tool_outputs(requests[1])[-1]
    assert "invalid arguments" in tool_outputs(requests[2])[-1]
    assert escalated[-1].priority == "urgent"


async def test_unknown_tool_reaches_the_model_which_corrects_itself(server: FakeOpenAIServer) -> None:
    server.enqueue(tool_calls=[("transferToHuman", {"reason": "x"})])
    server.enqueue(tool_calls=[("handToSupport", {"reason": "Asked for a person"})])
    result = await execute("sys", [handToSupport, lookupOrder], USER, model_for(server))
    error = tool_outputs(server.model_requests()[1])[-1]
    assert "no tool named 'transferToHuman'" in error and "handToSupport, lookupOrder" in error
    assert result.status == "ended_by_tool"


async def test_429_with_retry_after_is_retried_after_a_second(server: FakeOpenAIServer) -> None:
    server.inject(Fault.status(429, headers={"Retry-After": "1"}, json={"error": {"message": "slow down"}}))
    server.enqueue(text="Hello! How can I help?")
    clock = FakeClock()  # the wait is asked of the clock, not slept for real
    model = OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test", clock=clock.clock)
    opened.append(model)
    result = await execute("sys", [handToSupport], [{"role": "user", "content": "hi"}], model)
    assert result.status == "responded" and result.text == "Hello! How can I help?"
    assert len(server.requests) == 2 and clock.sleeps[0] >= 1.0


async def test_iterations_run_out(server: FakeOpenAIServer) -> None:
    for n in range(3):
        server.enqueue(tool_calls=[("lookupOrder", {"order_id": f"A{n}"})])
    result = await execute("sys", [lookupOrder], USER, model_for(server), iterations=3)
    assert result.status == "iterations_exhausted" and result.text is None
    assert len(server.model_requests()) == 3 and len(result.tool_calls) == 3


async def test_two_calls_in_one_reply_come_back_in_call_order(server: FakeOpenAIServer, api: str) -> None:
    server.enqueue(tool_calls=[("lookupOrder", {"order_id": "FIRST"}), ("lookupOrder", {"order_id": "SECOND"})])
    server.enqueue(text="Both orders have shipped.")
    result = await execute("sys", [lookupOrder], USER, model_for(server, api))  # type: ignore[arg-type]
    outputs = [json.loads(o)["order_id"] for o in tool_outputs(server.model_requests()[1])]
    assert outputs == ["FIRST", "SECOND"] and result.text == "Both orders have shipped."


async def test_usage_is_added_up_over_requests(server: FakeOpenAIServer) -> None:
    server.enqueue(tool_calls=[("lookupOrder", {"order_id": "A1"})], input_tokens=100, output_tokens=10)
    server.enqueue(text="Shipped.", input_tokens=150, output_tokens=5)
    result = await execute("sys", [lookupOrder], USER, model_for(server))
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.requests) == (250, 15, 2)
