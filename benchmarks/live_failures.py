"""How long a person waits when something behind the bot fails, with agentkit's defaults. Run:

    .venv/bin/python benchmarks/live_failures.py

1. A model endpoint that takes the request and never answers: from ``receive`` to the failure message.
2. The same with ``on_model_failure="handoff"``: from ``receive`` to the ticket (and the handoff notice).
3. A helpdesk (Zendesk) that never answers: from ``receive`` to the "we're having trouble" notice.
4. A bot process killed (-9) while its escalation is in flight: from the restart to the ticket.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable

from agentkit.hitl import HitlPlugin, MemoryHitl
from agentkit.hitl.providers import ZendeskProvider
from agentkit.models import OpenAIModel, ScriptedModel, call
from agentkit.runtime import Agent
from agentkit.testing import FakeOpenAIServer, Fault
from agentkit.testing._fake_helpdesks import FakeZendesk

FOREVER = 3600.0
CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from agentkit.hitl import HitlPlugin
    from agentkit.hitl.providers import ZendeskProvider
    from agentkit.models import ScriptedModel, call
    from agentkit.runtime import Agent

    async def main(helpdesk, store):
        provider = ZendeskProvider(helpdesk, "bot@example.com", "zd-token", "zd-secret", timeout=3600)
        model = ScriptedModel([call("handToSupport", reason="Refund dispute")])
        agent = Agent("support", model, plugins={"zendesk": HitlPlugin(provider, inline_delivery_seconds=3600)},
                      store=store, turn_timeout=3600)
        await agent.receive("c1", "get me a person")

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def until(check: Callable[[], bool], limit: float = 120.0) -> None:
    async with asyncio.timeout(limit):
        while not check():  # noqa: ASYNC110 - the fakes change state on their own thread
            await asyncio.sleep(0.02)


async def timed(work: Awaitable[object]) -> float:
    started = time.monotonic()
    await work
    return time.monotonic() - started


async def stalled_model(on_failure: str) -> float:
    with FakeOpenAIServer() as server:
        server.inject(*[Fault.stall(FOREVER)] * 10)
        memory = MemoryHitl()
        async with OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test") as model, Agent(
            "support", model, plugins={"desk-hitl": HitlPlugin(memory)}, on_model_failure=on_failure  # type: ignore[arg-type]
        ) as agent:
            took = await timed(agent.receive("c1", "where is my parcel?"))
        assert on_failure == "apologize" or len(memory.sessions) == 1
        return took


async def stalled_helpdesk() -> float:
    async with FakeZendesk() as fake:
        fake.inject(Fault.stall(FOREVER))
        provider = ZendeskProvider(fake.url, "bot@example.com", "zd-token", "zd-secret")
        model = ScriptedModel([call("handToSupport", reason="Refund dispute")])
        async with Agent("support", model, plugins={"zendesk": HitlPlugin(provider)}) as agent:
            return await timed(agent.receive("c1", "get me a person"))


async def killed_mid_delivery() -> float:
    folder = tempfile.mkdtemp()
    store = f"sqlite:///{folder}/bot.sqlite3"
    async with FakeZendesk() as fake:
        fake.inject(Fault.stall(FOREVER))
        child = await asyncio.create_subprocess_exec(sys.executable, "-c", CHILD, fake.url, store)
        await until(lambda: len(fake.requests) == 1)
        os.kill(child.pid, signal.SIGKILL)
        await child.wait()
        provider = ZendeskProvider(fake.url, "bot@example.com", "zd-token", "zd-secret")
        async with Agent("support", ScriptedModel([]), plugins={"zendesk": HitlPlugin(provider)}, store=store):
            took = await timed(until(lambda: len(fake.tickets) == 1))
        assert len(fake.tickets) == 1
        return took


async def main() -> None:
    print(f"stalled model endpoint -> failure message: {await stalled_model('apologize'):.1f} s")
    print(f"stalled model endpoint -> ticket (handoff): {await stalled_model('handoff'):.1f} s")
    print(f"stalled helpdesk -> 'having trouble' notice: {await stalled_helpdesk():.1f} s")
    print(f"kill -9 mid-delivery -> ticket after restart: {await killed_mid_delivery():.1f} s")


if __name__ == "__main__":
    asyncio.run(main())
