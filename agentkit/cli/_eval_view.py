"""``agentkit eval view DIR``: write DIR/index.html, the list of every eval run under DIR with links to reports."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..evals import write_runs_index
from ..exceptions import ConfigError

__all__ = ["register"]

DESCRIPTION = """\
Write an index page of the eval runs in DIR: every folder under it that holds a report.json (written by
`agentkit eval --out`), newest first, with its model, prompt, dataset, F1 and its interval, recall,
under-triage rate and cost, each linking to its report.html. Open the printed file in a browser.

  agentkit eval view runs
"""


def register(commands: Any) -> None:
    parser = commands.add_parser("eval-view", prog="agentkit eval view", description=DESCRIPTION)  # unlisted
    parser.add_argument("folder", metavar="DIR", help="a folder of runs, e.g. runs")
    parser.set_defaults(run=run, command_label="eval view")


def run(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise ConfigError(f"no such folder: {folder}; give the folder your runs are in (agentkit eval --out DIR/NAME)")
    page, count = write_runs_index(folder)
    print(f"{count} run{'s' if count != 1 else ''} listed: {page.resolve().as_uri()}")
    return 0
