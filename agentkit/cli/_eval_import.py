"""``agentkit eval import SOURCE``: case candidates from a team's own conversations, PII scrubbed.

    agentkit eval import .agentkit/bot.sqlite3 --format store --desk .agentkit/desk.sqlite3 --out cases.jsonl
    agentkit eval import tickets.json --format zendesk --out cases.jsonl --sample 200 --stratify
    agentkit eval import chats.csv --format csv --map text=message --map escalate=handed_over --out cases.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from ..evals import CaseCandidate, import_rows, import_store, import_zendesk, write_candidates
from ..exceptions import ConfigError

__all__ = ["COMMAND", "register", "route", "run"]

COMMAND = "eval-import"
FORMATS = ("store", "zendesk", "csv", "jsonl")


def register(commands: Any) -> None:
    parser = commands.add_parser(COMMAND, prog="agentkit eval import", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip  # no help: unlisted
    parser.add_argument("source", metavar="SOURCE", help="a message store (file or URL), a Zendesk export, a CSV/JSONL")
    parser.add_argument("--out", required=True, metavar="FILE.jsonl", help="where the imported cases go")
    parser.add_argument("--format", choices=FORMATS, help="what SOURCE is (default: from its suffix)")
    parser.add_argument("--desk", metavar="DESK_DB", help="--format store: the desk whose tickets label the handoffs")
    parser.add_argument("--map", action="append", default=[], metavar="OURS=COLUMN",
                        help="csv/jsonl: which column holds text, conversation, escalate, priority, name, ...")
    parser.add_argument("--sample", type=int, metavar="N", help="keep N candidates")
    parser.add_argument("--stratify", action="store_true", help="keep each suggested label's share when sampling")
    parser.add_argument("--seed", type=int, default=0, help="the sampling seed")
    parser.set_defaults(run=run, command_label="eval import")


def route(argv: list[str]) -> list[str]:
    """``eval import ...`` becomes the ``eval-import`` command (the first word that is not an option)."""
    for index, word in enumerate(argv):
        if not word.startswith("-"):
            if word == "eval" and argv[index + 1 : index + 2] == ["import"]:
                return [*argv[:index], COMMAND, *argv[index + 2 :]]
            return argv
    return argv


def run(args: argparse.Namespace) -> int:
    source = Path(args.source)
    if not source.exists() and "://" not in str(source):
        raise ConfigError(f"{source}: no such file")
    fmt = args.format or {".csv": "csv", ".jsonl": "jsonl", ".json": "zendesk"}.get(source.suffix.lower(), "store")
    result = write_candidates(_candidates(fmt, source, args), args.out, sample=args.sample, stratify=args.stratify,
                              seed=args.seed, prefix=f"imported-{fmt}")  # fmt: skip
    print(result.summary())
    for reason in result.rejected[:10]:
        print(f"  rejected {reason}")
    print(f"cases: {args.out} (labels are suggestions from outcomes: check them before you rely on them)")
    return 0


def _candidates(fmt: str, source: Path, args: argparse.Namespace) -> list[CaseCandidate]:
    if fmt == "store":
        return asyncio.run(import_store(source, args.desk))
    if fmt == "zendesk":
        return import_zendesk(source)
    column_map = {}
    for item in args.map:
        ours, sep, theirs = item.partition("=")
        if not sep:
            raise ConfigError(f"--map takes OURS=COLUMN, like text=message; got {item!r}")
        column_map[ours.strip()] = theirs.strip()
    return import_rows(source, column_map or {"text": "text"})
