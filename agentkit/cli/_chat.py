"""``agentkit chat EXAMPLE``: talk to an example's ``agent`` in the terminal. Reads lines from stdin, so it also
works piped (``printf 'hi\\n' | agentkit chat examples/support_bot.py``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import uuid
from typing import Any

from ..exceptions import ConfigError
from ._help import add_model_argument
from ._load import load_module

CHAT_DESCRIPTION = """\
Talk to a bot in this terminal, as its users would in the webchat. When the bot hands the conversation to
a person, what you type goes to them and their replies appear here; /end hands you back to the bot.

  agentkit chat examples/support_bot.py
  agentkit chat examples/support_bot.py --model openai:gpt-4o-mini
"""
OFFLINE_NOTE = "offline model: a rule-based stand-in, not a language model (set AGENTKIT_MODEL for a real one)"


def register(commands: Any) -> None:
    parser = commands.add_parser("chat", help="talk to a bot in this terminal", description=CHAT_DESCRIPTION)
    parser.add_argument("example", metavar="BOT", help="a .py file or a module that defines `agent`")
    add_model_argument(parser, "$AGENTKIT_MODEL, else the bot's own")
    parser.add_argument("--conversation", help="the id of a conversation to continue (default: a new one)")
    parser.add_argument("--user", default="cli-user", help="your user id in the conversation")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.model:
        os.environ["AGENTKIT_MODEL"] = args.model
    agent = getattr(load_module(args.example), "agent", None)
    if agent is None or not hasattr(agent, "receive"):
        raise ConfigError(f"{args.example} defines no `agent`; define `agent = Agent(...)` at module level")
    asyncio.run(chat(agent, args.conversation or uuid.uuid4().hex[:12], args.user))
    return 0


async def chat(agent: Any, conversation_id: str, user_id: str) -> None:
    async with agent:
        model_name = getattr(getattr(agent, "model", None), "name", "?")
        print(f"agentkit chat · conversation {conversation_id} · model {model_name} · /quit to leave")
        if model_name == "offline":
            print(f"({OFFLINE_NOTE})")
        shown: set[str] = set()
        watcher = asyncio.create_task(_print_async_messages(agent, conversation_id, shown))
        try:
            await _read_and_send(agent, conversation_id, {"id": user_id, "name": "Terminal user"}, shown)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def _read_and_send(agent: Any, conversation_id: str, user: dict[str, str], shown: set[str]) -> None:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line or line.strip() == "/quit":
            return
        if not line.strip():
            continue
        print(f"you> {line.strip()}", flush=True)
        for message in await agent.receive(conversation_id, line.strip(), user=user):
            _print(message, shown)


async def _print_async_messages(agent: Any, conversation_id: str, shown: set[str]) -> None:
    """Human agents (and timeouts) act on their own time: print what arrives between the user's lines, once."""
    async for message in agent.subscribe(conversation_id):
        await asyncio.sleep(0)  # let receive() return and mark what it printed first
        if message.role in ("agent", "system"):
            _print(message, shown)


def _print(message: Any, shown: set[str]) -> None:
    if message.id in shown:
        return
    shown.add(message.id)
    who = f"agent {message.agent_name}" if message.role == "agent" and message.agent_name else message.role
    print(f"{who}> {message.text}", flush=True)
