"""``agentkit tune DATASET``: prompt tuning from the command line (``tune()`` does the work)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from ..exceptions import ConfigError
from ..tuning import STRATEGIES, summary_lines, tune
from ._help import add_model_argument, model_string

__all__ = ["register", "run"]


DESCRIPTION = """\
Tune the prompt on an eval dataset: search prompt variants on the train split, select on dev, confirm on
test, within a budget of model requests (and dollars).

  agentkit tune evals/escalation --space prompts/escalation_space.toml --model openai:gpt-4o-mini \\
      --budget 3000 --budget-usd 2.0 --strategy halving --seed 0 --out runs/tune --dry-run
  agentkit tune evals/escalation --space prompts/escalation_space.toml --model openai:gpt-4o-mini \\
      --budget 3000 --strategy opro --proposer openai:gpt-4.1 --out runs/tune-opro --cache .agentkit/cache

Rerun the same command to resume an interrupted run (finished evaluations are read back, not paid again).
The leaderboard (printed, and in tuning.html) ranks the prompts of the search: first those scored on more
train cases (halving gives its survivors bigger minibatches), then by the objective on train, earlier prompts
first on ties. Its dev column is shown, not ranked on: the winner is the finalist best on dev.
Exit status: 0 when the run finished (the verdict says whether the gain held on test), 1 when the budget
stopped it before the test confirmation, 2 for a usage or configuration error.
"""


def register(commands: Any) -> None:
    parser = commands.add_parser("tune", help="tune the prompt on an eval dataset within a budget",
                                 description=DESCRIPTION)  # fmt: skip
    parser.add_argument("dataset", metavar="DATASET", help="a .jsonl file or folder with train, dev and test cases")
    parser.add_argument("--space", required=True, help="the space file (.toml), e.g. prompts/escalation_space.toml")
    parser.add_argument("--prompt", help="the base template (.j2) (default: the space file's `template`)")
    add_model_argument(parser)
    parser.add_argument("--budget", type=int, required=True, help="at most this many model requests in all")
    parser.add_argument("--budget-usd", type=float, help="and at most this many US dollars (estimated per step)")
    parser.add_argument("--strategy", choices=STRATEGIES, default="grid", help="how prompts are searched")
    parser.add_argument("--seed", type=int, default=0, help="the seed of random draws (random, halving, opro)")
    parser.add_argument("--out", default="runs/tune", help="the run folder; rerun with it to resume")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and its worst case; no request")
    parser.add_argument("--proposer", type=model_string,
                        help="opro: the model proposing policy texts (default: --model)")  # fmt: skip
    parser.add_argument("--objective", default="f1", help="METRIC or METRIC=WEIGHT,... e.g. f1=1,priority_kappa=0.5")
    parser.add_argument("--token-penalty", type=float, default=0.0, help="subtracted per prompt token")
    parser.add_argument("--minibatch", type=int, default=16, help="train cases per candidate (halving: the first)")
    parser.add_argument("--candidates", type=int, default=8, help="random and halving: prompts drawn")
    parser.add_argument("--finalists", type=int, default=2, help="best search candidates run on dev")
    parser.add_argument("--opro-steps", type=int, default=4, help="opro: proposals asked for")
    parser.add_argument("--iterations", type=int, default=2, help="loop limit per case: its worst case in requests")
    parser.add_argument("--repeats", type=int, default=1, help="runs per case")
    parser.add_argument("--concurrency", type=int, default=8, help="cases run at once")
    parser.add_argument("--cache", metavar="DIR", help="replay model answers from DIR, recording new ones there")
    parser.add_argument("--rpm", type=float, help="at most this many model requests a minute")
    parser.add_argument("--no-progress", action="store_true", help="no line per evaluation on stderr")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.budget < 0:
        raise ConfigError(f"--budget is a number of model requests, at least 0; got {args.budget}")
    try:
        result = asyncio.run(_tune(args))
    except KeyboardInterrupt:
        print(f"\nagentkit tune: interrupted; run the same command to resume from {args.out}", file=sys.stderr)
        return 130
    if args.dry_run:
        print("\n".join(result.plan.lines()))
        print("no model request was made (--dry-run)")
        return 0
    print("\n".join(summary_lines(result)))
    print(f"\nfiles: {args.out}/best_prompt.j2  {args.out}/tuning.html  {args.out}/tuning.json")
    if result.status != "finished":
        print(f"agentkit tune: stopped before the test confirmation: {result.stop_reason}", file=sys.stderr)
        return 1
    return 0


async def _tune(args: argparse.Namespace) -> Any:
    return await tune(
        args.dataset, args.space, args.model, budget=args.budget, budget_usd=args.budget_usd,
        strategy=args.strategy, seed=args.seed, out_dir=args.out, prompt=args.prompt, proposer=args.proposer,
        objective=args.objective, token_penalty=args.token_penalty, minibatch=args.minibatch,
        candidates=args.candidates, finalists=args.finalists, opro_steps=args.opro_steps,
        iterations=args.iterations, repeats=args.repeats, concurrency=args.concurrency, cache_dir=args.cache,
        rpm=args.rpm, dry_run=args.dry_run, progress=None if args.no_progress else sys.stderr,
    )  # fmt: skip
