"""The reports: every number in report.json equals scikit-learn's on the report's own per-case results; the schema
matches its documentation; the HTML is self-contained and escapes what cases and models wrote; gates name metrics."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)

from agentkit.evals import EscalationCase
from agentkit.evals._compare import gate_failures
from agentkit.evals._report import INTERVAL_METRICS, EvalRun, terminal_summary
from agentkit.evals._runner import EvalBot, run_eval
from agentkit.evals._stats import bootstrap_interval
from agentkit.exceptions import UserError
from agentkit.models import FunctionModel, Message, ModelResponse, ToolSpecSource, call

from .runner_fakes import last_user_text, make_case

LEVELS = ["low", "medium", "high", "urgent"]
SCHEMA_DOC = Path(__file__).resolve().parents[2] / "agentkit" / "evals" / "REPORT_SCHEMA.md"


def noisy_model() -> FunctionModel:
    """Decides from a hash of the text and how often it was asked: every confusion cell, priority and repeat
    disagreement shows up, and a few cases fail with an error."""
    seen: Counter[str] = Counter()

    def fn(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
        text = last_user_text(messages)
        seen[text] += 1
        digest = int(hashlib.sha256(f"{text}/{seen[text]}".encode()).hexdigest(), 16)
        if digest % 41 == 0:
            raise RuntimeError("flaky endpoint")
        if digest % 3 == 0:
            return "I can help with that."
        return call("handToSupport", reason=f"reason {digest % 7}", priority=LEVELS[digest % 4])

    return FunctionModel(fn, name="noisy")


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory, shipped_cases: list[EscalationCase]) -> Path:
    folder = tmp_path_factory.mktemp("noisy")
    run = asyncio.run(run_eval(shipped_cases, EvalBot(noisy_model()), repeats=2, out_dir=folder, progress=False))
    run.write_reports()
    return folder


@pytest.fixture(scope="module")
def report(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "report.json").read_text())


def decision_scores(results: list[dict[str, Any]]) -> dict[str, float]:
    y_true = [r["expected_escalate"] for r in results]
    y_pred = [r["predicted_escalate"] for r in results]
    return {
        "f1": f1_score(y_true, y_pred, zero_division=0),
        "precision": precision_score(y_true, y_pred, zero_division=0),
        "recall": recall_score(y_true, y_pred, zero_division=0),
        "accuracy": accuracy_score(y_true, y_pred),
        "specificity": recall_score(y_true, y_pred, pos_label=False, zero_division=0),
    }


def test_decision_metrics_equal_sklearn(report: dict[str, Any]) -> None:
    results = report["results"]
    assert len(results) == report["metrics"]["n_records"] == 2 * report["metrics"]["n_cases"]
    assert 0 < report["metrics"]["n_errors"] == sum(r["error"] is not None for r in results)
    expected = decision_scores(results)
    for name, value in expected.items():
        assert report["headline"][name] == pytest.approx(value), name
        assert report["metrics"]["decision"][name] == pytest.approx(value), name
    y_true = [r["expected_escalate"] for r in results]
    y_pred = [r["predicted_escalate"] for r in results]
    matrix = confusion_matrix(y_true, y_pred, labels=[False, True]).tolist()
    assert report["metrics"]["decision"]["confusion_matrix"] == matrix


def test_per_tag_metrics_equal_sklearn(report: dict[str, Any]) -> None:
    tags = sorted({tag for r in report["results"] for tag in r["tags"]})
    assert list(report["metrics"]["per_tag"]) == tags
    for tag in tags:
        subset = [r for r in report["results"] if tag in r["tags"]]
        got = report["metrics"]["per_tag"][tag]
        assert got["n"] == len(subset)
        for name, value in decision_scores(subset).items():
            assert got[name] == pytest.approx(value), (tag, name)


def test_priority_metrics_equal_sklearn(report: dict[str, Any]) -> None:
    graded = [
        r for r in report["results"]
        if r["expected_escalate"] and r["predicted_escalate"] and r["expected_priority"] is not None
    ]  # fmt: skip
    assert report["metrics"]["priority"]["n"] == len(graded)
    expected = [r["expected_priority"] for r in graded]
    predicted = [r["predicted_priority"] for r in graded]
    kappa = cohen_kappa_score(expected, predicted, labels=LEVELS, weights="quadratic")
    assert report["headline"]["priority_kappa"] == pytest.approx(kappa)
    # an acceptable priority counts as exact: grade against the accepted one the prediction hit, if any
    accepted = [p if p in {r["expected_priority"], *r["acceptable_priorities"]} else e
                for r, e, p in zip(graded, expected, predicted, strict=True)]  # fmt: skip
    assert report["headline"]["priority_exact_accuracy"] == pytest.approx(accuracy_score(accepted, predicted))
    matrix = confusion_matrix(expected, predicted, labels=[*LEVELS, "none"])[:4].tolist()
    assert report["priority_confusion"]["matrix"] == matrix


def test_latency_tokens_and_cost_equal_numpy(report: dict[str, Any]) -> None:
    results = report["results"]
    latencies = [r["latency_s"] for r in results]
    assert report["headline"]["latency_p95_s"] == pytest.approx(np.percentile(latencies, 95))
    assert report["metrics"]["latency_s"]["p50"] == pytest.approx(np.median(latencies))
    assert report["metrics"]["tokens"]["input_total"] == sum(r["input_tokens"] for r in results)
    assert report["headline"]["error_rate"] == pytest.approx(np.mean([r["error"] is not None for r in results]))
    assert report["headline"]["cost_usd"] == pytest.approx(sum(r["cost_usd"] for r in results))


def test_intervals_bracket_the_estimates(report: dict[str, Any]) -> None:
    intervals = report["intervals"]
    assert (intervals["confidence"], intervals["n_resamples"], intervals["unit"]) == (0.95, 1000, "case")
    for name in ("f1", "precision", "recall", "accuracy"):
        low, high = intervals[name]
        assert low <= report["headline"][name] <= high and high - low < 0.3, name


def test_intervals_equal_separate_bootstraps_of_each_metric(report_dir: Path) -> None:
    run = EvalRun.load(report_dir)
    intervals = run.intervals(n_resamples=200, seed=7)
    for name, metric in INTERVAL_METRICS.items():
        alone = bootstrap_interval(run.outcomes, metric, n_resamples=200, seed=7)
        assert intervals[name] == pytest.approx(list(alone)), name
    assert run.intervals(n_resamples=200, seed=7) is intervals  # computed once per run


def test_the_schema_is_documented_field_by_field(report: dict[str, Any]) -> None:
    doc = SCHEMA_DOC.read_text()
    assert report["schema_version"] == 2 and "schema_version" in doc
    documented = set(re.findall(r"^\| `([a-z_0-9.]+)`", doc, re.M))
    assert set(report) <= documented, set(report) - documented
    assert {f"results.{field}" for field in report["results"][0]} <= documented
    assert {f"headline.{field}" for field in report["headline"] if not field.startswith("pass_")} <= documented
    assert {f"config.{field}" for field in report["config"]} <= documented


def test_results_jsonl_and_report_agree_and_the_run_loads_back(report_dir: Path, report: dict[str, Any]) -> None:
    lines = [json.loads(line) for line in (report_dir / "results.jsonl").read_text().splitlines()]
    assert sorted(lines, key=lambda r: (r["case_id"], r["repeat"])) == sorted(
        report["results"], key=lambda r: (r["case_id"], r["repeat"])
    )
    loaded = EvalRun.load(report_dir)
    assert loaded.metrics() == report["headline"]
    assert len(loaded.cases) == report["metrics"]["n_cases"]


def test_summary_txt_shows_the_headline(report_dir: Path, report: dict[str, Any]) -> None:
    text = (report_dir / "summary.txt").read_text()
    assert f"f1 {report['headline']['f1']:.3f}" in text and "x 2 repeats" in text
    assert text.strip() == terminal_summary(report).strip()


def test_the_html_is_self_contained(report_dir: Path, report: dict[str, Any]) -> None:
    html = (report_dir / "report.html").read_text()
    assert html.lower().count("<script") == 1 and "<script src" not in html.lower()  # only the inline case filter
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", html), "the page must not load anything"
    assert "url(" not in html and "@import" not in html
    assert html.count("<svg") >= 5  # interval bars and the per-tag chart
    matrix = report["metrics"]["decision"]["confusion_matrix"]
    assert f"TP {matrix[1][1]}" in html and f"FN {matrix[1][0]}" in html
    assert "Failing cases" in html and "flaky endpoint" in html


async def test_the_html_escapes_what_cases_and_models_wrote(tmp_path: Path) -> None:
    case = make_case("xss-1", "<script>alert('case')</script> get me a human", True, "medium", ("explicit_request",))
    model = FunctionModel(lambda m, t: call("handToSupport", reason="<img src=x onerror=alert(1)>", priority="low"))
    run = await run_eval([case], EvalBot(model), out_dir=tmp_path, progress=False)
    run.write_reports()
    html = (tmp_path / "report.html").read_text()
    assert "<script>alert" not in html and html.count("<script") == 1 and "<img" not in html  # 1: the case filter
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x" in html


async def test_check_names_every_failing_metric(small_cases: list[EscalationCase]) -> None:
    from .runner_fakes import keyword_model_fn

    run = await run_eval(small_cases, EvalBot(FunctionModel(keyword_model_fn)), progress=False)
    assert run.metrics()["f1"] == pytest.approx(0.75)
    run.check(f1=0.7, recall=0.7, under_triage_rate=0.5)  # holds: no error
    with pytest.raises(AssertionError) as failure:
        run.check(f1=0.9, recall=0.7, precision=0.8)
    message = str(failure.value)
    assert "f1 = 0.7500 is below the minimum 0.9" in message and "precision" in message
    assert "recall" not in message
    with pytest.raises(UserError, match="unknown metric 'f_one'"):
        run.check(f_one=0.9)


def test_gate_failures_cover_both_directions_and_undefined_values() -> None:
    metrics = {"f1": 0.8, "under_triage_rate": 0.1, "priority_kappa": None}
    assert gate_failures(metrics, {"f1": 0.8}, {"under_triage_rate": 0.1}) == []
    failures = gate_failures(metrics, {"f1": 0.81, "priority_kappa": 0.5}, {"under_triage_rate": 0.05})
    assert [f.split(" ")[0] for f in failures] == ["f1", "priority_kappa", "under_triage_rate"]
    assert "undefined" in failures[1] and "above the maximum 0.05" in failures[2]
