"""``EvalRun`` and its reports: the JSON report, the progress bar and the summary in the terminal.

The HTML page is ``_report_html``; metric names, gates and comparisons are ``_compare``.

The JSON report's schema is documented in ``REPORT_SCHEMA.md`` next to this file; bump ``REPORT_SCHEMA_VERSION`` when a
field changes meaning or disappears (adding a field does not bump it).
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO

from ..exceptions import UserError
from ._cache import CaseRecord, read_records
from ._cases import EscalationCase, dump_cases, load_cases
from ._compare import (
    RunComparison,
    compare_runs,
    comparison_lines,
    flat_metrics,
    gate_failures,
    split_thresholds,
)
from ._metrics import (
    DEFAULT_COSTS,
    DEFAULT_PREVALENCE,
    PRIORITY_LEVELS,
    CaseOutcome,
    DecisionCounts,
    EscalationCosts,
    accuracy,
    decision_counts,
    f1,
    percentile,
    precision,
    recall,
    summarize,
)
from ._splits import split_headlines
from ._stats import bootstrap_interval

__all__ = ["REPORT_SCHEMA_VERSION", "EvalRun", "ProgressBar", "terminal_summary"]

REPORT_SCHEMA_VERSION = 2  # 2: under_triage_rate counts missed escalations
INTERVAL_METRICS: dict[str, Callable[[Sequence[CaseOutcome]], float]] = {
    "f1": f1, "precision": precision, "recall": recall, "accuracy": accuracy,
}  # fmt: skip
"""The metrics the report gives bootstrap intervals for (their names are ``DecisionCounts`` properties too)."""


@dataclass
class EvalRun:
    """The records of one eval run (one per case and repeat), its configuration, and the cases it ran."""

    config: dict[str, Any]
    cases: list[EscalationCase]
    records: list[CaseRecord]
    out_dir: Path | None = None
    costs: EscalationCosts = field(default=DEFAULT_COSTS)
    prevalence: float = DEFAULT_PREVALENCE
    agreement: list[dict[str, Any]] | None = None  # the labellers' kappas (``agentkit.evals._agreement``), if known
    _intervals: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict, init=False, repr=False)

    @property
    def outcomes(self) -> list[CaseOutcome]:
        return [record.outcome for record in self.records]

    @property
    def name(self) -> str:
        return str(self.config.get("bot", {}).get("name") or (self.out_dir.name if self.out_dir else "run"))

    @cached_property
    def summary(self) -> dict[str, Any]:
        """Every metric of ``summarize``, as in the JSON report's ``metrics``."""
        return summarize(self.outcomes, costs=self.costs, prevalence=self.prevalence)

    def per_split(self) -> dict[str, Any]:
        """The headline numbers per split, each with the always- and never-escalate baselines on that split."""
        return split_headlines(self.outcomes, {case.id: case.split for case in self.cases}, self.prevalence)

    def metrics(self) -> dict[str, float | None]:
        """The headline metrics by flat name: ``f1``, ``recall``, ``under_triage_rate``, ``pass_hat_3``, ..."""
        return flat_metrics(self.summary, self.records)

    def check(self, **thresholds: float) -> None:
        """Raise ``AssertionError`` naming each metric on the wrong side of its threshold, for CI in pytest.

        A threshold is a minimum for a metric where higher is better (``f1=0.9``) and a maximum where lower is
        better (``under_triage_rate=0.05``); ``agentkit.evals.METRIC_DIRECTIONS`` says which.
        """
        failures = gate_failures(self.metrics(), *split_thresholds(thresholds))
        if failures:
            raise AssertionError(f"eval {self.name}: " + "; ".join(failures))

    def intervals(self, *, n_resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
        """Percentile bootstrap 95 % intervals of F1, precision, recall and accuracy, resampling cases."""
        if (n_resamples, seed) not in self._intervals:
            self._intervals[n_resamples, seed] = decision_intervals(self.outcomes, n_resamples, seed)
        return self._intervals[n_resamples, seed]

    def report(self, baseline: EvalRun | None = None) -> dict[str, Any]:
        """The JSON report (REPORT_SCHEMA.md); ``baseline`` adds the comparison with an earlier run."""
        return self._report(compare_runs(baseline, self) if baseline is not None else None)

    def _report(self, comparison: RunComparison | None) -> dict[str, Any]:
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "generated_at": datetime.now(UTC).isoformat(),
            "agentkit_version": _version(),
            "config": self.config | {"prevalence": self.prevalence},
            "headline": self.metrics(),
            "per_split": self.per_split(),
            "agreement": self.agreement,
            "intervals": self.intervals(),
            "metrics": self.summary,
            "priority_confusion": priority_confusion(self.outcomes),
            "results": [record.to_json() for record in self.records],
            "comparison": comparison.to_json() if comparison is not None else None,
        }

    def write_reports(self, out_dir: str | Path | None = None, baseline: EvalRun | None = None) -> dict[str, Path]:
        """Write report.json, report.html and summary.txt (and results.jsonl if the run had no out_dir)."""
        folder = Path(out_dir) if out_dir is not None else self.out_dir
        if folder is None:
            raise UserError("write_reports needs a folder: pass out_dir=, or run the eval with out_dir=")
        folder.mkdir(parents=True, exist_ok=True)
        report = self.report(baseline)
        paths = {name: folder / name for name in ("report.json", "report.html", "summary.txt", "results.jsonl")}
        paths["report.json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        from ._report_html import render_html  # the HTML module is the heaviest; load it only when writing

        paths["report.html"].write_text(render_html(report, self.cases), encoding="utf-8")
        paths["summary.txt"].write_text(terminal_summary(report) + "\n", encoding="utf-8")
        if self.out_dir is None or folder.resolve() != self.out_dir.resolve():
            lines = [json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in self.records]
            paths["results.jsonl"].write_text("".join(lines), encoding="utf-8")
            dump_cases(self.cases, folder / "cases.jsonl")
        return paths

    @classmethod
    def load(cls, folder: str | Path) -> EvalRun:
        """A run written earlier (results.jsonl, and cases.jsonl / report.json when present)."""
        folder = Path(folder)
        latest = {(r.outcome.case_id, r.outcome.repeat): r for r in read_records(folder / "results.jsonl")}
        if not latest:
            raise UserError(f"{folder} holds no eval results (results.jsonl); give the --out folder of a run")
        cases = load_cases(folder / "cases.jsonl") if (folder / "cases.jsonl").exists() else []
        report = folder / "report.json"
        config = json.loads(report.read_text(encoding="utf-8"))["config"] if report.exists() else {}
        order = {case.id: index for index, case in enumerate(cases)}
        records = sorted(latest.values(), key=lambda r: (order.get(r.outcome.case_id, len(order)), r.outcome.repeat))
        return cls(config, cases, records, folder)


def decision_intervals(outcomes: Sequence[CaseOutcome], n_resamples: int, seed: int) -> dict[str, Any]:
    """The intervals of ``INTERVAL_METRICS`` from one bootstrap pass.

    All four come from each resample's confusion counts, so the cases are drawn once rather than four times; the
    draws are those of ``bootstrap_interval`` with the same seed, so each interval equals what it gives alone.
    """
    counts: list[DecisionCounts] = []

    def f1_keeping_counts(records: Sequence[CaseOutcome]) -> float:
        counts.append(decision_counts(records))
        return counts[-1].f1

    bootstrap_interval(outcomes, f1_keeping_counts, n_resamples=n_resamples, seed=seed, confidence=0.95)
    bounds = {}
    for name in INTERVAL_METRICS:
        values = sorted(getattr(c, name) for c in counts)
        bounds[name] = [percentile(values, 2.5), percentile(values, 97.5)]
    return {"confidence": 0.95, "n_resamples": n_resamples, "seed": seed, "unit": "case"} | bounds


def priority_confusion(outcomes: Sequence[CaseOutcome]) -> dict[str, Any]:
    """Expected priority (rows) against predicted (columns, plus "none") over records where both escalate."""
    columns = [*PRIORITY_LEVELS, "none"]
    matrix = [[0] * len(columns) for _ in PRIORITY_LEVELS]
    for o in outcomes:
        if o.expected_escalate and o.predicted_escalate and o.expected_priority is not None:
            column = columns.index(o.predicted_priority or "none")
            matrix[PRIORITY_LEVELS.index(o.expected_priority)][column] += 1
    return {"rows": list(PRIORITY_LEVELS), "columns": columns, "matrix": matrix}


def _version() -> str:
    try:
        return importlib.metadata.version("agentkit")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --- the terminal: progress while running, the summary after -----------------------------------------------


class ProgressBar:
    """A one-line progress bar on stderr; on a pipe or a file, a plain line every 10 % instead of redraws."""

    def __init__(self, total: int, *, done: int = 0, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.total, self.done, self.failed = total, done, 0
        self.enabled = enabled and total > 0
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty()
        self._started, self._drawn_at, self._first = time.perf_counter(), 0.0, done
        self._last_decile = done * 10 // max(total, 1)

    def advance(self, *, failed: bool = False) -> None:
        self.done += 1
        self.failed += failed
        if not self.enabled:
            return
        now = time.perf_counter()
        decile = self.done * 10 // self.total
        if self.interactive and (now - self._drawn_at >= 0.1 or self.done == self.total):
            self._drawn_at = now
            self.stream.write("\r" + self.line())
        elif not self.interactive and decile > self._last_decile:
            self._last_decile = decile
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def line(self) -> str:
        width = 24
        filled = width * self.done // max(self.total, 1)
        elapsed = time.perf_counter() - self._started
        rate = (self.done - self._first) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        bar = "#" * filled + "." * (width - filled)
        return f"eval [{bar}] {self.done}/{self.total} {rate:.1f}/s errors {self.failed} eta {eta:.0f}s "

    def close(self) -> None:
        if self.enabled and self.interactive:
            self.stream.write("\r" + self.line() + "\n")
            self.stream.flush()


# --- the terminal summary ------------------------------------------------------------------------------------


def terminal_summary(report: Mapping[str, Any]) -> str:
    """The report as a few lines of text: what ran, the headline metrics with intervals, tags, comparison."""
    lines = _header(report) + _decision_lines(report) + _agreement_lines(report) + _split_lines(report)
    lines += _tag_lines(report)
    if report.get("comparison"):
        lines += ["", *comparison_lines(report["comparison"])]
    return "\n".join(lines)


def _header(report: Mapping[str, Any]) -> list[str]:
    config, metrics = report["config"], report["metrics"]
    bot = config.get("bot", {})
    cache = config.get("cache")
    cached = f" · cache {cache['hits']} hits, {cache['misses']} misses" if cache else ""
    return [
        f"agentkit eval · {bot.get('name', '?')} · model {bot.get('model', '?')} · prompt {bot.get('prompt') or '-'}",
        f"{metrics['n_cases']} cases x {_plural(config.get('repeats', 1), 'repeat')} = {metrics['n_records']} runs · "
        f"{metrics['n_errors']} errors · {config.get('wall_time_s', 0.0):.1f} s{cached}",
    ]


def _decision_lines(report: Mapping[str, Any]) -> list[str]:
    head, ci, metrics = report["headline"], report["intervals"], report["metrics"]
    matrix = metrics["decision"]["confusion_matrix"]
    with_ci = "  ".join(f"{n} {head[n]:.3f} [{ci[n][0]:.3f}, {ci[n][1]:.3f}]" for n in INTERVAL_METRICS)
    tokens, quiet = metrics["tokens"], metrics["non_escalation"]
    prevalence = report["config"].get("prevalence", metrics["at_prevalence"]["prevalence"])
    return [
        "",
        f"escalation  {with_ci}",
        f"            TP {matrix[1][1]}  FP {matrix[0][1]}  FN {matrix[1][0]}  TN {matrix[0][0]}  "
        f"specificity {head['specificity']:.3f}  (95 % bootstrap intervals over cases)",
        f"at a {_percent(prevalence)} real escalation rate  precision {head['precision_at_prevalence']:.3f}  "
        f"F1 {head['f1_at_prevalence']:.3f}  (re-weighted: this set is balanced for measurement, traffic is not)",
        f"triage      escalated with an accepted priority {head['right_decision_and_priority_rate']:.3f} of "
        f"escalation cases  under-triage {head['under_triage_rate']:.3f} (misses counted; "
        f"{head['conditional_under_triage_rate']:.3f} among the escalated)",
        f"priority    exact {head['priority_exact_accuracy']:.3f}  within one "
        f"{head['priority_within_one_accuracy']:.3f}  kappa {_number(head['priority_kappa'])}  over-triage "
        f"{head['over_triage_rate']:.3f}  (n={metrics['priority']['n']} escalated right)",
        f"no handoff  passed {head['non_escalation_pass_rate']:.3f} of don't-escalate cases ({quiet['escalated']} "
        f"escalated, {quiet['silent']} silent, {quiet['promised_human']} promised a person without handing over)",
        f"handoff     silent after handoff {head['silence_after_handoff_rate']:.3f}  reason given "
        f"{head['non_empty_reason_rate']:.3f}  expected cost/case {head['expected_cost_per_case']:.3f}",
        f"usage       tokens in {tokens['input_total']} out {tokens['output_total']}  ${head['cost_usd']:.4f}  "
        f"latency p50 {head['latency_p50_s']:.3f} s p95 {head['latency_p95_s']:.3f} s",
    ]


def _agreement_lines(report: Mapping[str, Any]) -> list[str]:
    pairs = report.get("agreement") or []
    lines = [f"labellers   the ceiling to hold a model to: this run's decision kappa against the labels is "
             f"{_number(report['headline'].get('decision_kappa'))}"] if pairs else []  # fmt: skip
    for pair in pairs:
        a, b = pair["labellers"]
        lines.append(
            f"            {a} vs {b}: decision kappa {_number(pair['decision_kappa'])} over {pair['n_cases']} cases, "
            f"priority kappa ({pair['priority_weights']}) {_number(pair['priority_kappa'])} over {pair['n_priority']}"
        )
    return lines


def _split_lines(report: Mapping[str, Any]) -> list[str]:
    splits = report.get("per_split") or {}
    lines = ["", "split   cases   F1 (always / never escalate)   recall   F1 at prevalence   under-triage"]
    for split, numbers in splits.items():
        run, baselines = numbers["run"], numbers["baselines"]
        always, never = baselines["always-escalate"], baselines["never-escalate"]
        lines.append(
            f"{split:<7} {numbers['n_cases']:>5}   {run['f1']:.3f} ({always['f1']:.3f} / {never['f1']:.3f})"
            f"{'':<13}{run['recall']:.3f}    {run['f1_at_prevalence']:.3f} ({always['f1_at_prevalence']:.3f})"
            f"      {run['under_triage_rate']:.3f}"
        )
    return lines if splits else []


def _percent(share: float) -> str:
    return f"{share * 100:g} %"


def _tag_lines(report: Mapping[str, Any]) -> list[str]:
    lines = ["", "tag                    records  right   (share of correct escalation decisions)"]
    for tag, m in sorted(report["metrics"]["per_tag"].items(), key=lambda item: item[1]["accuracy"]):
        lines.append(f"{tag:<22} {m['n']:>7}  {m['accuracy']:.3f}")
    return lines


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
