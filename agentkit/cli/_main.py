"""The ``agentkit`` command line: ``chat``, ``serve``, ``eval``, ``tune``, ``tools``, ``hitl``, ``desk``.

``main`` builds the parser from each command module's ``register`` and runs the chosen command through
``run_reporting_errors``: one line on stderr for an error, the traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import _chat, _db, _desk, _eval, _eval_compare, _eval_import, _hitl, _serve, _tools, _tune
from ._errors import debug_wanted, run_reporting_errors
from ._help import Parser, version

__all__ = ["build_parser", "main"]

DESCRIPTION = """\
Build, run and test support bots that hand conversations to a person.

  agentkit serve examples/support_bot.py     the bot behind a webchat and a desk inbox
  agentkit chat examples/support_bot.py      the same bot in this terminal
  agentkit eval evals/escalation             how well a model decides when to hand off
"""
EPILOG = "Run `agentkit COMMAND --help` for a command's options. AGENTKIT_DEBUG=1 shows tracebacks."


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="agentkit", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"agentkit {version()}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback when a command fails")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    for module in (_chat, _serve, _eval, _eval_import, _tune, _tools, _hitl, _desk, _db):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (0 ok, 1 failure, 2 usage or configuration, 130 interrupted)."""
    words = _eval_import.route(_eval_compare.route(list(sys.argv[1:] if argv is None else argv)))
    try:
        args = build_parser().parse_args(words)
    except SystemExit as exit_:  # --help, --version, or a usage error argparse has already explained
        return exit_.code if isinstance(exit_.code, int) else 2
    label = getattr(args, "command_label", args.command)
    return run_reporting_errors(label, lambda: int(args.run(args)), debug=debug_wanted(args.debug))


if __name__ == "__main__":
    raise SystemExit(main())
