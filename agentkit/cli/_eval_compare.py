"""``agentkit eval compare RUN_A RUN_B``: which run is better, by how much, and whether the cases can tell.

The verdict rests on the paired bootstrap of F1 (B - A, 95 % interval): B is better when the whole interval is above
zero, worse when it is below, and the two are not told apart otherwise. McNemar's exact test is quoted with it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

from ..evals import METRIC_DIRECTIONS, EvalRun, compare_runs, comparison_lines

__all__ = ["metric_changes", "register", "route", "verdict"]

COMMAND = "eval-compare"  # `eval compare` is routed here: `eval` itself takes a DATASET positional
DESCRIPTION = """\
Compare two runs of `agentkit eval` over the same cases: run A is the reference (the baseline, the old
prompt), run B the candidate. Says which run is better and by how much: F1 with its 95 % paired bootstrap
interval, McNemar's exact test on the cases each run got right, each metric's change, and the cases fixed
or broken.

  agentkit eval compare runs/offline runs/gpt-4o-mini
"""


def register(commands: Any) -> None:
    parser = commands.add_parser(COMMAND, prog="agentkit eval compare", description=DESCRIPTION)  # no help: unlisted
    parser.add_argument("run_a", metavar="RUN_A", help="the reference run's folder (written by agentkit eval --out)")
    parser.add_argument("run_b", metavar="RUN_B", help="the candidate run's folder")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    parser.set_defaults(run=run, command_label="eval compare")


_ROUTED = {"compare": COMMAND, "view": "eval-view"}


def route(argv: list[str]) -> list[str]:
    """``eval compare ...`` and ``eval view ...`` become the ``eval-compare`` and ``eval-view`` commands (``eval``
    must be the first word that is not an option)."""
    for index, word in enumerate(argv):
        if not word.startswith("-"):
            following = argv[index + 1] if index + 1 < len(argv) else ""
            if word == "eval" and following in _ROUTED:
                return [*argv[:index], _ROUTED[following], *argv[index + 2 :]]
            return argv
    return argv


def run(args: argparse.Namespace) -> int:
    comparison = compare_runs(EvalRun.load(args.run_a), EvalRun.load(args.run_b)).to_json()
    if args.json:
        print(json.dumps(comparison | {"verdict": verdict(comparison)}, indent=2))
        return 0
    print(verdict(comparison))
    print("\n".join(comparison_lines(comparison)))
    print("\n".join(metric_changes(comparison)))
    return 0


def verdict(comparison: Mapping[str, Any]) -> str:
    """One sentence: B better, worse, or not told apart from A, with the F1 difference and its interval."""
    boot, p_value = comparison["f1_paired_bootstrap"], comparison["mcnemar"]["p_value"]
    a, b = comparison["name_a"], comparison["name_b"]
    by = (f"F1 {boot['difference']:+.3f} (95 % interval {boot['low']:+.3f} to {boot['high']:+.3f}; "
          f"McNemar p = {p_value:.3g})")  # fmt: skip
    if boot["low"] > 0:
        return f"B is better: {b} beats {a} by {by}"
    if boot["high"] < 0:
        return f"B is worse: {b} trails {a} by {by}"
    return f"no clear winner: {b} vs {a}, {by}; the interval holds 0, so these cases cannot tell them apart"


def metric_changes(comparison: Mapping[str, Any]) -> list[str]:
    """Each metric that moved, sorted into better and worse for B by the metric's direction."""
    a, b = comparison["metrics_a"], comparison["metrics_b"]
    better: list[str] = []
    worse: list[str] = []
    for name, direction in METRIC_DIRECTIONS.items():
        if a.get(name) is None or b.get(name) is None or round(b[name] - a[name], 3) == 0:  # as printed
            continue
        change = f"{name} {b[name] - a[name]:+.3f}"
        improved = (b[name] > a[name]) == (direction == "higher")
        (better if improved else worse).append(change)
    return [f"  better in B: {', '.join(better) or 'none'}", f"  worse in B: {', '.join(worse) or 'none'}"]
