"""``agentkit eval DATASET``: run the escalation eval and write its reports (``compare`` is ``_eval_compare``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ..evals import (
    DEFAULT_PREVALENCE,
    SPLITS,
    EvalBot,
    EvalRun,
    agreement,
    baseline_table,
    default_handoff_tool,
    direction,
    filter_cases,
    gate_failures,
    load_cases,
    read_labels,
    run_baseline_suite,
    run_eval,
)
from ..exceptions import ConfigError
from ..handoff import HANDOFF_TOOL_NAME
from . import _eval_compare, _eval_view
from ._help import add_model_argument
from ._load import load_attr
from ._tools import find_tools

__all__ = ["register", "run"]


DESCRIPTION = """\
Run the escalation eval: each case of DATASET is a conversation with the right decision (hand off to a
person or not, and at which priority). Writes report.html, report.json and summary.txt to --out.

  agentkit eval evals/escalation --model offline --split test --out runs/offline
  agentkit eval evals/escalation --model openai:gpt-4o-mini --prompt prompts/v2.j2 --repeats 3 \\
      --baseline runs/offline --fail-under f1=0.9 --fail-under recall=0.95 --fail-over under_triage_rate=0.05
  agentkit eval evals/escalation --baseline-suite --out runs/baselines
  agentkit eval compare runs/offline runs/gpt-4o-mini     which of two runs is better (see its --help)
  agentkit eval view runs                                 an index page of every run under runs/

Exit status: 0 when the run finished and every gate held, 1 when a gate failed (each failing metric is named
on stderr) or every case errored, 2 for a usage or configuration error.
"""


def register(commands: Any) -> None:
    parser = commands.add_parser("eval", help="measure how well a model decides when to hand off (and: eval compare)",
                                 description=DESCRIPTION)  # fmt: skip
    parser.add_argument("dataset", metavar="DATASET", help="a .jsonl file or a folder of them, e.g. evals/escalation")
    add_model_argument(parser)
    parser.add_argument("--prompt", default="support_assistant.j2", help="the system prompt: a .j2 file or a name")
    parser.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                        help="a variable for the prompt template (repeatable)")  # fmt: skip
    parser.add_argument("--tools", metavar="MODULE:ATTR",
                        help="the bot's tools, e.g. mybot.py:tools (its handoff tool is added if absent)")  # fmt: skip
    parser.add_argument("--handoff-tool", default=HANDOFF_TOOL_NAME, help="the name of the handoff tool")
    parser.add_argument(
        "--real-tools", action="store_true",
        help="run the bot's other tools for real (they act as in production); by default they answer from the "
        "case's recorded results or a stub",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=1, help="runs per case (for pass^k and majority votes)")
    parser.add_argument("--concurrency", type=int, default=16, help="cases run at once")
    parser.add_argument("--rpm", type=float, help="at most this many model requests a minute")
    parser.add_argument("--tpm", type=float, help="at most this many tokens a minute")
    parser.add_argument("--split", choices=SPLITS, help="only the cases of this split (default: all)")
    parser.add_argument("--tag", action="append", help="only cases with this tag (repeatable: any of them)")
    parser.add_argument("--out", help="the run folder (default: runs/<time>-<model>); rerun it to resume")
    parser.add_argument("--cache", metavar="DIR", help="replay model answers from DIR, recording new ones there")
    parser.add_argument("--baseline", metavar="RUN_DIR", help="compare with an earlier run of the same cases")
    parser.add_argument("--fail-under", action="append", default=[], metavar="METRIC=MIN",
                        help="exit 1 if METRIC ends below MIN, e.g. f1=0.9 (repeatable)")  # fmt: skip
    parser.add_argument("--fail-over", action="append", default=[], metavar="METRIC=MAX",
                        help="exit 1 if METRIC ends above MAX, e.g. under_triage_rate=0.05 (repeatable)")  # fmt: skip
    parser.add_argument("--baseline-suite", action="store_true",
                        help="run the three baselines (never, always, offline) and print a table")  # fmt: skip
    parser.add_argument("--labels", metavar="FILE", help="labels of several labellers (JSONL): report their kappas")
    parser.add_argument(
        "--prevalence", type=float, default=DEFAULT_PREVALENCE, metavar="SHARE",
        help="the real share of conversations that need a person, for precision and F1 re-weighted to it (0.1)",
    )  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.set_defaults(run=run)
    _eval_compare.register(commands)
    _eval_view.register(commands)


def run(args: argparse.Namespace) -> int:
    gates = _gates(args.fail_under), _gates(args.fail_over)
    cases = _cases(args)
    dataset = {"path": args.dataset, "split": args.split, "tags": args.tag}
    if args.baseline_suite:
        return _baseline_suite(args, cases, dataset)
    baseline = _baseline(args.baseline, cases) if args.baseline else None
    out_dir = Path(args.out or _default_out(args.model))
    bot = _bot(args)
    run_ = asyncio.run(
        run_eval(
            cases, bot, repeats=args.repeats, concurrency=args.concurrency, rpm=args.rpm, tpm=args.tpm,
            cache_dir=args.cache, out_dir=out_dir, progress=not args.no_progress, dataset=dataset,
            prevalence=args.prevalence,
        )
    )  # fmt: skip
    run_.agreement = agreement(read_labels(args.labels)) if args.labels else None
    paths = run_.write_reports(out_dir, baseline=baseline)
    print(paths["summary.txt"].read_text(encoding="utf-8"), end="")
    print(f"\nreports: {paths['report.html']}  {paths['report.json']}  {paths['summary.txt']}")
    return _verdict(run_, *gates)


def _gates(items: list[str]) -> dict[str, float]:
    gates = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            gates[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"a gate is METRIC=NUMBER, like f1=0.9; got {item!r}") from None
        if not sep:
            raise ConfigError(f"a gate is METRIC=NUMBER, like f1=0.9; got {item!r}")
        direction(name.strip())  # a misspelt metric fails now, not after the run
    return gates


def _cases(args: argparse.Namespace) -> list[Any]:
    cases = filter_cases(load_cases(args.dataset), split=args.split, tags=args.tag)
    if not cases:
        raise ConfigError(f"no cases in {args.dataset} match split={args.split} tags={args.tag}")
    return cases


def _bot(args: argparse.Namespace) -> EvalBot:
    variables = {}
    for item in args.var:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--var takes KEY=VALUE, got {item!r}")
        variables[key] = value
    tools = find_tools(load_attr(args.tools)) if args.tools else None
    if tools is not None and args.handoff_tool not in {t.name for t in tools}:
        tools.append(default_handoff_tool(args.handoff_tool))
    return EvalBot(
        args.model, tools=tools, prompt=args.prompt, prompt_variables=variables, handoff_tool=args.handoff_tool,
        real_tools=args.real_tools,
    )  # fmt: skip


def _default_out(model: str | None) -> str:
    label = (model or os.environ.get("AGENTKIT_MODEL") or "model").replace(":", "-").replace("/", "-")
    return str(Path("runs") / f"{datetime.now():%Y%m%d-%H%M%S}-{label}")


def _baseline(folder: str, cases: list[Any]) -> EvalRun:
    baseline = EvalRun.load(folder)
    theirs, ours = {r.outcome.case_id for r in baseline.records}, {c.id for c in cases}
    if theirs != ours:
        raise ConfigError(
            f"the baseline {folder} ran {len(theirs)} cases, this run selects {len(ours)} "
            f"({len(ours - theirs)} not in the baseline); use the same dataset, --split and --tag as the baseline"
        )
    return baseline


def _verdict(run_: EvalRun, fail_under: dict[str, float], fail_over: dict[str, float]) -> int:
    if all(r.outcome.error is not None for r in run_.records):
        first = run_.records[0].outcome.error
        print(f"agentkit eval: every case failed with an error; the first: {first}", file=sys.stderr)
        return 1
    failures = gate_failures(run_.metrics(), fail_under, fail_over)
    for failure in failures:
        print(f"agentkit eval: gate failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _baseline_suite(args: argparse.Namespace, cases: list[Any], dataset: dict[str, Any]) -> int:
    out_dir = Path(args.out or "runs/baselines")
    runs = asyncio.run(
        run_baseline_suite(
            cases, out_dir, repeats=args.repeats, progress=not args.no_progress, dataset=dataset,
            prevalence=args.prevalence,
        )  # fmt: skip
    )
    table = baseline_table(runs)
    (out_dir / "baselines.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"\nreports: {out_dir}/<baseline>/report.html; table: {out_dir / 'baselines.md'}")
    return 0
