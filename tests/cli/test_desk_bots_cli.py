"""``agentkit desk bots`` lists the registered bots and revokes one: its token then opens no more tickets."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from agentkit.cli import main
from agentkit.desk import BotTokenDesk, UnregisteredBot
from agentkit.server import DatabaseServerStore


def test_list_and_revoke_a_bot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path)
    assert main(["desk", "bots", "--data", data]) == 0
    assert "no bots registered; register one with: agentkit desk add-bot NAME" in capsys.readouterr().out
    assert main(["desk", "add-bot", "support-bot", "--data", data]) == 0
    token = re.search(r"AGENTKIT_DESK_TOKEN=(\S+)", capsys.readouterr().out)
    assert token is not None
    assert main(["desk", "add-bot", "billing-bot", "--data", data]) == 0
    capsys.readouterr()
    assert main(["desk", "bots", "--data", data]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == ["billing-bot", "support-bot"]

    assert main(["desk", "bots", "--revoke", "support-bot", "--data", data]) == 0
    assert "bot 'support-bot' is revoked" in capsys.readouterr().out
    asyncio.run(_refused(tmp_path, token.group(1)))
    assert main(["desk", "bots", "--revoke", "support-bot", "--data", data]) == 2
    assert "no bot named 'support-bot' is registered" in capsys.readouterr().err


async def _refused(data: Path, token: str) -> None:
    store = DatabaseServerStore(data / "server.sqlite3")
    desk = BotTokenDesk(data / "desk.sqlite3", token=token, store=store)
    try:
        with pytest.raises(UnregisteredBot, match="the bot's token is not registered"):
            await desk.check_bot()
    finally:
        await desk.aclose()
        await store.aclose()
