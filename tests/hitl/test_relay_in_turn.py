"""A message for the person is queued in the transaction that stores it (the turn's first), when the open session
takes it as it is: a process that dies right after that commit leaves it queued, and it reaches the person once.
What is not that plain case (a close command, a session with settings of its own) is decided by ``intercept``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentkit.hitl._memory import MemoryHitl
from agentkit.hitl._plugin import HitlPlugin
from agentkit.models import ScriptedModel
from agentkit.runtime import Agent
from agentkit.testing import eventually

from .lifecycle_helpers import CLOSED, FAST, texts


def memory_agent(memory: MemoryHitl, store_url: str, **config: Any) -> Agent:
    plugin = HitlPlugin(memory, **FAST, **config)
    return Agent("support", ScriptedModel([]), plugins={"desk-hitl": plugin}, store=store_url)


class _Died(Exception):
    """The process dies: nothing of the turn after its first transaction runs."""


async def test_a_process_that_dies_after_storing_a_message_for_the_person_still_sends_it_once(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = MemoryHitl()

    async def die(*args: Any, **kwargs: Any) -> Any:
        raise _Died

    async with memory_agent(memory, store_url, claim_seconds=0.3) as agent:
        plugin = agent.plugins["desk-hitl"]
        await plugin.actions.start_hitl("c1", "Refund")
        monkeypatch.setattr(plugin, "intercept", die)  # dies once the message is stored, before intercept
        with pytest.raises(_Died):
            await agent.receive("c1", "for the person")
        assert [m.text for m in await agent.history("c1")][-1:] == ["for the person"]
    restarted = memory_agent(memory, store_url)
    async with restarted:  # the row was queued with the message: sent once its claim ran out
        await restarted.plugins["desk-hitl"].redeliver()
        await eventually(lambda: memory.only_session().user_messages == ["for the person"])
        assert await restarted.plugins["desk-hitl"].redeliver() == 0
    assert memory.only_session().user_messages == ["for the person"]


async def test_the_close_command_of_a_session_with_its_own_settings_ends_it_and_is_not_relayed(
    store_url: str,
) -> None:
    memory = MemoryHitl()
    async with memory_agent(memory, store_url) as agent:
        plugin = agent.plugins["desk-hitl"]
        await plugin.actions.start_hitl("c1", "Refund", configuration_overrides={"userHitlCloseCommand": "/quit"})
        await agent.receive("c1", "hello there")  # relayed, though the session's settings are not the plugin's
        replies = await agent.receive("c1", " /QUIT ")

        assert ("system", CLOSED) in texts(replies)
        assert memory.only_session().user_messages == ["hello there"]
        assert await plugin.state("c1") == "ended"


async def test_a_relayed_message_is_queued_with_the_id_of_the_stored_message(store_url: str) -> None:
    memory = MemoryHitl()
    async with memory_agent(memory, store_url, deliver_inline=False) as agent:
        plugin = agent.plugins["desk-hitl"]
        await plugin.actions.start_hitl("c1", "Refund")
        await agent.receive("c1", "same words")
        await agent.receive("c1", "same words")
        stored = [m.id for m in await agent.history("c1") if m.role == "user" and m.text == "same words"]
        rows = await agent.store.run(
            lambda c: c.execute(
                "SELECT payload_json, told_user FROM hitl_outbox WHERE kind = 'message' ORDER BY id"
            ).fetchall(),
            write=False,
        )
        assert [json.loads(r["payload_json"]) for r in rows] == [
            {"text": "same words", "message_id": stored[0]}, {"text": "same words", "message_id": stored[1]},
        ]  # fmt: skip
        assert [r["told_user"] for r in rows] == [1, 1]  # not inline: the user is told at once it went on
        await plugin.redeliver()
        await eventually(lambda: [s.user_messages for s in memory.sessions.values()] == [["same words"] * 2])
