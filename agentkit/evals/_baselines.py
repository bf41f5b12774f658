"""Baselines every escalation eval should beat: always escalate, never escalate, and the offline rule model.

All three go through the normal runner, so their numbers are computed exactly like a real model's. The trivial
ones show what a metric is worth on this dataset: always escalating has perfect recall and the base rate as
precision; never escalating has zero recall and the share of non-escalation cases as accuracy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..handoff import HANDOFF_TOOL_NAME
from ..models import FunctionModel, Message, ModelResponse, ToolSpecSource, call
from ._cases import EscalationCase
from ._metrics import DEFAULT_PREVALENCE
from ._report import EvalRun
from ._runner import EvalBot, run_eval

__all__ = ["BASELINES", "baseline_bot", "baseline_table", "run_baseline_suite"]

BASELINES = ("always-escalate", "never-escalate", "offline")


def _always_escalate(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse:
    return call(HANDOFF_TOOL_NAME, reason="Baseline: every conversation goes to a person", priority="medium")


def _never_escalate(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
    return "Baseline: I can help you with that right here."


def baseline_bot(name: str) -> EvalBot:
    """The bot of a baseline in ``BASELINES``, with the shipped prompt and handoff tool."""
    if name == "always-escalate":
        return EvalBot(FunctionModel(_always_escalate, name="always-escalate"), name=name)
    if name == "never-escalate":
        return EvalBot(FunctionModel(_never_escalate, name="never-escalate"), name=name)
    if name == "offline":
        return EvalBot("offline", name=name)
    raise ValueError(f"unknown baseline {name!r}; choose from {', '.join(BASELINES)}")


async def run_baseline_suite(
    cases: Sequence[EscalationCase],
    out_dir: str | Path,
    *,
    repeats: int = 1,
    progress: bool = False,
    dataset: Mapping[str, Any] | None = None,
    prevalence: float = DEFAULT_PREVALENCE,
) -> dict[str, EvalRun]:
    """Run every baseline on ``cases``; each writes its reports to ``out_dir/<baseline>``."""
    runs = {}
    for name in BASELINES:
        folder = Path(out_dir) / name
        run = await run_eval(
            cases,
            baseline_bot(name),
            repeats=repeats,
            out_dir=folder,
            progress=progress,
            dataset=dataset,
            prevalence=prevalence,
        )
        run.write_reports(folder)
        runs[name] = run
    return runs


_COLUMNS = (
    ("precision", "precision"),
    ("recall", "recall"),
    ("F1 at prevalence", "f1_at_prevalence"),
    ("escalated right", "right_decision_and_priority_rate"),
    ("under-triage", "under_triage_rate"),
    ("don't-escalate passed", "non_escalation_pass_rate"),
    ("cost / case", "expected_cost_per_case"),
)
_ESCALATION_KEYS = frozenset({"right_decision_and_priority_rate", "under_triage_rate"})
_NON_ESCALATION_KEYS = frozenset({"non_escalation_pass_rate"})


def baseline_table(runs: Mapping[str, EvalRun], *, by_split: bool = True) -> str:
    """A markdown table of the runs' headline scores per split (then over all cases), F1 with its 95 % bootstrap
    interval; each split's rows sit together, so a score is read next to the baselines of the same cases."""
    header = "| split | baseline | F1 [95% CI] | " + " | ".join(title for title, _ in _COLUMNS) + " |"
    lines = [header, "|---|---|" + "---:|" * (len(_COLUMNS) + 1)]
    for split, subset in _subsets(runs, by_split):
        lines += [_row(split, name, run) for name, run in subset.items()]
    prevalence = {run.prevalence for run in runs.values()}
    n_cases = {len(run.cases) for run in runs.values()}
    lines.append("")
    lines.append(
        f"{'/'.join(map(str, sorted(n_cases)))} cases; F1 at prevalence: re-weighted to "
        f"{'/'.join(f'{p:g}' for p in sorted(prevalence))} of conversations needing a person; cost / case in units of "
        "one unneeded escalation."
    )
    return "\n".join(lines)


def _subsets(runs: Mapping[str, EvalRun], by_split: bool) -> list[tuple[str, dict[str, EvalRun]]]:
    first = next(iter(runs.values()), None)
    splits: list[str] = sorted({c.split for c in first.cases if c.split}, key=_split_order) if first else []
    subsets = [(split, {name: _only(run, split) for name, run in runs.items()}) for split in splits if by_split]
    return [*subsets, ("all", dict(runs))] if len(subsets) != 1 else subsets


def _split_order(split: str) -> tuple[int, str]:
    return {"train": 0, "dev": 1, "test": 2}.get(split, 3), split


def _only(run: EvalRun, split: str) -> EvalRun:
    cases = [case for case in run.cases if case.split == split]
    ids = {case.id for case in cases}
    records = [record for record in run.records if record.outcome.case_id in ids]
    return EvalRun(run.config, cases, records, run.out_dir, run.costs, run.prevalence)


def _row(split: str, name: str, run: EvalRun) -> str:
    metrics, low_high = run.metrics(), run.intervals()["f1"]
    cells = [f"{metrics['f1']:.3f} [{low_high[0]:.2f}, {low_high[1]:.2f}]"]
    # A rate with nothing to count (no escalation case on the split, none escalated) is shown as n/a, not 0.
    has_escalations = any(o.expected_escalate for o in run.outcomes)
    has_others = any(not o.expected_escalate for o in run.outcomes)
    for _, key in _COLUMNS:
        known = (key not in _ESCALATION_KEYS or has_escalations) and (key not in _NON_ESCALATION_KEYS or has_others)
        cells.append(_cell(metrics[key] if known else None))
    return f"| {split} | {name} | " + " | ".join(cells) + " |"


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
