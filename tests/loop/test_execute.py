"""The loop on scripted models: statuses, errors the model sees, budgets, concurrency, hooks, context, trace."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from agentkit import (
    Autonomous,
    ExecuteResult,
    Hooks,
    IterationsExhausted,
    ModelRetry,
    Tool,
    ToolError,
    context,
    execute,
    execute_sync,
)
from agentkit.exceptions import (
    ConfigError,
    DuplicateToolError,
    ModelError,
    ToolExecutionError,
    ToolRetriesExceeded,
    UserError,
)
from agentkit.models import FunctionModel, ScriptedModel, TestModel, call, calls


class HandToSupportInput(BaseModel):
    reason: str = Field(description="Why the conversation needs a support agent")
    priority: Literal["low", "medium", "high", "urgent"] = "medium"


class LookupInput(BaseModel):
    order_id: str


escalations: list[HandToSupportInput] = []


async def escalate(args: HandToSupportInput) -> str:
    escalations.append(args)
    return "escalated"


def hand_to_support() -> Tool[HandToSupportInput]:
    return Autonomous.Tool(
        name="handToSupport",
        description="Transfer to a human",
        input=HandToSupportInput,
        handler=escalate,
        ends_turn=True,
    )


def lookup_tool(handler=None) -> Tool[LookupInput]:  # type: ignore[no-untyped-def]
    return Tool("lookupOrder", "Find an order", LookupInput, handler or (lambda a: {"order": a.order_id}))


USER = [{"role": "user", "content": "I want to talk to a person"}]


@pytest.fixture(autouse=True)
def _clear() -> None:
    escalations.clear()


async def test_plain_answer_is_responded() -> None:
    model = ScriptedModel(["Hello!"])
    result = await execute("Be nice.", [], USER, model)
    assert (result.status, result.text, result.iterations) == ("responded", "Hello!", 1)
    assert result.messages == [{"role": "assistant", "content": "Hello!"}]
    assert model.requests[0].messages[0] == {"role": "system", "content": "Be nice."}


async def test_handoff_ends_the_turn_without_another_request() -> None:
    model = ScriptedModel([call("handToSupport", reason="Asked for a person", priority="high"), "never sent"])
    result = await execute("sys", [hand_to_support()], USER, model)
    assert result.status == "ended_by_tool" and result.text is None and result.ended_by == "handToSupport"
    assert len(model.requests) == 1 and model.remaining == 1
    assert escalations == [HandToSupportInput(reason="Asked for a person", priority="high")]
    assert result.messages[-1]["role"] == "tool" and result.messages[-1]["content"] == "escalated"


async def test_invalid_arguments_go_back_to_the_model_which_corrects_itself() -> None:
    model = ScriptedModel(
        [
            call("handToSupport", '{"reason": "x", "priority": "critical"}'),
            call("handToSupport", "{not json"),
            call("handToSupport", reason="Fraud", priority="urgent"),
        ]
    )
    result = await execute("sys", [hand_to_support()], USER, model)
    assert result.status == "ended_by_tool"
    first_error = model.requests[1].messages[-1]
    assert first_error["role"] == "tool" and "priority" in first_error["content"]
    assert "'low', 'medium', 'high' or 'urgent'" in first_error["content"]
    assert "invalid arguments" in model.requests[2].messages[-1]["content"]
    assert [r.ok for r in result.tool_calls] == [False, False, True]
    assert result.tool_calls[1].arguments == "{not json"


async def test_unknown_tool_is_reported_with_the_available_names() -> None:
    model = ScriptedModel([call("transferToHuman", reason="x"), call("handToSupport", reason="x")])
    result = await execute("sys", [hand_to_support(), lookup_tool()], USER, model)
    message = model.requests[1].messages[-1]["content"]
    assert "no tool named 'transferToHuman'" in message and "handToSupport, lookupOrder" in message
    assert result.status == "ended_by_tool"


async def test_retry_budget_per_tool_raises_with_what_was_done() -> None:
    tool = Tool("lookupOrder", "d", LookupInput, lambda a: "x", max_retries=1)
    model = ScriptedModel([call("lookupOrder", "{}"), call("lookupOrder", "{}"), "unreached"])
    with pytest.raises(ToolRetriesExceeded, match="lookupOrder failed 2 times") as caught:
        await execute("sys", [tool], USER, model)
    assert isinstance(caught.value.result, ExecuteResult) and len(caught.value.result.tool_calls) == 2


async def test_iterations_exhausted_returns_or_raises() -> None:
    loop_forever = FunctionModel(lambda messages, tools: call("lookupOrder", order_id="A1"))
    result = await execute("sys", [lookup_tool()], USER, loop_forever, iterations=3)
    assert (result.status, result.iterations, len(result.tool_calls)) == ("iterations_exhausted", 3, 3)
    assert result.usage.requests == 3
    with pytest.raises(IterationsExhausted) as caught:
        await execute("sys", [lookup_tool()], USER, loop_forever, iterations=2, on_exhausted="raise")
    assert caught.value.result.status == "iterations_exhausted"


async def test_calls_of_one_reply_run_concurrently_and_return_in_call_order() -> None:
    both_started = asyncio.Barrier(2)

    async def slow_first(args: LookupInput) -> str:
        await asyncio.wait_for(both_started.wait(), 5)  # deadlocks unless the two calls overlap
        await asyncio.sleep(0.05 if args.order_id == "first" else 0)
        return args.order_id

    model = ScriptedModel(
        [calls(("lookupOrder", {"order_id": "first"}), ("lookupOrder", {"order_id": "second"})), "ok"]
    )
    result = await execute("sys", [lookup_tool(slow_first)], USER, model)
    tool_messages = [m for m in model.requests[1].messages if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == ["first", "second"]
    assert [m["tool_call_id"] for m in tool_messages] == [c.call_id for c in result.tool_calls]


async def test_sync_handler_runs_in_a_worker_thread_and_sees_the_context() -> None:
    seen: list[tuple[str, bool]] = []

    def handler(args: LookupInput) -> str:
        seen.append((context.get("conversation"), threading.current_thread() is threading.main_thread()))
        return "found"

    model = ScriptedModel([call("lookupOrder", order_id="A1"), "done"])
    await execute("sys", [lookup_tool(handler)], USER, model, context={"conversation": "conv-1"})
    assert seen == [("conv-1", False)]


async def test_tool_error_and_model_retry_reach_the_model() -> None:
    async def handler(args: LookupInput) -> str:
        if args.order_id == "A1":
            raise ModelRetry("order ids look like ORD-123; ask the user for theirs")
        raise ToolError("the order system is down")

    model = ScriptedModel([call("lookupOrder", order_id="A1"), call("lookupOrder", order_id="B"), "sorry"])
    result = await execute("sys", [lookup_tool(handler)], USER, model)
    assert "ORD-123" in model.requests[1].messages[-1]["content"]
    assert model.requests[2].messages[-1]["content"] == "Error: the order system is down"
    assert result.text == "sorry"


async def test_unexpected_exception_is_sent_or_raised_by_setting() -> None:
    def broken(args: LookupInput) -> str:
        raise KeyError("db")

    model = ScriptedModel([call("lookupOrder", order_id="A1"), "sorry"])
    await execute("sys", [lookup_tool(broken)], USER, model)
    assert "KeyError" in model.requests[1].messages[-1]["content"]
    with pytest.raises(ToolExecutionError, match="KeyError") as caught:
        await execute(
            "sys",
            [lookup_tool(broken)],
            USER,
            ScriptedModel([call("lookupOrder", order_id="A1")]),
            on_tool_exception="raise",
        )
    assert isinstance(caught.value.__cause__, KeyError)


async def test_tool_timeout_is_an_error_the_model_sees() -> None:
    async def stuck(args: LookupInput) -> str:
        await asyncio.sleep(10)
        return "late"

    tool = Tool("lookupOrder", "d", LookupInput, stuck, timeout=0.05)
    model = ScriptedModel([call("lookupOrder", order_id="A1"), "gave up"])
    await execute("sys", [tool], USER, model)
    assert "did not finish within 0.05 seconds" in model.requests[1].messages[-1]["content"]


async def test_hooks_patch_input_block_calls_and_patch_output() -> None:
    def before(invocation):  # type: ignore[no-untyped-def]
        if invocation.args.order_id == "blocked":
            raise ToolError("that order belongs to someone else")
        return LookupInput(order_id=invocation.args.order_id.upper())

    iterations: list[int] = []
    hooks = Hooks(
        before_tool=before,
        after_tool=lambda inv, out: {**out, "patched": True},
        on_iteration=lambda i, response: iterations.append(i),
    )
    model = ScriptedModel([call("lookupOrder", order_id="a1"), call("lookupOrder", order_id="blocked"), "ok"])
    result = await execute("sys", [lookup_tool()], USER, model, hooks=hooks)
    assert result.tool_calls[0].output == {"order": "A1", "patched": True}
    assert result.tool_calls[0].arguments == {"order_id": "A1"}
    assert model.requests[2].messages[-1]["content"] == "Error: that order belongs to someone else"
    assert iterations == [1, 2, 3]


async def test_model_failure_carries_the_partial_result() -> None:
    model = ScriptedModel([call("lookupOrder", order_id="A1")])  # runs out on the second request
    with pytest.raises(ModelError, match="ran out") as caught:
        await execute("sys", [lookup_tool()], USER, model)
    assert caught.value.result.tool_calls[0].output == {"order": "A1"}


async def test_trace_records_requests_and_calls_and_writes_jsonl(tmp_path: Path) -> None:
    model = ScriptedModel([call("lookupOrder", order_id="A1"), "shipped"])
    result = await execute("sys", [lookup_tool()], USER, model)
    path = result.trace.write_jsonl(tmp_path / "trace.jsonl")
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["type"] for e in events] == ["model_request", "tool_call", "model_request"]
    assert events[1]["output"] == {"order": "A1"} and events[0]["duration_s"] >= 0


async def test_definition_mistakes_fail_before_any_request() -> None:
    model = ScriptedModel(["x"])
    with pytest.raises(DuplicateToolError, match="two tools are named 'lookupOrder'"):
        await execute("sys", [lookup_tool(), lookup_tool()], USER, model)
    with pytest.raises(UserError, match=r"messages\[0\] must be a dict with a role"):
        await execute("sys", [], [{"content": "no role"}], model)
    with pytest.raises(UserError, match="iterations must be at least 1"):
        await execute("sys", [], USER, model, iterations=0)
    assert model.requests == []


async def test_model_strings_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTKIT_MODEL", raising=False)
    with pytest.raises(ConfigError, match="AGENTKIT_MODEL"):
        await execute("sys", [], USER)
    monkeypatch.setenv("AGENTKIT_MODEL", "offline")
    result = await execute("sys", [hand_to_support()], USER)
    assert result.status == "ended_by_tool"
    with pytest.raises(ConfigError, match="unknown provider 'acme'"):
        await execute("sys", [], USER, "acme:big")


async def test_test_model_calls_every_tool_with_valid_arguments() -> None:
    result = await execute("sys", [lookup_tool()], USER, TestModel())
    assert result.status == "responded" and result.tool_calls[0].ok
    assert json.loads(result.text or "") == {"lookupOrder": '{"order": "a"}'}


def test_execute_sync_runs_from_plain_code() -> None:
    result = execute_sync("sys", [], USER, ScriptedModel(["hi"]))
    assert result.text == "hi"


async def test_execute_sync_inside_a_loop_says_to_await() -> None:
    with pytest.raises(UserError, match="await execute"):
        execute_sync("sys", [], USER, ScriptedModel(["hi"]))
