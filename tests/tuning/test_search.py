"""Each strategy finds the prompt with the clause the fake model needs, within its budget, and reports dev and test."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.evals import EscalationCase
from agentkit.exceptions import ModelError
from agentkit.models import FunctionModel, Message, ToolSpecSource
from agentkit.tuning import Strategy, tune

from .tuning_fakes import CLAUSE, SPACE_WITHOUT_CLAUSE, log_lines, prompt_model, proposer, write_space


@pytest.mark.parametrize("strategy", ["grid", "random", "halving"])
async def test_the_strategy_finds_the_clause_and_confirms_it_on_test(
    strategy: Strategy, cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    model = prompt_model()
    result = await tune(cases, space, model, budget=400, strategy=strategy, minibatch=8, candidates=4,
                        out_dir=tmp_path / strategy)  # fmt: skip
    assert result.status == "finished" and result.winner is not None
    assert CLAUSE in result.instructions and "clause" in result.winner.name
    assert len(model.requests) == result.spent.requests <= 400
    assert result.dev[0].candidate.id == result.start.id  # the start always runs on dev, as the reference
    assert result.dev[0].metrics["f1"] == pytest.approx(2 / 3)  # the weak baseline misses every bereavement
    assert result.test_start is not None and result.test_winner is not None
    assert result.test_start.metrics["f1"] == pytest.approx(2 / 3) and result.test_winner.metrics["f1"] == 1.0
    assert result.holds and result.verdict.startswith("confirmed: the dev gain of +0.33 F1 is +0.33 on test, 95% CI [")


async def test_halving_stops_weak_candidates_on_small_minibatches(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    result = await tune(cases, space, prompt_model(), budget=400, strategy="halving", minibatch=8, candidates=6,
                        finalists=2, out_dir=tmp_path)  # fmt: skip
    reached = {}
    for evaluation in result.search:
        reached[evaluation.candidate.name] = max(reached.get(evaluation.candidate.name, 0), evaluation.n_cases)
    assert reached == {
        "start": 16, "tone=warm": 8, "escalation_policy=polite": 8, "escalation_policy=polite, tone=warm": 8,
        "escalation_policy=clause": 32, "escalation_policy=clause, tone=warm": 32,
    }  # fmt: skip
    stages = [line["stage"] for line in log_lines(tmp_path)[1:]]
    assert stages == ["halving-1"] * 6 + ["halving-2"] * 3 + ["halving-3"] * 2 + ["dev"] * 3 + ["test"] * 2
    # A doubled minibatch runs only the cases the smaller one did not: 6*8 + 3*8 + 2*16 train requests.
    train_requests = sum(line["requests"] for line in log_lines(tmp_path)[1:] if line["split"] == "train")
    assert train_requests == 48 + 24 + 32


async def test_random_draws_a_seeded_subset_that_starts_with_the_start(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    first = await tune(cases, space, prompt_model(), budget=400, strategy="random", candidates=3, seed=7,
                       minibatch=8, out_dir=tmp_path / "a")  # fmt: skip
    again = await tune(cases, space, prompt_model(), budget=400, strategy="random", candidates=3, seed=7,
                       minibatch=8, out_dir=tmp_path / "b")  # fmt: skip
    names = [e.candidate.name for e in first.search]
    assert len(names) == 3 and names[0] == "start"
    assert names == [e.candidate.name for e in again.search]


async def test_opro_asks_the_proposer_until_it_proposes_the_clause(cases: list[EscalationCase], tmp_path: Path) -> None:
    space = write_space(tmp_path, SPACE_WITHOUT_CLAUSE)  # the clause can only come from the proposer
    texts = ["Hand off when asked for a person.", "Hand off for people and refunds.", f"Hand off for people. {CLAUSE}"]
    fake_proposer, asked = proposer(texts)
    model = prompt_model()
    result = await tune(cases, space, model, budget=400, strategy="opro", proposer=fake_proposer, opro_steps=4,
                        minibatch=8, out_dir=tmp_path)  # fmt: skip
    assert result.status == "finished" and result.holds
    assert CLAUSE in result.instructions and result.best.name == "escalation_policy=opro-3"
    assert len(model.requests) + len(fake_proposer.requests) == result.spent.requests <= 400
    meta = asked[1][1]["content"]  # the second meta-prompt shows the first proposal with its score, and mistakes
    assert '<policy score="0.400">\nHand off when asked for a person.\n</policy>' in meta
    assert "Right decision: hand off (priority high)" in meta and "passed away" in meta
    assert meta.index('score="0.400"') < meta.rindex("score=")  # lowest first
    assert len(asked) == 4  # the fourth proposal repeats the third: asked, but not evaluated again
    stages = [line["stage"] for line in log_lines(tmp_path) if line["kind"] == "evaluation"]
    assert stages[:5] == ["opro-0", "opro-0", "opro-1", "opro-2", "opro-3"] and "opro-4" not in stages


async def test_a_proposal_with_template_syntax_is_kept_verbatim(cases: list[EscalationCase], tmp_path: Path) -> None:
    fake_proposer, _ = proposer([f"Use {{{{ handoff_tool }}}} {{% if x %}} for people. {CLAUSE}"])
    space = write_space(tmp_path, SPACE_WITHOUT_CLAUSE)
    result = await tune(cases, space, prompt_model(), budget=400, strategy="opro", proposer=fake_proposer,
                        opro_steps=1, minibatch=8, out_dir=tmp_path)  # fmt: skip
    assert "Use {{ handoff_tool }} {% if x %} for people." in result.instructions


async def test_a_failing_proposer_skips_its_step(cases: list[EscalationCase], tmp_path: Path) -> None:
    calls: list[int] = []

    def flaky(messages: list[Message], tools: list[ToolSpecSource]) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise ModelError("the proposer endpoint is down")
        return f"<policy>Hand off for people. {CLAUSE}</policy>"

    space = write_space(tmp_path, SPACE_WITHOUT_CLAUSE)
    result = await tune(cases, space, prompt_model(), budget=400, strategy="opro", proposer=FunctionModel(flaky),
                        opro_steps=2, minibatch=8, out_dir=tmp_path / "out")  # fmt: skip
    assert result.status == "finished" and result.best.name == "escalation_policy=opro-2" and len(calls) == 2
    assert [line["step"] for line in log_lines(tmp_path / "out") if line["kind"] == "proposal"] == [2]
