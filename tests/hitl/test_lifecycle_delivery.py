"""Nothing lost, nothing doubled: retries with one idempotency key, the outbox, background redelivery."""

from __future__ import annotations

import time
from typing import Any

from agentkit.hitl._plugin import HitlPlugin
from agentkit.hitl.providers import ZendeskProvider
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent
from agentkit.testing import FakeZendesk, Fault, eventually

from .lifecycle_helpers import DELAYED, FAST, HANDOFF, USER, next_messages, texts


def zendesk_agent(fake: FakeZendesk, store: str, *, timeout: float = 5.0, **config: Any) -> Agent:
    provider = ZendeskProvider(fake.url, "bot@example.com", "zd-token", "zd-secret", timeout=timeout)
    model = ScriptedModel([call("handToSupport", reason="Refund dispute", priority="urgent")])
    return Agent("support", model, plugins={"zendesk": HitlPlugin(provider, **{**FAST, **config})}, store=store)


def ticket_creates(fake: FakeZendesk) -> list[Any]:
    return [r for r in fake.requests if r.method == "POST" and r.path == "/api/v2/tickets.json"]


async def test_500_500_201_makes_one_ticket_with_one_idempotency_key(store_url: str) -> None:
    async with FakeZendesk() as fake:
        fake.inject(Fault.status(500), Fault.status(500))
        async with zendesk_agent(fake, store_url) as agent:
            replies = await agent.receive("c1", "I want my money back, get me a person", user=USER)
            state = await agent.plugins["zendesk"].state("c1")
    creates = ticket_creates(fake)
    assert len(creates) == 3
    assert {r.headers["idempotency-key"] for r in creates} == {"c1:1"}
    (ticket,) = fake.tickets.values()
    assert (ticket["subject"], ticket["priority"], ticket["external_id"]) == ("Refund dispute", "urgent", "c1")
    assert "I want my money back" in ticket["description"] and "Jo Doe" in ticket["description"]
    assert texts(replies) == [("system", HANDOFF)] and state == "pending"


async def test_a_stalled_response_is_retried_with_the_same_key(store_url: str) -> None:
    async with FakeZendesk() as fake:
        fake.inject(Fault.stall(3600))
        # 2 s: the stalled try times out, and a slow machine's answer to the retry still comes in time.
        async with zendesk_agent(fake, store_url, timeout=2.0) as agent:
            replies = await agent.receive("c1", "get me a person", user=USER)
    creates = ticket_creates(fake)
    assert len(creates) >= 2 and {r.headers["idempotency-key"] for r in creates} == {"c1:1"}
    assert len(fake.tickets) == 1
    assert texts(replies) == [("system", HANDOFF)]


async def test_while_the_helpdesk_is_down_the_user_is_told_and_the_escalation_is_sent_later(store_url: str) -> None:
    async with FakeZendesk() as fake:
        fake.inject(*[Fault.status(503)] * 10_000)  # down, however many tries the background passes make, until cleared
        agent = zendesk_agent(fake, store_url, retry_attempts=3, redeliver_interval=0.2, redeliver_max_delay=0.5)
        updates = agent.subscribe("c1")
        async with agent:
            replies = await agent.receive("c1", "get me a person", user=USER)
            assert texts(replies) == [("system", DELAYED)]
            assert fake.tickets == {} and await agent.plugins["zendesk"].state("c1") == "pending"
            # The user keeps writing: nothing is lost while the ticket does not exist yet.
            assert texts(await agent.receive("c1", "my order is 42")) == [("system", DELAYED)]
            await next_messages(updates, 4)
            assert fake.tickets == {}
            fake.clear_faults()  # the helpdesk is back
            # The background deliverer gets through: one ticket, the waiting message after it, and the user is told.
            assert texts(await next_messages(updates, 1, wait=30)) == [("system", HANDOFF)]
            await eventually(lambda: _comments(fake) == ["my order is 42"], seconds=30)
    assert len(fake.tickets) == 1
    creates = ticket_creates(fake)
    assert len(creates) >= 4 and {r.headers["idempotency-key"] for r in creates} == {"c1:1"}


def _comments(fake: FakeZendesk) -> list[str]:
    """The comments added to the one ticket after the one that opened it (none while there is no ticket)."""
    return [c["body"] for ticket_id in fake.tickets for c in fake.comments[ticket_id]][1:]


async def test_a_stalled_helpdesk_keeps_the_user_waiting_only_the_inline_delivery_time(store_url: str) -> None:
    async with FakeZendesk() as fake:
        fake.inject(Fault.stall(3600))
        # The provider's own timeout (10 s) is cut to what is left of the inline delivery's 1 s.
        agent = zendesk_agent(fake, store_url, timeout=10.0, inline_delivery_seconds=1.0, redeliver_interval=0.2)
        async with agent:
            started = time.monotonic()
            replies = await agent.receive("c1", "get me a person", user=USER)
            waited = time.monotonic() - started
            assert texts(replies) == [("system", DELAYED)]
            await eventually(lambda: len(fake.tickets) == 1, seconds=30)  # the background deliverer sends it
    assert waited < 8  # a generous bound: 1 s of inline delivery, against 10 s x 4 tries before
    assert {r.headers["idempotency-key"] for r in ticket_creates(fake)} == {"c1:1"}
