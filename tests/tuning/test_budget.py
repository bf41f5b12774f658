"""The budget is never exceeded, whatever its size; a budget too small stops cleanly; a dry run asks nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentkit.evals import DEFAULT_PRICES, EscalationCase
from agentkit.exceptions import ModelError
from agentkit.models import FunctionModel, MeteredModel
from agentkit.tuning import Budget, Strategy, tune
from agentkit.tuning._budget import BudgetMeter, Ledger

from .tuning_fakes import decide, prompt_model, proposer

# The fixture dataset with minibatch 8, iterations 2 and 2 finalists: a search step may take 16 requests, and
# dev (3 x 16 cases) and test (2 x 16) 160, so 176 is the least a run can start with.
SMALLEST = 176


@pytest.mark.parametrize("budget", [0, 100, SMALLEST - 1, SMALLEST, 200, 240, 1000])
@pytest.mark.parametrize("strategy", ["grid", "halving", "opro"])
async def test_requests_never_exceed_the_budget(
    budget: int, strategy: Strategy, cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    model = prompt_model()
    fake_proposer, _ = proposer(["Hand off for people and deaths."])
    result = await tune(cases, space, model, budget=budget, strategy=strategy, proposer=fake_proposer,
                        minibatch=8, candidates=6, out_dir=tmp_path)  # fmt: skip
    made = len(model.requests) + len(fake_proposer.requests)
    assert made == result.spent.requests <= budget
    if budget < SMALLEST:
        assert made == 0 and result.status == "stopped" and not result.search
        assert f"the budget of {budget} requests is too small to start" in (result.stop_reason or "")
        assert f"need up to {SMALLEST} requests" in (result.stop_reason or "")
    else:  # the budget kept for dev and test is never spent by the search: every run reaches the verdict
        assert result.status == "finished" and result.verdict
    report = json.loads((tmp_path / "tuning.json").read_text())
    assert report["status"] == result.status and report["spent"]["total"]["requests"] == made


async def test_a_search_cut_short_by_the_budget_still_confirms_its_best(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    # A search step reserves 16 requests but spends 8 (the fake answers each case in one request): after 5 steps
    # (40 spent) the sixth would need 40 + 16 + 160 > 208, eating into what dev and test may need.
    result = await tune(cases, space, prompt_model(), budget=SMALLEST + 4 * 8, minibatch=8, out_dir=tmp_path)
    assert result.status == "finished" and len(result.search) == 5
    assert "budget reached before search: escalation_policy=clause, tone=warm" in (result.stop_reason or "")
    assert result.holds and "clause" in result.best.name


async def test_dollars_never_exceed_the_usd_budget(cases: list[EscalationCase], space: Path, tmp_path: Path) -> None:
    settings = {"max_tokens": 64}  # bounds the output tokens a request may cost, hence the worst case
    planned = await tune(cases, space, "openai:gpt-4o", budget=10_000, minibatch=8, settings=settings, dry_run=True)
    smallest, everything = planned.plan.minimum.usd, planned.plan.worst.usd
    assert 0 < smallest < everything
    for budget_usd in (smallest * 0.99, smallest, (smallest + everything) / 2, everything):
        model, out = FunctionModel(decide, name="gpt-4o"), tmp_path / f"{budget_usd:.6f}"
        result = await tune(cases, space, model, budget=10_000, budget_usd=budget_usd, minibatch=8,
                            settings=settings, out_dir=out)  # fmt: skip
        spend = out / "spend.jsonl"
        lines = [json.loads(line) for line in spend.read_text().splitlines()] if spend.exists() else []
        assert len(lines) == len(model.requests) and result.spent.usd == pytest.approx(sum(e["usd"] for e in lines))
        assert result.spent.usd <= budget_usd
        assert result.status == ("stopped" if budget_usd < smallest else "finished")
    assert len(result.search) == 6  # the whole plan's worst case covers every step


async def test_a_dry_run_prints_the_plan_and_asks_nothing(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    model = prompt_model()
    result = await tune(cases, space, model, budget=300, strategy="halving", minibatch=8, candidates=6,
                        dry_run=True, out_dir=tmp_path / "run")  # fmt: skip
    assert result.status == "planned" and not model.requests and not (tmp_path / "run").exists()
    lines = "\n".join(result.plan.lines())
    assert "halving-1  6 x 8 train cases " in lines and "halving-3  2 x 32 train cases (16 new) " in lines
    assert "dev        3 x 16 dev cases" in lines and "test       2 x 16 test cases" in lines
    # 6x8 + 3x8 new + 2x16 new train cases, 3x16 dev, 2x16 test: 184 cases at 2 requests each.
    assert "16 evaluations; at most 368 model requests" in lines
    assert "300 requests: the search stops early" in lines
    gains = result.plan.detectable_f1_gain
    assert set(gains) == {"dev", "test"} and all(0.1 < gain < 1 for gain in gains.values())  # 16 cases: coarse
    assert f"test (16 cases) {gains['test']:.2f}" in lines
    assert result.plan.minimum.requests == SMALLEST and result.plan.worst.requests == 368


async def test_the_metered_model_refuses_a_request_over_the_budget() -> None:
    ledger = Ledger(Budget(1), None)
    model = MeteredModel(prompt_model(), BudgetMeter(ledger, DEFAULT_PRICES["gpt-4o"]))
    messages = [{"role": "system", "content": "x"}, {"role": "user", "content": "hi"}]
    await model.request(messages)
    with pytest.raises(ModelError, match="budget of 1 requests is spent"):
        await model.request(messages)
    assert ledger.total.requests == 1
    dollars = Ledger(Budget(100, usd=0.0001), None)  # a reply dearer than assumed: nothing more is sent
    model = MeteredModel(prompt_model(), BudgetMeter(dollars, DEFAULT_PRICES["gpt-4o"]))
    await model.request(messages)
    assert dollars.total.usd > 0.0001
    with pytest.raises(ModelError, match=r"budget of 100 requests / \$0.00 is spent"):
        await model.request(messages)
