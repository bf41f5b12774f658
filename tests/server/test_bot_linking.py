"""Tickets record the registered bot that opened them: a bot in another process hands off through ``BotTokenDesk``
and the desk API names it; a ticket the served bot opens in-process names none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agentkit.cli import main
from agentkit.desk import BotTokenDesk
from agentkit.hitl import DeskHitl
from agentkit.runtime import Agent

from .server_helpers import harness, say, sign_in, start_chat

FIXTURES = Path(__file__).parents[1] / "storage" / "fixtures" / "v0_1_0"


async def test_a_ticket_opened_with_a_bot_token_names_the_bot(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as user, h.client() as ana:
        token = await h.store.add_bot("billing-bot")
        bot_desk = BotTokenDesk(tmp_path / "desk.sqlite3", token=token, store=h.store)
        billing = Agent("billing", "offline", plugins={"desk-hitl": DeskHitl(bot_desk)}, store="sqlite://:memory:")
        async with billing:
            await billing.receive("b1", "hello")
            await billing.plugins["desk-hitl"].actions.start_hitl(conversation_id="b1", title="Refund over the limit")
        await bot_desk.aclose()
        await say(user, await start_chat(user), "I want to talk to a person")  # the served bot, in-process

        await sign_in(ana)
        listed = (await ana.get("/api/desk/tickets")).json()["tickets"]
        opened_by = {t["title"]: (await ana.get(f"/api/desk/tickets/{t['id']}")).json()["bot_name"] for t in listed}
        assert opened_by == {"Refund over the limit": "billing-bot", "User asked to talk to a person": None}


def test_db_status_lists_the_migration_that_records_the_bot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old"
    shutil.copytree(FIXTURES / "sqlite", old)  # agentkit 0.1.0's files
    assert main(["db", "upgrade", "--dry-run", str(old)]) == 0
    assert "desk      would apply 2: tickets: the registered bot that opened them" in capsys.readouterr().out
    assert main(["db", "upgrade", str(old)]) == 0
    capsys.readouterr()
    assert main(["db", "status", str(old)]) == 0
    assert "desk      version 5 of 5   up to date" in capsys.readouterr().out
