"""``agentkit hitl redeliver EXAMPLE``: send what the outbox still holds (after a helpdesk outage), then exit.
``agentkit hitl outbox EXAMPLE``: list the dead letters (rows that failed too often and are no longer tried)."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from ..runtime import outbox_entries, redeliver_sync
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
    listing = actions.add_parser("outbox", help="list the outbox's dead letters (or other rows, with --status)")
    listing.add_argument("example", metavar="BOT",
                         help="a .py file or module defining `agent` (its plugins and store are used)")  # fmt: skip
    listing.add_argument("--store", help="store URL, if not the agent's own (e.g. sqlite:///.agentkit/bot.sqlite3)")
    listing.add_argument("--status", default="dead", help="comma-separated: dead (default), failed, queued, done, "
                                                          "cancelled")  # fmt: skip
    listing.set_defaults(run=run_outbox, command_label="hitl outbox")


def _agent(example: str) -> Any:
    agent = getattr(load_module(example), "agent", None)
    if agent is None or not hasattr(agent, "plugins"):
        raise ConfigError(f"{example} defines no `agent`; define `agent = Agent(...)` at module level")
    return agent


def run_outbox(args: argparse.Namespace) -> int:
    agent = _agent(args.example)
    statuses = tuple(s.strip() for s in args.status.split(",") if s.strip())
    store = args.store or agent.store
    if isinstance(store, str | Path):
        _check_store_exists(store)
    rows = asyncio.run(outbox_entries(store, agent.plugins, statuses))
    if not rows:
        print(f"no outbox rows with status {', '.join(statuses)}")
        return 0
    print(f"{'row':>6}  {'plugin':<12} {'kind':<8} {'status':<9} {'tries':>5}  {'since':<16}  conversation: last error")
    for row in rows:
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(row.created_at))
        print(f"{row.id:>6}  {row.plugin:<12} {row.kind:<8} {row.status:<9} {row.attempts:>5}  {since:<16}  "
              f"{row.conversation_id}: {row.last_error or '-'}")  # fmt: skip
    return 0


def run_redeliver(args: argparse.Namespace) -> int:
    agent = _agent(args.example)
    store = args.store or agent.store
    if isinstance(store, str | Path):
        _check_store_exists(store)
    sent = redeliver_sync(store, agent.plugins)
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
