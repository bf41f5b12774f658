"""The overfitting guard: selection on dev, confirmation on test, and a plain verdict when the gain does not hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.evals import CaseOutcome, EscalationCase, expected_cost_per_case, f1
from agentkit.exceptions import ConfigError
from agentkit.tuning import Objective, tune
from agentkit.tuning._output import summary_lines

from .tuning_fakes import SPACE_WITHOUT_CLAUSE, dataset, prompt_model, write_space


async def test_a_dev_gain_that_does_not_hold_on_test_is_reported_as_such(space: Path, tmp_path: Path) -> None:
    # On test, three of four bereavements are worded so that the clause does not help: +0.33 F1 on dev, +0.10 on test.
    cases = dataset(test_bereavement="died", kept=1)
    result = await tune(cases, space, prompt_model(), budget=400, minibatch=8, out_dir=tmp_path)
    assert result.status == "finished" and not result.holds
    # Underpowered, not "no gain": the verdict says how large a gain 16 test cases could have confirmed.
    assert result.verdict.startswith("not confirmed (the test split can confirm gains of ")
    assert "or more): the dev gain of +0.33 F1 is +0.10 on test, 95% CI [0.00, " in result.verdict
    assert result.confirmation is not None and result.confirmation.detectable_gain > 0.1
    assert f"gains of {result.confirmation.detectable_gain:.2f} or more" in result.verdict
    assert "did not hold" not in result.verdict
    assert "McNemar exact p = 1 (1 test cases right only with the winner, 0 only with the start)" in result.verdict
    assert result.confirmation is not None and result.confirmation.comparison.fixed == ["test-loss-0"]
    html = (tmp_path / "tuning.html").read_text()
    assert 'class="verdict not-held"' in html and "not confirmed (the test split can confirm gains of" in html


async def test_a_gain_that_holds_is_reported_with_its_interval(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    result = await tune(cases, space, prompt_model(), budget=400, minibatch=8, out_dir=tmp_path)
    assert result.holds and result.confirmation is not None
    boot = result.confirmation.objective
    assert boot.difference == pytest.approx(1 / 3) and boot.low > 0
    assert result.confirmation.comparison.f1.difference == pytest.approx(boot.difference)  # F1 is the objective


async def test_when_nothing_beats_the_start_on_dev_the_start_stays(cases: list[EscalationCase], tmp_path: Path) -> None:
    space = write_space(tmp_path, SPACE_WITHOUT_CLAUSE)
    result = await tune(cases, space, prompt_model(), budget=400, minibatch=8, out_dir=tmp_path / "out")
    assert result.status == "finished" and result.best.id == result.start.id and not result.holds
    assert result.verdict.startswith("no candidate beat the starting prompt on dev (best: ")
    assert result.test_start is not None and result.test_winner is None and result.confirmation is None
    assert (tmp_path / "out" / "best_prompt.j2").exists()


async def test_the_objective_weighs_metrics_and_prompt_tokens(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    objective = Objective({"f1": 1.0, "expected_cost_per_case": 0.1}, token_penalty=0.001, tokenizer=_words)
    result = await tune(cases, space, prompt_model(), budget=400, minibatch=8, objective=objective, out_dir=tmp_path)
    for evaluation in result.search:
        metrics = evaluation.metrics
        expected = (metrics["f1"] or 0.0) - 0.1 * (metrics["expected_cost_per_case"] or 0.0)
        assert evaluation.quality == pytest.approx(expected)
        assert evaluation.objective == pytest.approx(expected - 0.001 * evaluation.prompt_tokens)
        assert evaluation.prompt_tokens == _words(result.builder.instructions(evaluation.candidate) + "\n" +
                                                  result.builder.tool_description(evaluation.candidate))  # fmt: skip
    assert "objective (f1 + 0.1*expected_cost_per_case - 0.001/prompt token)" in result.verdict
    assert "; F1 on test +0.33, 95% CI [" in result.verdict


def _words(text: str) -> int:
    return len(text.split())


def test_objective_text_and_directions() -> None:
    objective = Objective.parse("f1=2, expected_cost=0.5,kappa")
    assert dict(objective.weights) == {"f1": 2.0, "expected_cost_per_case": 0.5, "priority_kappa": 1.0}
    assert objective.describe() == "2*f1 + 0.5*expected_cost_per_case + priority_kappa"
    outcomes = _outcomes()
    assert objective.quality(outcomes) == pytest.approx(2 * f1(outcomes) - 0.5 * expected_cost_per_case(outcomes))
    with pytest.raises(ConfigError, match="unknown metrics \\['f2'\\]; it can weigh: f1, precision"):
        Objective.parse("f2")
    with pytest.raises(ConfigError, match="METRIC or METRIC=WEIGHT"):
        Objective.parse("f1=high")


def _outcomes() -> list[CaseOutcome]:
    def outcome(case_id: str, expected: bool, predicted: bool) -> CaseOutcome:
        priority = "high" if expected else None
        return CaseOutcome(case_id, 0, (), expected, priority, (), predicted, "high" if predicted else None, None,
                           False, 0.0, 0, 0, None)  # fmt: skip

    return [outcome("a", True, True), outcome("b", True, False), outcome("c", False, True), outcome("d", False, False)]


async def test_every_run_that_looks_at_test_is_counted_beside_the_runs(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    first = await tune(cases, space, prompt_model(), budget=400, minibatch=8, out_dir=tmp_path / "a")
    log = tmp_path / "test_split_uses.jsonl"
    assert first.test_uses == 1 and first.test_uses_log == log
    assert f"test split: used once by tuning runs so far ({log})" in "\n".join(summary_lines(first))
    again = await tune(cases, space, prompt_model(), budget=400, minibatch=8, out_dir=tmp_path / "a")  # resumed
    assert again.test_uses == 1
    second = await tune(cases, space, prompt_model(), budget=400, minibatch=8, out_dir=tmp_path / "b")
    assert second.test_uses == 2 and "test split: used 2 times by tuning runs" in "\n".join(summary_lines(second))
    lines = (tmp_path / "test_split_uses.jsonl").read_text().splitlines()
    assert len(lines) == 3 and all('"confirmed": true' in line for line in lines)
