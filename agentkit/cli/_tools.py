"""``agentkit tools MODULE:ATTR``: print the function-calling specs of a tool, a list of tools, or a module's tools."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from typing import Any

from ..exceptions import ConfigError
from ..tools import Tool
from ._load import load_attr


def register(commands: Any) -> None:
    parser = commands.add_parser("tools", help="print the function-calling specs the model sees for your tools",
                                 description="Print the JSON specs the model is sent for a tool, a list of "
                                 "tools, or every tool a module defines.\n\n"
                                 "  agentkit tools examples/support_bot.py\n"
                                 "  agentkit tools mybot.py:lookup_order --api responses\n")  # fmt: skip
    parser.add_argument("target", metavar="TOOLS",
                        help="MODULE:ATTR or path.py:ATTR (a Tool or a list of tools), or a module")  # fmt: skip
    parser.add_argument("--api", choices=["chat", "responses"], default="chat",
                        help="the OpenAI API whose spec format to print: Chat Completions or Responses")  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    tools = find_tools(load_attr(args.target))
    print(json.dumps([t.spec(args.api) for t in tools], indent=2, ensure_ascii=False))
    return 0


def find_tools(obj: Any) -> list[Tool[Any]]:
    if isinstance(obj, Tool):
        return [obj]
    if isinstance(obj, Iterable) and not isinstance(obj, (str, bytes)):
        items = list(obj)
        if all(isinstance(t, Tool) for t in items):
            return items
    found = [v for v in vars(obj).values() if isinstance(v, Tool)] if hasattr(obj, "__dict__") else []
    if not found:
        raise ConfigError(f"found no tools in {obj!r}; point at a Tool, a list of Tools, or a module defining some")
    return found
