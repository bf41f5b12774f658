"""Safe tools in evals: the bot's other tools answer from the case's recorded results or a stub, and run for real
only when asked, with a warning."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import BaseModel

from agentkit.evals import EscalationCase, EvalBot, run_eval
from agentkit.evals._safe_tools import recorded_result, stub_tool
from agentkit.models import FunctionModel, Message, ModelResponse, ToolSpecSource, call
from agentkit.tools import Tool


class Refund(BaseModel):
    order_id: str


def refund_tool(refunded: list[str]) -> Tool[Refund]:
    def refund(args: Refund) -> str:
        refunded.append(args.order_id)
        return "refunded"

    return Tool("refundOrder", "Refund an order in full", Refund, refund)


CASE = EscalationCase.model_validate({
    "id": "refund-1",
    "conversation": [
        {"role": "user", "content": "refund A1 please"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "refundOrder", "arguments": "{\"order_id\": \"A1\"}"}}
        ]},
        {"role": "tool", "tool_call_id": "c1", "content": "{\"status\": \"refund_pending\"}"},
        {"role": "assistant", "content": "The refund is pending."},
        {"role": "user", "content": "and B2?"},
    ],
    "expected": {"escalate": False},
})  # fmt: skip


def refunding_model(order_id: str, seen: list[str]) -> FunctionModel:
    def fn(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
        if messages[-1]["role"] == "tool":
            seen.append(str(messages[-1]["content"]))
            return "Done."
        return call("refundOrder", order_id=order_id)

    return FunctionModel(fn)


@pytest.mark.parametrize(
    ("order_id", "answer"),
    [("A1", '{"status": "refund_pending"}'), ("B2", '"status": "not_run"')],
)
async def test_other_tools_do_not_run_and_answer_from_the_case_or_a_stub(order_id: str, answer: str) -> None:
    refunded: list[str] = []
    seen: list[str] = []
    bot = EvalBot(refunding_model(order_id, seen), tools=[refund_tool(refunded), EvalBot("offline").eval_tools()[0]])
    run = await run_eval([CASE], bot, progress=False)
    assert refunded == []  # nothing was refunded anywhere
    assert len(seen) == 1 and answer in seen[0]
    assert run.config["bot"]["real_tools"] == []


async def test_real_tools_run_only_when_asked_and_say_so(caplog: pytest.LogCaptureFixture) -> None:
    refunded: list[str] = []
    bot = EvalBot(refunding_model("B2", []), tools=[refund_tool(refunded), EvalBot("offline").eval_tools()[0]],
                  real_tools=True)  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="agentkit.evals"):
        run = await run_eval([CASE], bot, progress=False)
    assert refunded == ["B2"]
    assert run.config["bot"]["real_tools"] == ["refundOrder"]
    assert "runs the bot's real tools (refundOrder)" in caplog.text and "a refund tool refunds" in caplog.text


def test_the_stand_in_keeps_the_spec_and_matches_recorded_calls_by_arguments() -> None:
    tool = refund_tool([])
    assert stub_tool(tool).spec() == tool.spec() and stub_tool(tool).spec("responses") == tool.spec("responses")
    assert recorded_result(CASE, "refundOrder", {"order_id": "A1"}) == json.dumps({"status": "refund_pending"})
    assert recorded_result(CASE, "refundOrder", {"order_id": "B2"}) is None
    assert recorded_result(CASE, "lookupOrder", {"order_id": "A1"}) is None
    assert recorded_result(None, "refundOrder", {"order_id": "A1"}) is None
