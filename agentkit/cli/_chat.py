"""``agentkit chat BOT``: talk to a bot's ``agent`` in the terminal.

In a terminal the prompt is prompt_toolkit's: line editing, history (Up/Down, kept in the data folder), Ctrl-C
clears the line (and leaves on an empty one), Ctrl-D leaves; what arrives while you type (a person's reply) is
printed above the prompt. Piped, it reads lines from stdin (``printf 'hi\\n' | agentkit chat examples/support_bot.py``).

What the user sees is read from the bot's store, as the webchat does: a person's claim, replies and close show up
whichever process applied them (with ``make run`` also running, the server may be the one that hears the desk).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import uuid
from typing import Any

from ..exceptions import ConfigError
from ._chat_view import ChatView
from ._help import add_model_argument
from ._load import load_module

__all__ = ["OFFLINE_NOTE", "chat", "register", "run"]

CHAT_DESCRIPTION = """\
Talk to a bot in this terminal, as its users would in the webchat. When the bot hands the conversation to
a person, what you type goes to them and their replies appear here; /end hands you back to the bot.
Up and Down recall earlier lines; Ctrl-C clears the line (on an empty line it leaves); Ctrl-D or /quit leaves.

  agentkit chat examples/support_bot.py
  agentkit chat examples/support_bot.py --model openai:gpt-4o-mini
"""
OFFLINE_NOTE = "offline model: a rule-based stand-in, not a language model (set AGENTKIT_MODEL for a real one)"
QUIT = "/quit"


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
    asyncio.run(chat(agent, args.conversation or uuid.uuid4().hex[:12], args.user, terminal=sys.stdin.isatty()))
    return 0


async def chat(agent: Any, conversation_id: str, user_id: str, *, terminal: bool = False) -> None:
    """The conversation until the user leaves; ``terminal``: prompt_toolkit's prompt, else lines from stdin."""
    async with agent:
        view = ChatView(agent, conversation_id)
        _banner(agent, conversation_id)
        await view.show_new()  # a continued conversation: what was said before
        follower = asyncio.create_task(view.follow())
        try:
            user = {"id": user_id, "name": "Terminal user"}
            if terminal:
                await _prompt_loop(view, user)
            else:
                await _stdin_loop(view, user)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower


def _banner(agent: Any, conversation_id: str) -> None:
    model_name = getattr(getattr(agent, "model", None), "name", "?")
    print(f"agentkit chat · {agent.name} · conversation {conversation_id} · model {model_name}")
    if model_name == "offline":
        print(f"({OFFLINE_NOTE})")
    print(f"Type a message and press Enter; {QUIT} or Ctrl-D leaves.", flush=True)


async def _prompt_loop(view: ChatView, user: dict[str, str]) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.patch_stdout import patch_stdout

    session: PromptSession[str] = PromptSession(history=_history(), key_bindings=_keys())
    with patch_stdout(raw=True):  # what arrives while the user types is printed above the prompt
        while True:
            try:
                line = await session.prompt_async("you> ")
            except EOFError:  # Ctrl-D, or Ctrl-C on an empty line
                return
            if line.strip() == QUIT:
                return
            if line.strip():
                await view.send(line.strip(), user)


async def _stdin_loop(view: ChatView, user: dict[str, str]) -> None:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line or line.strip() == QUIT:
            return
        if line.strip():
            print(f"you> {line.strip()}", flush=True)  # piped: the transcript shows what was sent
            await view.send(line.strip(), user)


def _keys() -> Any:
    from prompt_toolkit.key_binding import KeyBindings

    keys = KeyBindings()

    @keys.add("c-c")
    def _interrupt(event: Any) -> None:
        """Ctrl-C clears what was typed; on an empty line it leaves, as Ctrl-D does."""
        if event.app.current_buffer.text:
            event.app.current_buffer.reset()
        else:
            event.app.exit(exception=EOFError)

    return keys


def _history() -> Any:
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    folder = os.environ.get("AGENTKIT_DATA", ".agentkit")
    try:
        os.makedirs(folder, exist_ok=True)
        return FileHistory(os.path.join(folder, "chat_history"))
    except OSError:  # a read-only folder: history for this session only
        return InMemoryHistory()
