"""``agentkit hitl redeliver EXAMPLE``: send what the outbox still holds (after a helpdesk outage), then exit."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from ..runtime import redeliver
from ..storage import parse_url
from ._load import load_module


def register(commands: Any) -> None:
    parser = commands.add_parser("hitl", help="hand-off operations: redeliver what a helpdesk outage held back",
                                 description="Operations on the hand-offs to people.")  # fmt: skip
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", title="actions")
    resend = actions.add_parser("redeliver", help="deliver queued escalations and messages now",
                                description="Send what the outbox still holds (after a helpdesk outage), "
                                "then exit.\n\n  agentkit hitl redeliver examples/support_bot.py\n")  # fmt: skip
    resend.add_argument("example", metavar="BOT",
                        help="a .py file or module defining `agent` (its plugins and store are used)")  # fmt: skip
    resend.add_argument("--store", help="store URL, if not the agent's own (e.g. sqlite:///.agentkit/bot.sqlite3)")
    resend.set_defaults(run=run_redeliver, command_label="hitl redeliver")


def run_redeliver(args: argparse.Namespace) -> int:
    agent = getattr(load_module(args.example), "agent", None)
    if agent is None or not hasattr(agent, "plugins"):
        raise ConfigError(f"{args.example} defines no `agent`; define `agent = Agent(...)` at module level")
    store = args.store or agent.store
    if isinstance(store, str | Path):
        _check_store_exists(store)
    sent = redeliver(store, agent.plugins)
    print(f"delivered {sent} queued item{'s' if sent != 1 else ''}")
    return 0


def _check_store_exists(store: str | Path) -> None:
    """A mistyped SQLite path would be created empty, and "delivered 0" would hide the mistake."""
    location = parse_url(store)
    if location.backend != "sqlite":
        return
    if location.target == ":memory:":
        raise ConfigError("an in-memory store holds nothing to redeliver; give the bot's store file with --store")
    if not Path(location.target).is_file():
        raise ConfigError(
            f"no store at {store}: {location.target} does not exist; give the file the bot keeps its conversations "
            "in (its Agent's store=...), e.g. --store sqlite:///.agentkit/support_bot.sqlite3"
        )
