"""What a tuning run leaves in its folder, and what the terminal shows.

| file | what |
|---|---|
| ``candidates.jsonl`` | the log: settings, every evaluation and proposal as it finished (resume reads it) |
| ``spend.jsonl`` | one line per real model request: what the budget counts |
| ``best_prompt.j2`` | a template that renders to the selected instructions (``agentkit eval --prompt`` takes it) |
| ``best_tool_description.txt`` | the selected description of the handoff tool |
| ``tuning.json`` | the report: plan, leaderboard, dev and test scores with intervals, comparison, budget, diff |
| ``tuning.html`` | the same for people, one self-contained file |
| ``evals/<id>/<split>/`` | each candidate's eval records; the test folders also get the eval reports |
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from ..evals import EvalRun
from ._candidate import literal_fragment
from ._confirm import is_plain_f1
from ._log import Evaluation
from ._result import TuningResult

__all__ = ["REPORT_VERSION", "best_prompt_template", "report", "summary_lines", "unified_diff", "write_outputs"]

REPORT_VERSION = 1


def best_prompt_template(result: TuningResult) -> str:
    """A template rendering exactly to the selected instructions (a comment says where it came from)."""
    best = result.best
    header = (
        f"{{# agentkit tune: {best.name} (candidate {best.id}); {result.verdict or result.status}.\n"
        f"   Renders to the instructions as tuned: edit them here, or the space and tune again. #}}\n"
    )
    return header + literal_fragment(result.instructions) + "\n"


def unified_diff(result: TuningResult) -> str:
    """The selected prompt against the start: instructions, then the tool description."""
    builder, start, best = result.builder, result.start, result.best
    parts: list[str] = []
    for what, old, new in (
        ("instructions", builder.instructions(start), builder.instructions(best)),
        ("tool description", builder.tool_description(start), builder.tool_description(best)),
    ):
        parts += difflib.unified_diff(
            old.splitlines(), new.splitlines(), f"start {what}", f"selected {what}", lineterm=""
        )
    return "\n".join(parts)


def report(result: TuningResult) -> dict[str, Any]:
    """The JSON report (``tuning.json``)."""
    confirmation = result.confirmation
    return {
        "version": REPORT_VERSION,
        "status": result.status,
        "stop_reason": result.stop_reason,
        "verdict": result.verdict,
        "holds": result.holds,
        "test_split_uses": result.test_uses,
        "plan": result.plan.to_json(),
        "budget": {"requests": result.options.budget.requests, "usd": result.options.budget.usd},
        "spent": {
            "total": result.spent.to_json(),
            "this_run": result.spent_this_run.to_json(),
            "before": result.ledger.before.to_json(),
        },  # fmt: skip
        "resumed_evaluations": result.resumed,
        "start": _prompt(result, result.start),
        "selected": _prompt(result, result.best),
        "leaderboard": result.leaderboard(),
        "dev": [e.to_json() for e in result.dev],
        "test": _test(result),
        "confirmation": confirmation.to_json() if confirmation is not None else None,
        "diff": unified_diff(result),
    }


def _prompt(result: TuningResult, candidate: Any) -> dict[str, Any]:
    return candidate.to_json() | {  # type: ignore[no-any-return]
        "instructions": result.builder.instructions(candidate),
        "tool_description_text": result.builder.tool_description(candidate),
    }


def _test(result: TuningResult) -> dict[str, Any] | None:
    if result.test_start is None:
        return None
    names = ("start", "winner")
    tests = (result.test_start, result.test_winner)
    return {name: _scores(e, run) for name, e, run in zip(names, tests, result.test_runs, strict=False) if e}


def _scores(evaluation: Evaluation, run: EvalRun) -> dict[str, Any]:
    return {"evaluation": evaluation.to_json(), "intervals": run.intervals()}


def write_outputs(result: TuningResult) -> dict[str, Path]:
    """Write the files above (not for a dry run) and return their paths by name."""
    folder = result.options.out_dir
    folder.mkdir(parents=True, exist_ok=True)
    paths = {n: folder / n for n in ("best_prompt.j2", "best_tool_description.txt", "tuning.json", "tuning.html")}
    data = report(result)
    paths["best_prompt.j2"].write_text(best_prompt_template(result), encoding="utf-8")
    paths["best_tool_description.txt"].write_text(result.tool_description + "\n", encoding="utf-8")
    paths["tuning.json"].write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    from ._html import render_html  # jinja2's HTML environment: only needed when writing

    paths["tuning.html"].write_text(render_html(data), encoding="utf-8")
    for run in result.test_runs:
        if run.out_dir is not None:
            baseline = result.test_runs[0] if run is not result.test_runs[0] else None
            run.write_reports(run.out_dir, baseline=baseline)
    return paths


def summary_lines(result: TuningResult) -> list[str]:
    """The run in a few lines for the terminal."""
    o = result.options
    lines = [f"agentkit tune · strategy {o.strategy} · seed {o.seed} · objective {o.objective.describe()}"]
    if result.stop_reason:
        lines.append(f"stopped early: {result.stop_reason}")
    lines.append(f"search: {len(result.search)} evaluations on train ({result.resumed} read back from the log)")
    for row in result.leaderboard()[:8]:
        dev = f"dev {row['dev_objective']:.3f}" if row["dev_objective"] is not None else ""
        mark = " (start)" if row["is_start"] else " (winner)" if row["is_winner"] else ""
        lines.append(f"  {row['rank']:>2}. train {row['train_objective']:.3f} ({row['train_cases']} cases)  "
                     f"{dev:<10} {row['name'][:70]}{mark}")  # fmt: skip
    lines += _dev_lines(result) + _test_lines(result)
    spent, budget = result.spent, o.budget
    money = f", ${spent.usd:.4f}" + (f" of ${budget.usd:.2f}" if budget.usd is not None else "")
    lines.append(f"spent: {spent.requests} of {budget.requests} requests{money} "
                 f"(this run {result.spent_this_run.requests})")  # fmt: skip
    return lines


def _dev_lines(result: TuningResult) -> list[str]:
    if not result.dev:
        return []
    start = result.dev[0]
    winner = next((e for e in result.dev if result.winner is not None and e.candidate.id == result.winner.id), start)
    gain = winner.objective - start.objective
    return [f"dev  start {start.objective:.3f} -> winner {winner.objective:.3f} ({gain:+.3f}; objective, "
            f"{len(result.dev)} prompts on {start.n_cases} dev cases)"]  # fmt: skip


def _test_lines(result: TuningResult) -> list[str]:
    if result.test_start is None:
        return []
    plain = is_plain_f1(result.options.objective)
    lines = []
    for name, e, run in zip(("start", "winner"), (result.test_start, result.test_winner), result.test_runs,
                            strict=False):  # fmt: skip
        if e is not None:
            low, high = run.intervals()["f1"]
            objective = "" if plain else f"  objective {e.objective:.3f}"
            lines.append(f"test {name:<6} F1 {e.metrics['f1']:.3f} [{low:.3f}, {high:.3f}]{objective}")
    lines.append(f"verdict: {result.verdict}")
    if result.test_uses:
        times = "once" if result.test_uses == 1 else f"{result.test_uses} times"
        lines.append(f"test split: used {times} by tuning runs so far ({result.test_uses_log}); each look at test "
                     "adds a chance that a gain is confirmed by luck")  # fmt: skip
    return lines
