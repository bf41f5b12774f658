"""Comparing runs: two runs over the same cases (McNemar's exact test, a paired bootstrap on F1, per-case flips),
and a run against thresholds (the CI gates).

Run A is the reference (a baseline, the old prompt), run B the candidate; differences are B - A. A case "flips"
when its majority-vote verdict over repeats (see ``agentkit.evals._stats``) differs between the runs: fixed
(wrong in A, right in B) or broken (right in A, wrong in B).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..exceptions import UserError
from ._metrics import per_tag_metrics
from ._stats import (
    McNemarResult,
    PairedBootstrapResult,
    correct_by_majority,
    mcnemar_exact,
    paired_bootstrap_difference,
)

if TYPE_CHECKING:
    from ._cache import CaseRecord
    from ._report import EvalRun

__all__ = [
    "METRIC_DIRECTIONS",
    "RunComparison",
    "compare_runs",
    "comparison_lines",
    "flat_metrics",
    "gate_failures",
    "split_thresholds",
]


@dataclass(frozen=True, slots=True)
class RunComparison:
    name_a: str
    name_b: str
    mcnemar: McNemarResult
    f1: PairedBootstrapResult
    metrics_a: dict[str, float | None]
    metrics_b: dict[str, float | None]
    fixed: list[str]
    broken: list[str]
    tag_accuracy_a: dict[str, float]
    tag_accuracy_b: dict[str, float]

    @property
    def significant(self) -> bool:
        """McNemar's p-value is under 0.05: A and B get different cases right more often than chance says."""
        return self.mcnemar.p_value < 0.05

    def to_json(self) -> dict[str, Any]:
        return {
            "name_a": self.name_a,
            "name_b": self.name_b,
            "mcnemar": asdict(self.mcnemar) | {"table": self.mcnemar.table},
            "f1_paired_bootstrap": asdict(self.f1) | {"confidence": 0.95},
            "metrics_a": self.metrics_a,
            "metrics_b": self.metrics_b,
            "fixed": self.fixed,
            "broken": self.broken,
            "tag_accuracy_a": self.tag_accuracy_a,
            "tag_accuracy_b": self.tag_accuracy_b,
        }


def compare_runs(run_a: EvalRun, run_b: EvalRun, *, n_resamples: int = 1000, seed: int = 0) -> RunComparison:
    """Compare two runs of the same cases (raises ``UserError`` naming the cases only one of them has)."""
    outcomes_a, outcomes_b = run_a.outcomes, run_b.outcomes
    mcnemar = mcnemar_exact(outcomes_a, outcomes_b)
    bootstrap = paired_bootstrap_difference(outcomes_a, outcomes_b, n_resamples=n_resamples, seed=seed)
    verdict_a, verdict_b = correct_by_majority(outcomes_a), correct_by_majority(outcomes_b)
    return RunComparison(
        name_a=_label(run_a),
        name_b=_label(run_b),
        mcnemar=mcnemar,
        f1=bootstrap,
        metrics_a=run_a.metrics(),
        metrics_b=run_b.metrics(),
        fixed=_flips(verdict_a, verdict_b, want_a=False),
        broken=_flips(verdict_a, verdict_b, want_a=True),
        tag_accuracy_a={tag: m.accuracy for tag, m in per_tag_metrics(outcomes_a).items()},
        tag_accuracy_b={tag: m.accuracy for tag, m in per_tag_metrics(outcomes_b).items()},
    )


def _label(run: EvalRun) -> str:
    # A run's folder (runs/prompt-v2) says more than its bot name, which two runs of one model share.
    return f"{run.out_dir.name} ({run.name})" if run.out_dir is not None else run.name


def _flips(verdict_a: dict[str, bool], verdict_b: dict[str, bool], *, want_a: bool) -> list[str]:
    case_ids: Sequence[str] = list(verdict_a)
    return [case for case in case_ids if verdict_a[case] == want_a and verdict_b[case] != want_a]


# --- the comparison as text ---------------------------------------------------------------------------------


def comparison_lines(comparison: Mapping[str, Any]) -> list[str]:
    """The comparison with a baseline run as text (also what ``agentkit eval compare`` prints)."""
    mcnemar, boot = comparison["mcnemar"], comparison["f1_paired_bootstrap"]
    a, b = comparison["metrics_a"], comparison["metrics_b"]
    lines = [f"compared with {comparison['name_a']} (A) -> {comparison['name_b']} (B), {mcnemar['n_cases']} cases"]
    for name in ("f1", "precision", "recall", "accuracy", "priority_exact_accuracy", "under_triage_rate"):
        lines.append(f"  {name:<26} {_number(a.get(name))} -> {_number(b.get(name))}  ({_delta(a, b, name)})")
    lines += [
        f"  F1 B-A {boot['difference']:+.3f}, 95 % paired bootstrap [{boot['low']:+.3f}, {boot['high']:+.3f}]",
        f"  McNemar exact p = {mcnemar['p_value']:.4g}: {mcnemar['only_a_correct']} cases right only in A, "
        f"{mcnemar['only_b_correct']} only in B (majority vote over repeats)",
        f"  fixed in B: {_ids(comparison['fixed'])}",
        f"  broken in B: {_ids(comparison['broken'])}",
    ]
    return lines


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _delta(a: Mapping[str, Any], b: Mapping[str, Any], name: str) -> str:
    if a.get(name) is None or b.get(name) is None:
        return "n/a"
    return f"{b[name] - a[name]:+.3f}"


def _ids(case_ids: Sequence[str], shown: int = 8) -> str:
    if not case_ids:
        return "none"
    more = f" ... (+{len(case_ids) - shown})" if len(case_ids) > shown else ""
    return ", ".join(case_ids[:shown]) + more


# --- gates: a run against thresholds ---------------------------------------------------------------------------

_HIGHER, _LOWER = "higher", "lower"
METRIC_DIRECTIONS: Mapping[str, str] = {
    "f1": _HIGHER,
    "precision": _HIGHER,
    "recall": _HIGHER,
    "accuracy": _HIGHER,
    "specificity": _HIGHER,
    "priority_exact_accuracy": _HIGHER,
    "priority_within_one_accuracy": _HIGHER,
    "priority_kappa": _HIGHER,
    "decision_kappa": _HIGHER,
    "under_triage_rate": _LOWER,
    "conditional_under_triage_rate": _LOWER,
    "over_triage_rate": _LOWER,
    "right_decision_and_priority_rate": _HIGHER,
    "non_escalation_pass_rate": _HIGHER,
    "precision_at_prevalence": _HIGHER,
    "f1_at_prevalence": _HIGHER,
    "silence_after_handoff_rate": _HIGHER,
    "non_empty_reason_rate": _HIGHER,
    "error_rate": _LOWER,
    "expected_cost_per_case": _LOWER,
    "cost_usd": _LOWER,
    "latency_p50_s": _LOWER,
    "latency_p95_s": _LOWER,
}
"""The metrics gates and ``EvalRun.check`` know, and which way is better; ``pass_hat_K`` / ``pass_at_K`` too."""


def flat_metrics(summary: Mapping[str, Any], records: Sequence[CaseRecord]) -> dict[str, float | None]:
    """The headline numbers of a ``summarize`` dict under flat names (those of ``METRIC_DIRECTIONS``)."""
    decision, priority, handoff = summary["decision"], summary["priority"], summary["handoff"]
    metrics: dict[str, float | None] = {
        n: decision[n] for n in ("f1", "precision", "recall", "accuracy", "specificity")
    }
    metrics |= {
        "priority_exact_accuracy": priority["exact_accuracy"],
        "priority_within_one_accuracy": priority["within_one_accuracy"],
        "priority_kappa": priority["quadratic_kappa"],
        "decision_kappa": summary["decision_kappa"],
        "under_triage_rate": summary["triage"]["under_triage_rate"],
        "conditional_under_triage_rate": priority["conditional_under_triage_rate"],
        "over_triage_rate": priority["over_triage_rate"],
        "right_decision_and_priority_rate": summary["triage"]["right_decision_and_priority_rate"],
        "non_escalation_pass_rate": summary["non_escalation"]["pass_rate"],
        "precision_at_prevalence": summary["at_prevalence"]["precision"],
        "f1_at_prevalence": summary["at_prevalence"]["f1"],
        "silence_after_handoff_rate": handoff["silence_after_handoff_rate"],
        "non_empty_reason_rate": handoff["non_empty_reason_rate"],
        "error_rate": summary["n_errors"] / summary["n_records"] if summary["n_records"] else 0.0,
        "expected_cost_per_case": summary["expected_cost_per_case"],
        "cost_usd": sum(r.cost_usd for r in records),
        "latency_p50_s": summary["latency_s"]["p50"],
        "latency_p95_s": summary["latency_s"]["p95"],
    }
    metrics |= {f"pass_hat_{k}": value for k, value in summary["pass_hat_k"].items()}
    return metrics | {f"pass_at_{k}": value for k, value in summary["pass_at_k"].items()}


def direction(metric: str) -> str:
    if metric in METRIC_DIRECTIONS:
        return METRIC_DIRECTIONS[metric]
    if metric.startswith(("pass_hat_", "pass_at_")):
        return _HIGHER
    known = ", ".join([*METRIC_DIRECTIONS, "pass_hat_K", "pass_at_K"])
    raise UserError(f"unknown metric {metric!r}; gates know: {known}")


def split_thresholds(thresholds: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """(minimums, maximums): each threshold is a minimum for a higher-is-better metric, else a maximum."""
    under = {name: value for name, value in thresholds.items() if direction(name) == _HIGHER}
    return under, {name: value for name, value in thresholds.items() if name not in under}


def gate_failures(
    metrics: Mapping[str, float | None],
    fail_under: Mapping[str, float] | None = None,
    fail_over: Mapping[str, float] | None = None,
) -> list[str]:
    """One message per broken gate: a metric below its ``fail_under`` minimum or above its ``fail_over`` maximum."""
    failures = []
    for limits, below in ((fail_under or {}, True), (fail_over or {}, False)):
        for name, limit in limits.items():
            direction(name)  # an unknown name is a typo: say so rather than pass silently
            value = metrics.get(name)
            bound = "minimum" if below else "maximum"
            if value is None:
                failures.append(
                    f"{name} is undefined for this run (see the report), so it cannot meet the {bound} {limit}"
                )
            elif (value < limit) if below else (value > limit):
                failures.append(f"{name} = {value:.4f} is {'below' if below else 'above'} the {bound} {limit}")
    return failures
