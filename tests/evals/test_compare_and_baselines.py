"""Comparing runs (cross-checked with statsmodels), and the three baselines."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from statsmodels.stats.contingency_tables import mcnemar

from agentkit.evals import EscalationCase
from agentkit.evals._baselines import BASELINES, baseline_bot, baseline_table, run_baseline_suite
from agentkit.evals._compare import compare_runs
from agentkit.evals._report import EvalRun
from agentkit.evals._runner import EvalBot, run_eval
from agentkit.exceptions import UserError
from agentkit.models import FunctionModel

from .runner_fakes import keyword_model_fn


def run_of(cases: list[EscalationCase], bot: EvalBot, **options: object) -> EvalRun:
    return asyncio.run(run_eval(cases, bot, progress=False, **options))  # type: ignore[arg-type]


def test_offline_against_never_escalate_matches_statsmodels(shipped_cases: list[EscalationCase]) -> None:
    never, offline = run_of(shipped_cases, baseline_bot("never-escalate")), run_of(shipped_cases, EvalBot("offline"))
    comparison = compare_runs(never, offline)
    table = comparison.mcnemar.table
    assert comparison.mcnemar.p_value == pytest.approx(mcnemar(table, exact=True).pvalue)
    assert comparison.f1.difference == pytest.approx(offline.metrics()["f1"] - never.metrics()["f1"])
    assert comparison.f1.low <= comparison.f1.difference <= comparison.f1.high
    assert len(comparison.fixed) == comparison.mcnemar.only_b_correct
    assert len(comparison.broken) == comparison.mcnemar.only_a_correct
    by_id = {o.case_id: o for o in offline.outcomes}
    assert all(by_id[case].expected_escalate and by_id[case].predicted_escalate for case in comparison.fixed)
    assert comparison.significant


def test_flips_are_per_case_by_majority_vote(small_cases: list[EscalationCase]) -> None:
    keyword = run_of(small_cases, EvalBot(FunctionModel(keyword_model_fn)), repeats=3)
    never = run_of(small_cases, baseline_bot("never-escalate"), repeats=3)
    comparison = compare_runs(never, keyword)
    assert comparison.fixed == ["person-1", "person-2", "fraud-1"]  # the keyword model's true positives
    assert comparison.broken == ["trap"]  # its false positive
    json = comparison.to_json()
    assert json["mcnemar"]["table"] == [[3, 1], [3, 1]]


def test_runs_of_different_cases_cannot_be_compared(small_cases: list[EscalationCase]) -> None:
    a = run_of(small_cases[:4], EvalBot("offline"))
    b = run_of(small_cases, EvalBot("offline"))
    with pytest.raises(UserError, match="different cases"):
        compare_runs(a, b)


def test_the_html_shows_the_comparison(small_cases: list[EscalationCase], tmp_path: Path) -> None:
    never = run_of(small_cases, baseline_bot("never-escalate"))
    keyword = run_of(small_cases, EvalBot(FunctionModel(keyword_model_fn)), out_dir=tmp_path / "kw")
    keyword.write_reports(baseline=never)
    html = (tmp_path / "kw" / "report.html").read_text()
    assert "Compared with never-escalate" in html and "McNemar exact p" in html
    assert "<code>person-1</code>" in html  # a fixed case is listed
    report = keyword.report(baseline=never)
    assert report["comparison"]["broken"] == ["trap"]


def test_baselines_score_what_arithmetic_says(shipped_cases: list[EscalationCase]) -> None:
    positives = sum(c.expected.escalate for c in shipped_cases) / len(shipped_cases)
    always = run_of(shipped_cases, baseline_bot("always-escalate")).metrics()
    assert always["recall"] == 1.0 and always["precision"] == pytest.approx(positives)
    assert always["f1"] == pytest.approx(2 * positives / (1 + positives))
    never = run_of(shipped_cases, baseline_bot("never-escalate")).metrics()
    assert never["recall"] == 0.0 and never["f1"] == 0.0 and never["accuracy"] == pytest.approx(1 - positives)
    medium = [c for c in shipped_cases if c.expected.escalate]
    exact = sum("medium" in c.expected.accepted for c in medium) / len(medium)
    assert always["priority_exact_accuracy"] == pytest.approx(exact)


def test_the_suite_writes_each_baseline_and_a_markdown_table(
    shipped_cases: list[EscalationCase], tmp_path: Path
) -> None:
    runs = asyncio.run(run_baseline_suite(shipped_cases, tmp_path))
    assert list(runs) == list(BASELINES)
    for name in BASELINES:
        assert (tmp_path / name / "report.html").exists() and (tmp_path / name / "results.jsonl").exists()
    table = baseline_table(runs)
    lines = table.splitlines()
    assert lines[0].startswith("| split | baseline | F1 [95% CI] | precision | recall | F1 at prevalence |")
    rows = [line.split(" | ")[:2] for line in lines[2:14]]
    splits = ["train", "dev", "test", "all"]
    assert rows == [[f"| {split}", name] for split in splits for name in BASELINES]  # baselines side by side
    never = next(line for line in lines if line.startswith("| test | never-escalate |"))
    assert never.count("| 0.000 ") >= 3 and "| 1.000 |" in never  # no recall; every don't-escalate case passes
    assert f"{len(shipped_cases)} cases" in table
    with pytest.raises(ValueError, match="unknown baseline"):
        baseline_bot("coin-flip")
