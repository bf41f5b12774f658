"""Only registered bots may open tickets on the desk ("deflecting bots").

A bot connects to the desk with a token that ``agentkit desk add-bot NAME`` printed. ``BotTokenDesk`` is a
``LocalDesk`` that checks it before each new ticket (``UnregisteredBot`` otherwise) and records the bot's name on the
ticket (``Ticket.bot_name``); give it to ``DeskHitl`` and ``start_hitl`` fails, with the command to run, while the
token is missing or unknown::

    desk = BotTokenDesk(".agentkit/desk.sqlite3", token=os.environ.get("AGENTKIT_DESK_TOKEN"),
                        store=DeskAccounts(".agentkit/server.sqlite3"))
    agent = Agent("support", plugins={"desk-hitl": DeskHitl(desk)})
"""

from __future__ import annotations

import os

from ._accounts import AccountStore
from ._models import DeskError
from ._service import LocalDesk

__all__ = ["BotTokenDesk", "UnregisteredBot"]

TOKEN_ENV = "AGENTKIT_DESK_TOKEN"


class UnregisteredBot(DeskError):
    """The desk's refusal of a bot whose token is missing or unknown. The HITL provider makes it a ``ProviderError``
    that is not retryable: registering is a step a person takes, so the handoff fails now and the bot keeps the
    conversation."""

    def __init__(self, token: str | None, data_dir: str) -> None:
        problem = f"no bot token is set ({TOKEN_ENV} is empty)" if not token else "the bot's token is not registered"
        super().__init__(
            f"the desk refused this bot: {problem}. Register the bot with `agentkit desk add-bot NAME --data "
            f"{data_dir}` and put the token it prints in the bot's config ({TOKEN_ENV}=...)"
        )


class BotTokenDesk(LocalDesk):
    """A ``LocalDesk`` that opens tickets only for a bot whose ``token`` is registered in ``store``."""

    checks_opening_bot = True

    def __init__(self, url_or_path: str | os.PathLike[str], *, token: str | None, store: AccountStore) -> None:
        super().__init__(url_or_path)
        self.token = token
        self.bots = store
        self.data_dir = os.path.dirname(self.path) or "."

    async def check_bot(self) -> str:
        """The registered name of this desk's bot; ``UnregisteredBot`` saying how to register it if it has none."""
        name = await self.bots.bot_for_token(self.token) if self.token else None
        if name is None:
            raise UnregisteredBot(self.token, self.data_dir)
        return name

    async def _opening_bot(self) -> str | None:
        return await self.check_bot()  # before each new ticket, which records the name (``Ticket.bot_name``)
