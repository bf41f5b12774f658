"""The ``agentkit`` command: ``tools``, ``chat`` (and, as they land, ``serve``, ``eval``, ``tune``, ``hitl``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..exceptions import AgentkitError
from . import _chat, _desk, _eval, _hitl, _serve, _tools, _tune

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="agentkit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (_tools, _chat, _eval, _tune, _hitl, _serve, _desk):
        module.register(commands)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except AgentkitError as error:
        print(f"agentkit {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
