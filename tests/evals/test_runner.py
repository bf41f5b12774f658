"""``run_eval`` on fake models: what it records per case, the recorder tool, errors, concurrency, resume."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel

from agentkit import Tool
from agentkit.evals import EscalationCase
from agentkit.evals._report import ProgressBar
from agentkit.evals._runner import (
    EvalBot,
    ModelPrice,
    default_handoff_tool,
    recording_handoff_tool,
    run_eval,
)
from agentkit.exceptions import ModelError, UserError
from agentkit.models import FunctionModel, Message, ModelResponse, ToolSpecSource, call, reply
from agentkit.prompts import render

from .runner_fakes import keyword_model_fn, last_user_text


def by_id(run_records: list) -> dict:  # type: ignore[type-arg]
    return {r.outcome.case_id: r.outcome for r in run_records}


async def test_records_decision_priority_reason_and_tokens(small_cases: list[EscalationCase]) -> None:
    model = FunctionModel(keyword_model_fn, name="keywords")
    run = await run_eval(small_cases, EvalBot(model), progress=False)
    outcomes = by_id(run.records)
    assert [o.predicted_escalate for o in run.outcomes] == [True, True, True, False, False, True, False, False]
    assert outcomes["fraud-1"].predicted_priority == "high"
    assert outcomes["person-1"].reason == "The customer asked for a person"
    assert outcomes["hours"].predicted_priority is None and outcomes["hours"].reason is None
    assert all(o.error is None and not o.text_after_handoff for o in run.outcomes)
    assert all(len(r.bot_messages) >= 1 for r in run.records)
    assert {r.status for r in run.records} == {"ended_by_tool", "responded"}
    matrix = run.summary["decision"]["confusion_matrix"]
    assert matrix == [[3, 1], [1, 3]]  # TN FP / FN TP, as designed in runner_fakes


async def test_the_model_sees_the_shipped_prompt_and_an_unchanged_handoff_spec(
    small_cases: list[EscalationCase],
) -> None:
    model = FunctionModel(keyword_model_fn)
    await run_eval(small_cases[:1], EvalBot(model), progress=False)
    request = model.requests[0]
    assert request.messages[0] == {"role": "system", "content": render("support_assistant.j2")}
    assert request.messages[1:] == small_cases[0].messages()
    assert request.tools == ["handToSupport"]
    original = default_handoff_tool()
    recorder = recording_handoff_tool(original)
    assert recorder.spec() == original.spec() and recorder.spec("responses") == original.spec("responses")
    assert recorder.ends_turn is True


async def test_the_bots_own_handler_never_runs(small_cases: list[EscalationCase]) -> None:
    class Input(BaseModel):
        reason: str
        priority: Literal["low", "medium", "high", "urgent"]

    tickets: list[str] = []

    def open_ticket(args: Input) -> str:
        tickets.append(args.reason)
        return "ticket opened"

    real_tool = Tool("handToSupport", "Hand over to a human.", Input, open_ticket, ends_turn=True)
    run = await run_eval(small_cases, EvalBot(FunctionModel(keyword_model_fn), tools=[real_tool]), progress=False)
    assert tickets == []  # the recorder replaced it: no ticket anywhere
    assert sum(o.predicted_escalate for o in run.outcomes) == 4


async def test_a_custom_handoff_tool_name_and_extra_tools(small_cases: list[EscalationCase]) -> None:
    class Lookup(BaseModel):
        order_id: str

    looked_up: list[str] = []
    lookup = Tool("lookupOrder", "Find an order", Lookup, lambda a: looked_up.append(a.order_id) or "shipped")

    def fn(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse:
        if messages[-1]["role"] == "user":
            return call("lookupOrder", order_id="A1")
        return call("escalate_now", reason="needs a person", priority="low")

    tools = [lookup, default_handoff_tool("escalate_now")]
    bot = EvalBot(FunctionModel(fn), tools=tools, handoff_tool="escalate_now", real_tools=True)
    run = await run_eval(small_cases[:2], bot, progress=False)
    assert looked_up == ["A1", "A1"]  # asked for: other tools run for real
    assert all(o.predicted_escalate and o.predicted_priority == "low" for o in run.outcomes)
    assert "escalate_now" in bot.resolved_instructions()  # the shipped prompt names the configured tool


async def test_a_bot_without_its_handoff_tool_is_refused(small_cases: list[EscalationCase]) -> None:
    class Lookup(BaseModel):
        order_id: str

    bot = EvalBot("offline", tools=[Tool("lookupOrder", "Find an order", Lookup, lambda a: "x")])
    with pytest.raises(UserError, match="no tool named 'handToSupport'.*lookupOrder"):
        await run_eval(small_cases, bot, progress=False)


async def test_text_in_or_after_the_handoff_reply_is_recorded(small_cases: list[EscalationCase]) -> None:
    def fn(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse:
        handoff = call("handToSupport", reason="person", priority="medium")
        return ModelResponse(text="A colleague will take over.", tool_calls=handoff.tool_calls)

    run = await run_eval(small_cases[:1], EvalBot(FunctionModel(fn)), progress=False)
    assert run.outcomes[0].text_after_handoff is True
    assert run.summary["handoff"]["silence_after_handoff_rate"] == 0.0


async def test_a_failed_handoff_call_is_not_an_escalation(small_cases: list[EscalationCase]) -> None:
    script = iter([call("handToSupport", reason="x", priority="asap"), reply("Sorry, let me help instead.")])
    model = FunctionModel(lambda messages, tools: next(script))
    run = await run_eval(small_cases[:1], EvalBot(model), progress=False)
    assert run.outcomes[0].predicted_escalate is False  # invalid priority: the tool never succeeded


async def test_a_case_error_is_recorded_and_the_run_goes_on(small_cases: list[EscalationCase]) -> None:
    def fn(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
        if "opening hours" in last_user_text(messages):
            raise ModelError("the endpoint is down")
        return keyword_model_fn(messages, tools)

    run = await run_eval(small_cases, EvalBot(FunctionModel(fn)), progress=False)
    errors = {o.case_id: o.error for o in run.outcomes if o.error}
    assert errors == {"hours": "ModelError: the endpoint is down"}
    assert run.summary["n_errors"] == 1 and run.records[4].status == "error"
    assert run.metrics()["error_rate"] == pytest.approx(1 / 8)


async def test_tokens_and_cost_come_from_the_price_table(small_cases: list[EscalationCase]) -> None:
    def fn(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse:
        return reply("fine", input_tokens=1000, output_tokens=100)

    prices = {"priced": ModelPrice(input_per_million=2.0, output_per_million=10.0)}
    run = await run_eval(small_cases[:2], EvalBot(FunctionModel(fn, name="priced")), progress=False, prices=prices)
    assert [(o.input_tokens, o.output_tokens) for o in run.outcomes] == [(1000, 100), (1000, 100)]
    assert [r.cost_usd for r in run.records] == [pytest.approx(0.003), pytest.approx(0.003)]
    unknown = await run_eval(small_cases[:1], EvalBot(FunctionModel(fn, name="mystery")), progress=False)
    assert unknown.records[0].cost_usd == 0.0
    assert run.metrics()["cost_usd"] == pytest.approx(0.006)


async def test_repeats_and_the_concurrency_limit(small_cases: list[EscalationCase]) -> None:
    in_flight, peak = 0, 0

    async def fn(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return keyword_model_fn(messages, tools)

    run = await run_eval(small_cases, EvalBot(FunctionModel(fn)), repeats=3, concurrency=4, progress=False)
    assert peak == 4
    assert len(run.records) == 24
    assert [(o.case_id, o.repeat) for o in run.outcomes[:3]] == [("person-1", 0), ("person-1", 1), ("person-1", 2)]
    assert run.summary["pass_hat_k"].keys() == {"1", "2", "3"}


async def test_results_are_appended_and_an_interrupted_run_resumes(
    small_cases: list[EscalationCase], tmp_path: Path
) -> None:
    calls_made: list[str] = []
    stall = asyncio.Event()

    async def slow_after_five(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
        calls_made.append(last_user_text(messages))
        if len(calls_made) > 5:
            await stall.wait()  # never set: the run is "killed" here
        return keyword_model_fn(messages, tools)

    bot = EvalBot(FunctionModel(slow_after_five, name="keywords"))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(run_eval(small_cases, bot, concurrency=1, out_dir=tmp_path, progress=False), 0.3)
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["case_id"] for line in lines] == [c.id for c in small_cases[:5]]

    fresh = FunctionModel(keyword_model_fn, name="keywords")
    run = await run_eval(small_cases, EvalBot(fresh), out_dir=tmp_path, progress=False)
    assert len(fresh.requests) == 3  # only the three cases that had not finished
    assert [o.case_id for o in run.outcomes] == [c.id for c in small_cases]
    assert run.config["resumed"] == 5


async def test_resume_reruns_errors_and_a_torn_last_line(small_cases: list[EscalationCase], tmp_path: Path) -> None:
    def failing_on_trap(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
        if "FAQ" in last_user_text(messages):
            raise ModelError("down")
        return keyword_model_fn(messages, tools)

    await run_eval(small_cases, EvalBot(FunctionModel(failing_on_trap, name="k")), out_dir=tmp_path, progress=False)
    results = tmp_path / "results.jsonl"
    text = results.read_text()
    results.write_text(text[: len(text) - 40])  # killed while writing the last record ("manager")
    again = FunctionModel(keyword_model_fn, name="k")
    run = await run_eval(small_cases, EvalBot(again), out_dir=tmp_path, progress=False)
    assert sorted(last_user_text(r.messages) for r in again.requests) == [
        "Does your FAQ explain card fraud protection?",
        "My manager needs the invoice for May",
    ]
    assert run.summary["n_errors"] == 0


async def test_an_out_dir_of_another_bot_is_refused(small_cases: list[EscalationCase], tmp_path: Path) -> None:
    await run_eval(
        small_cases[:2], EvalBot(FunctionModel(keyword_model_fn, name="a")), out_dir=tmp_path, progress=False
    )
    with pytest.raises(UserError, match="results of another bot"):
        await run_eval(
            small_cases, EvalBot(FunctionModel(keyword_model_fn, name="b")), out_dir=tmp_path, progress=False
        )


async def test_bad_arguments_say_what_to_fix(small_cases: list[EscalationCase]) -> None:
    with pytest.raises(UserError, match="repeats must be at least 1"):
        await run_eval(small_cases, EvalBot("offline"), repeats=0)
    with pytest.raises(UserError, match="no cases to run"):
        await run_eval([], EvalBot("offline"))
    with pytest.raises(UserError, match="unique"):
        await run_eval([small_cases[0], small_cases[0]], EvalBot("offline"))


async def test_multi_turn_cases_keep_their_history() -> None:
    case = EscalationCase.model_validate(
        {
            "id": "multi-1",
            "conversation": [
                {"role": "user", "content": "Where is order A1?"},
                {"role": "assistant", "content": None,
                 "tool_calls": [{"id": "t1", "type": "function",
                                 "function": {"name": "lookupOrder", "arguments": '{"order_id": "A1"}'}}]},
                {"role": "tool", "tool_call_id": "t1", "content": "lost in transit"},
                {"role": "assistant", "content": "It seems lost. I am sorry."},
                {"role": "user", "content": "Then get me a human"},
            ],
            "expected": {"escalate": True, "priority": "medium"},
            "tags": ["explicit_request"],
            "split": "dev",
            "domain": "shop",
        }
    )  # fmt: skip
    model = FunctionModel(keyword_model_fn)
    run = await run_eval([case], EvalBot(model), progress=False)
    assert model.requests[0].messages[1:] == case.messages()
    assert run.outcomes[0].predicted_escalate is True


def test_progress_bar_on_a_pipe_prints_a_line_per_tenth() -> None:
    stream = io.StringIO()
    bar = ProgressBar(20, stream=stream)
    for n in range(20):
        bar.advance(failed=n == 3)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("eval [########################] 20/20")
    assert "errors 1" in lines[-1]


def test_offline_handoffs_have_a_priority(shipped_cases: list[EscalationCase]) -> None:
    run = asyncio.run(run_eval(shipped_cases, EvalBot("offline"), progress=False))
    escalations = [o for o in run.outcomes if o.predicted_escalate]
    assert escalations and all(o.predicted_priority and o.reason for o in escalations)
