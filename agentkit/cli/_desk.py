"""``agentkit desk``: the desk's accounts. ``add-agent NAME`` creates a human agent's sign-in (the password is
asked for, or given with ``--password`` in scripts); ``add-bot NAME`` registers a bot and prints the token it
connects to the desk with; ``agents`` lists the accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from . import _labelling

__all__ = ["add_db_argument", "data_dir", "register", "server_store_path", "server_store_url"]


DESK_DESCRIPTION = """\
Manage the desk's accounts: the people who sign in to the inbox, and the bots that open tickets in it.

  agentkit desk add-agent sam             asks for the password
  agentkit desk add-bot support           prints the bot's token, once
  agentkit desk agents
  agentkit desk bots [--revoke NAME]      the registered bots; revoking one stops its tickets
  agentkit desk labelling load cases.jsonl --labellers 2    eval cases to label at /desk/labelling
"""


def data_dir(value: str | None) -> Path:
    return Path(value or os.environ.get("AGENTKIT_DATA") or ".agentkit")


def server_store_path(data: Path) -> Path:
    return data / "server.sqlite3"


def server_store_url(data: Path, db: str | None) -> str:
    """The server's store: the shared database when one is given (``--db``), else its SQLite file under ``data``."""
    return db or str(server_store_path(data))


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=os.environ.get("AGENTKIT_DB") or None,
                        help="one database for every worker, e.g. postgresql://user:pw@host/db "
                             "(default: $AGENTKIT_DB, else SQLite files under --data)")  # fmt: skip


def register(commands: Any) -> None:
    parser = commands.add_parser("desk", help="manage desk accounts (add-agent, add-bot, agents) and labelling",
                                 description=DESK_DESCRIPTION)  # fmt: skip
    actions = parser.add_subparsers(dest="desk_command", required=True, metavar="ACTION", title="actions")
    agent = actions.add_parser(
        "add-agent",
        help="create a human agent's desk account",
        description="Create the sign-in of a person who answers in the desk inbox.",
    )
    agent.add_argument("name", help="the sign-in name")
    agent.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input (its first line), for scripts")  # fmt: skip
    agent.add_argument("--password", help="deprecated: a password on the command line is seen by other users "
                       "(ps, shell history); use the prompt or --password-stdin")  # fmt: skip
    agent.add_argument("--replace", action="store_true",
                       help="set a new password for an existing account; its open sessions end")  # fmt: skip
    agent.set_defaults(run=_add_agent, command_label="desk add-agent")
    remove = actions.add_parser("remove-agent", help="delete a human agent's desk account",
                                description="Delete a desk sign-in; its open sessions end at once.")  # fmt: skip
    remove.add_argument("name", help="the sign-in name")
    remove.set_defaults(run=_remove_agent, command_label="desk remove-agent")
    bot = actions.add_parser(
        "add-bot",
        help="register a bot and print its desk token",
        description="Register a bot with the desk and print the token it connects with.",
    )
    bot.add_argument("name", help="the bot's name")
    bot.add_argument("--replace", action="store_true", help="issue a new token to a registered bot")
    bot.set_defaults(run=_add_bot, command_label="desk add-bot")
    listing = actions.add_parser("agents", help="list the desk agents", description="List the desk's sign-ins.")
    listing.set_defaults(run=_list_agents, command_label="desk agents")
    bots = actions.add_parser("bots", help="list the registered bots, or revoke one",
                              description="List the bots registered to open tickets on the desk; --revoke NAME "
                              "forgets a bot and its token, so that it can open no more tickets.")  # fmt: skip
    bots.add_argument("--revoke", metavar="NAME", help="revoke this bot's token")
    bots.set_defaults(run=_bots, command_label="desk bots")
    labelling = _labelling.register(actions)
    for action in (agent, remove, bot, listing, bots, *labelling):
        action.add_argument("--data", help="the data folder (default: $AGENTKIT_DATA or .agentkit)")
        add_db_argument(action)


def _add_agent(args: argparse.Namespace) -> int:
    password = _read_password(args)
    asyncio.run(_with_store(args, lambda store: store.add_agent(args.name, password, replace=args.replace)))
    if args.replace:
        print(f"desk agent {args.name!r} has a new password; the sessions signed in with the old one are ended")
    else:
        print(f"desk agent {args.name!r} can now sign in at /desk")
    return 0


def _remove_agent(args: argparse.Namespace) -> int:
    if not asyncio.run(_with_store(args, lambda store: store.remove_agent(args.name))):
        raise ConfigError(f"no desk agent named {args.name!r}; see them with: agentkit desk agents")
    print(f"desk agent {args.name!r} is removed; its open sessions are ended")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password is not None:
        print("agentkit: --password is deprecated: other users can read a command line (ps, shell history); use "
              "the prompt or --password-stdin", file=sys.stderr)  # fmt: skip
        return str(args.password)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ConfigError("--password-stdin read no password: give it as the first line of standard input")
        return password
    return _ask_password(args.name)


def _add_bot(args: argparse.Namespace) -> int:
    token = asyncio.run(_with_store(args, lambda store: store.add_bot(args.name, replace=args.replace)))
    print(f"bot {args.name!r} is registered. Its desk token (shown once; put it in the bot's config):")
    print(f"AGENTKIT_DESK_TOKEN={token}")
    return 0


def _list_agents(args: argparse.Namespace) -> int:
    names = asyncio.run(_with_store(args, lambda store: store.agent_names()))
    print("\n".join(names) if names else "no desk agents yet; add one with: agentkit desk add-agent NAME")
    return 0


def _bots(args: argparse.Namespace) -> int:
    if args.revoke:
        if not asyncio.run(_with_store(args, lambda store: store.revoke_bot(args.revoke))):
            raise ConfigError(f"no bot named {args.revoke!r} is registered; see them with: agentkit desk bots")
        print(f"bot {args.revoke!r} is revoked: its token opens no more tickets")
        return 0
    registered = asyncio.run(_with_store(args, lambda store: store.bots()))
    for name, at in registered:
        print(f"{name}  registered {datetime.fromtimestamp(at):%Y-%m-%d %H:%M}")
    if not registered:
        print("no bots registered; register one with: agentkit desk add-bot NAME")
    return 0


async def _with_store(args: argparse.Namespace, action: Any) -> Any:
    from ..server import DatabaseServerStore  # here, so other commands do not import the web stack

    store = DatabaseServerStore(server_store_url(data_dir(args.data), args.db))
    try:
        return await action(store)
    finally:
        await store.aclose()


def _ask_password(name: str) -> str:
    if not sys.stdin.isatty():  # getpass would fall back to reading stdin, and end in an EOFError
        raise ConfigError(f"no terminal to ask for {name}'s password: run this in a terminal, or pipe it in with "
                          "--password-stdin")  # fmt: skip
    first = getpass.getpass(f"password for {name}: ")
    if getpass.getpass("again: ") != first:
        raise ConfigError("the two passwords differ; nothing was changed")
    return first
