"""An outbox row that can never be delivered becomes a dead letter after ``max_attempts`` attempts instead of being
retried forever: it stays in the outbox for the operator (``agentkit hitl outbox``), is never sent again, and
the user, who was told a person was coming, hears that the handoff broke."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agentkit.cli import main
from agentkit.exceptions import ConfigError
from agentkit.hitl import HitlPlugin, MemoryHitl, ProviderError
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent, outbox_entries

from .lifecycle_helpers import BROKEN, DELAYED, FAST, USER, texts


def _down(count: int) -> list[ProviderError]:
    return [ProviderError("memory: 503", retryable=True, provider="memory") for _ in range(count)]


async def test_a_row_that_keeps_failing_becomes_a_dead_letter(store_url: str) -> None:
    memory = MemoryHitl()
    memory.fail_next(*_down(100))
    plugin = HitlPlugin(memory, retry_attempts=1, max_attempts=3, redeliver_interval=3600, **FAST)
    model = ScriptedModel([call("handToSupport", reason="Wants a person"), "OK, how else can I help?"])
    async with Agent("support", model, plugins={"desk-hitl": plugin}, store=store_url) as agent:
        assert texts(await agent.receive("c1", "Get me a human", user=USER)) == [("system", DELAYED)]  # attempt 1
        assert await plugin.outbox() == []
        assert await plugin.redeliver() == 0  # attempt 2: still queued
        [queued] = await plugin.outbox("queued")
        assert queued.attempts == 2 and queued.kind == "start"
        before = len(await agent.history("c1"))
        assert await plugin.redeliver() == 0  # attempt 3: buried
        [dead] = await plugin.outbox()
        assert (dead.id, dead.status, dead.attempts, dead.conversation_id) == (queued.id, "dead", 3, "c1")
        assert "gave up after 3 attempts" in (dead.last_error or "")
        assert await plugin.outbox("queued") == []
        assert texts((await agent.history("c1"))[before:]) == [("system", BROKEN)]
        assert await plugin.state("c1") == "ended"
        calls = len(memory.start_calls)
        assert await plugin.redeliver() == 0 and len(memory.start_calls) == calls == 3  # never tried again
        assert texts(await agent.receive("c1", "never mind")) == [("bot", "OK, how else can I help?")]
        assert [e.id for e in await outbox_entries(agent.store, agent.plugins)] == [dead.id]


async def test_a_row_that_succeeds_before_its_last_attempt_is_delivered(store_url: str) -> None:
    memory = MemoryHitl()
    memory.fail_next(*_down(2))
    plugin = HitlPlugin(memory, retry_attempts=1, max_attempts=3, redeliver_interval=3600, **FAST)
    model = ScriptedModel([call("handToSupport", reason="Wants a person")])
    async with Agent("support", model, plugins={"desk-hitl": plugin}, store=store_url) as agent:
        await agent.receive("c1", "Get me a human", user=USER)
        assert await plugin.redeliver() == 0
        assert await plugin.redeliver() == 1  # the third attempt goes through
        assert await plugin.outbox() == [] and await plugin.state("c1") == "pending"


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="max_attempts"):
        HitlPlugin(MemoryHitl(), max_attempts=0)


def test_agentkit_hitl_outbox_lists_the_dead_letters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = tmp_path / "bot.py"
    bot.write_text(
        textwrap.dedent(f"""
        from agentkit.hitl import HitlPlugin, MemoryHitl
        from agentkit.runtime import Agent

        agent = Agent("support", "offline", plugins={{"desk-hitl": HitlPlugin(MemoryHitl())}},
                      store="sqlite:///{tmp_path}/bot.db")
    """)
    )
    monkeypatch.chdir(tmp_path)
    assert main(["hitl", "outbox", str(bot)]) == 0
    assert "no outbox rows with status dead" in capsys.readouterr().out

    import asyncio

    async def bury_one() -> None:
        memory = MemoryHitl()
        memory.fail_next(*_down(10))
        plugin = HitlPlugin(memory, retry_attempts=1, max_attempts=1, **FAST)
        model = ScriptedModel([call("handToSupport", reason="Wants a person")])
        async with Agent("support", model, plugins={"desk-hitl": plugin}, store=f"sqlite:///{tmp_path}/bot.db") as a:
            await a.receive("web-42", "Get me a human", user=USER)

    asyncio.run(bury_one())
    assert main(["hitl", "outbox", str(bot)]) == 0
    out = capsys.readouterr().out
    assert "desk-hitl" in out and "start" in out and "dead" in out and "web-42" in out and "memory: 503" in out
    assert main(["hitl", "outbox", str(bot), "--status", "queued"]) == 0
    assert "no outbox rows with status queued" in capsys.readouterr().out
