"""A message relayed to the person is queued and claimed in one transaction (no claim of its own), unless an older
row of its session is still queued: then it waits its turn. A process that dies after queueing it leaves it to the
next deliverer once the claim has run out, and it is sent once."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.hitl._memory import MemoryHitl
from agentkit.hitl._plugin import HitlPlugin
from agentkit.hitl._provider import ProviderError
from agentkit.models import ScriptedModel
from agentkit.runtime import Agent
from agentkit.testing import eventually

from .lifecycle_helpers import DELAYED, FAST, texts


def relay_agent(memory: MemoryHitl, store_url: str, **config: Any) -> Agent:
    plugin = HitlPlugin(memory, **FAST, **config)
    return Agent("support", ScriptedModel([]), plugins={"desk-hitl": plugin}, store=store_url)


async def test_a_message_behind_one_still_queued_waits_and_both_reach_the_person_in_order(store_url: str) -> None:
    memory = MemoryHitl()
    async with relay_agent(memory, store_url, retry_attempts=1, redeliver_interval=30) as agent:
        plugin = agent.plugins["desk-hitl"]
        await plugin.actions.start_hitl("c1", "Refund")
        memory.fail_next(ProviderError("memory: 503", retryable=True, provider="memory", status=503))
        assert texts(await agent.receive("c1", "first")) == [("system", DELAYED)]  # queued for later
        await agent.receive("c1", "second")  # not sent before "first", nor claimed past it
        assert memory.only_session().user_messages == []
        assert await plugin.redeliver() == 2
    assert memory.only_session().user_messages == ["first", "second"]


class _Died(Exception):
    """The process dies: nothing after this point of the relay runs."""


async def test_a_process_that_dies_after_queueing_a_message_leaves_it_to_the_next_one_sent_once(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = MemoryHitl()

    async def die(*args: Any, **kwargs: Any) -> Any:
        raise _Died

    async with relay_agent(memory, store_url, claim_seconds=0.3) as agent:
        plugin = agent.plugins["desk-hitl"]
        await plugin.actions.start_hitl("c1", "Refund")
        monkeypatch.setattr(plugin.deliverer, "deliver", die)
        with pytest.raises(_Died):
            await agent.receive("c1", "for the person")
        other = plugin.copy()  # another process: the row is claimed, it sends nothing while the claim holds
        async with Agent("support", ScriptedModel([]), plugins={"desk-hitl": other}, store=store_url):
            assert await other.deliverer.deliver_due(force=True) == 0
    assert memory.only_session().user_messages == []
    restarted = relay_agent(memory, store_url)
    async with restarted:  # its background deliverer, or redeliver, takes it over once the claim ran out
        await restarted.plugins["desk-hitl"].redeliver()
        await eventually(lambda: memory.only_session().user_messages == ["for the person"])
        assert await restarted.plugins["desk-hitl"].redeliver() == 0
    assert memory.only_session().user_messages == ["for the person"]
