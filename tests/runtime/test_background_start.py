"""An Agent used without ``async with`` (a custom channel calling ``receive``) starts its background work itself."""

from __future__ import annotations

import asyncio

from agentkit.hitl import HitlPlugin, MemoryHitl
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent

USER = {"id": "u1", "name": "Jo Doe"}


async def test_receive_without_async_with_starts_the_background_work_and_aclose_stops_it() -> None:
    memory = MemoryHitl()
    plugin = HitlPlugin(memory)
    agent = Agent("support", ScriptedModel([call("handToSupport", reason="Wants a person")]),
                  plugins={"desk-hitl": plugin})  # fmt: skip
    updates = agent.subscribe("c1")
    await agent.receive("c1", "get me a person", user=USER)
    ticket = memory.only_session()
    async with asyncio.timeout(10):  # the background work subscribes to the helpdesk's events (a fake's detail)
        while not memory._subscriptions:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await memory.assign(ticket.id, "Sam")  # the human's claim reaches the user through the background work
    await memory.reply(ticket.id, "Hi Jo, Sam here.", "Sam")
    seen: list[str] = []
    async with asyncio.timeout(10):
        async for message in updates:
            seen.append(message.text)
            if message.text == "Hi Jo, Sam here.":
                break
    await agent.aclose()
    assert "Hi Jo, Sam here." in seen and memory.closed
