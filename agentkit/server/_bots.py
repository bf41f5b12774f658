"""Only registered bots may open tickets on the desk ("deflecting bots").

A bot connects to the desk with a token that ``agentkit desk add-bot NAME`` printed. ``BotTokenDesk`` is a
``LocalDesk`` that checks it before each new ticket; give it to ``DeskHitl`` and ``start_hitl`` fails, with the
command to run, while the token is missing or unknown::

    desk = BotTokenDesk(".agentkit/desk.sqlite3", token=os.environ.get("AGENTKIT_DESK_TOKEN"),
                        store=SqliteServerStore(".agentkit/server.sqlite3"))
    agent = Agent("support", plugins={"desk-hitl": DeskHitl(desk)})
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..desk import LocalDesk, Ticket
from ..handoff import Priority, TranscriptLine, User
from ..hitl._provider import ProviderError
from ._store import ServerStore

__all__ = ["BotTokenDesk", "unregistered_bot"]

TOKEN_ENV = "AGENTKIT_DESK_TOKEN"


def unregistered_bot(token: str | None, data_dir: str) -> ProviderError:
    """The desk's refusal of a bot whose token is missing or unknown. Not retryable: registering is a step a person
    takes, so the handoff fails now and the bot keeps the conversation."""
    problem = f"no bot token is set ({TOKEN_ENV} is empty)" if not token else "the bot's token is not registered"
    return ProviderError(
        f"the desk refused this bot: {problem}. Register the bot with `agentkit desk add-bot NAME --data "
        f"{data_dir}` and put the token it prints in the bot's config ({TOKEN_ENV}=...)",
        retryable=False,
        provider="desk",
    )


class BotTokenDesk(LocalDesk):
    """A ``LocalDesk`` that opens tickets only for a bot whose ``token`` is registered in ``store``."""

    def __init__(self, url_or_path: str | os.PathLike[str], *, token: str | None, store: ServerStore) -> None:
        super().__init__(url_or_path)
        self.token = token
        self.bots = store
        self.data_dir = os.path.dirname(self.path) or "."

    async def check_bot(self) -> str:
        """The registered name of this desk's bot; a ``ProviderError`` saying how to register it if it has none."""
        name = await self.bots.bot_for_token(self.token) if self.token else None
        if name is None:
            raise unregistered_bot(self.token, self.data_dir)
        return name

    async def create_ticket(
        self,
        *,
        conversation_id: str,
        idempotency_key: str,
        title: str,
        description: str,
        priority: Priority,
        user: User,
        transcript: Iterable[TranscriptLine] = (),
    ) -> Ticket:
        await self.check_bot()
        return await super().create_ticket(
            conversation_id=conversation_id, idempotency_key=idempotency_key, title=title, description=description,
            priority=priority, user=user, transcript=transcript,
        )  # fmt: skip
