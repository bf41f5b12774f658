"""What the terminal chat shows: each message of the conversation once, the bot's reply as it is written, and a hint
when a person has the conversation.

Messages are read from the agent's store after the last one shown (woken by the agent's own subscription, and every
``poll_interval`` for what another process wrote: a person's reply applied by a server on the same store).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from ..hitl import HitlPlugin
from ..runtime import ChatMessage, ReplyDelta

__all__ = ["ChatView"]


class ChatView:
    def __init__(self, agent: Any, conversation_id: str, *, poll_interval: float = 0.5) -> None:
        self.agent = agent
        self.conversation_id = conversation_id
        self.poll_interval = poll_interval
        self._last_id = 0
        self._shown: set[int] = set()
        self._hinted: set[int] = set()  # the HITL sessions whose hint was shown
        self._turn = asyncio.Lock()  # one printer at a time: a turn being streamed, or the follower

    async def send(self, text: str, user: dict[str, str]) -> None:
        """One turn: the reply printed as it is written, then the notices; then the hint, if a person took over."""
        async with self._turn:
            drafting: int | None = None  # the iteration whose pieces are on screen
            async for event in self.agent.receive_stream(self.conversation_id, text, user=user):
                if isinstance(event, ReplyDelta):
                    if drafting != event.iteration:
                        print("\n" if drafting is not None else "", "bot> ", sep="", end="", flush=True)
                        drafting = event.iteration
                    print(event.text, end="", flush=True)
                elif event.role == "bot" and drafting is not None:
                    print(flush=True)  # the pieces were this reply: end its line
                    self._mark(event)
                    drafting = None
                else:
                    self._print(event)
            if drafting is not None:
                print(flush=True)
            await self._hint()

    async def show_new(self, *, users: bool = True) -> None:
        """Print the stored messages not shown yet (the user's own too, with ``users``: a continued conversation)."""
        for message in await self.agent.history(self.conversation_id):
            if message.id > self._last_id:
                if message.role != "user" or users:
                    self._print(message)
                self._last_id = max(self._last_id, message.id)

    async def follow(self) -> None:
        """Until cancelled: what arrives between the user's lines (a person's claim, replies, close; timeouts)."""
        async with self.agent.subscribe(self.conversation_id) as woken:
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await anext(woken)
                async with self._turn:
                    await self.show_new(users=False)
                    await self._hint()

    def _print(self, message: ChatMessage) -> None:
        if message.id in self._shown:
            return
        self._mark(message)
        print(f"{_speaker(message)}> {message.text}" if message.role != "system" else f"-- {message.text}", flush=True)

    def _mark(self, message: ChatMessage) -> None:
        self._shown.add(message.id)
        self._last_id = max(self._last_id, message.id)

    async def _hint(self) -> None:
        """Once per session: a person has the conversation, and how to hand it back to the bot."""
        for plugin in self.agent.plugins.values():
            if not isinstance(plugin, HitlPlugin):
                continue
            session = await plugin.session(self.conversation_id)
            if session is not None and session.is_open and session.row_id not in self._hinted:
                self._hinted.add(session.row_id)
                command = session.config.user_hitl_close_command
                print(f"-- a person has this conversation now; type {command} to hand it back to the bot", flush=True)


def _speaker(message: ChatMessage) -> str:
    if message.role == "agent":
        return f"{message.agent_name or 'support'} (person)"
    return "you" if message.role == "user" else message.role
