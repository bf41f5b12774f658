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
) -> dict[str, EvalRun]:
    """Run every baseline on ``cases``; each writes its reports to ``out_dir/<baseline>``."""
    runs = {}
    for name in BASELINES:
        folder = Path(out_dir) / name
        run = await run_eval(
            cases, baseline_bot(name), repeats=repeats, out_dir=folder, progress=progress, dataset=dataset
        )
        run.write_reports(folder)
        runs[name] = run
    return runs


_COLUMNS = (
    ("F1", "f1"),
    ("precision", "precision"),
    ("recall", "recall"),
    ("accuracy", "accuracy"),
    ("priority exact", "priority_exact_accuracy"),
    ("under-triage", "under_triage_rate"),
    ("cost / case", "expected_cost_per_case"),
)

_PRIORITY_KEYS = frozenset({"priority_exact_accuracy", "under_triage_rate"})


def baseline_table(runs: Mapping[str, EvalRun]) -> str:
    """A markdown table of the runs' headline scores, F1 with its 95 % bootstrap interval."""
    header = "| baseline | " + " | ".join(title for title, _ in _COLUMNS) + " |"
    lines = [header, "|---|" + "---:|" * len(_COLUMNS)]
    for name, run in runs.items():
        metrics, low_high = run.metrics(), run.intervals()["f1"]
        cells = [f"{metrics['f1']:.3f} [{low_high[0]:.2f}, {low_high[1]:.2f}]"]
        graded = run.summary["priority"]["n"] > 0  # with no escalation to grade, a priority rate means nothing
        cells += [_cell(metrics[key] if graded or key not in _PRIORITY_KEYS else None) for _, key in _COLUMNS[1:]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    n_cases = {len(run.cases) for run in runs.values()}
    lines.append("")
    lines.append(f"{'/'.join(map(str, sorted(n_cases)))} cases; cost / case in units of one unneeded escalation.")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
