"""Inbound webhooks for every provider: a genuine one applies once; a forged, stale or replayed one changes nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agentkit.hitl._desk import DeskHitl
from agentkit.hitl._memory import MemoryHitl
from agentkit.hitl._plugin import HitlPlugin
from agentkit.hitl._provider import HitlEvent
from agentkit.hitl.providers import FreshdeskProvider, IntercomProvider, WebhookProvider, ZendeskProvider
from agentkit.models import ScriptedModel
from agentkit.runtime import Agent
from agentkit.testing import FakeFreshdesk, FakeIntercom, FakeWebhookReceiver, FakeZendesk

from .lifecycle_helpers import ASSIGNED, FAST, texts

Signed = tuple[dict[str, str], bytes]
STALE = int(time.time()) - 3600


@dataclass
class Helpdesk:
    """One provider with its fake: how the human agent acts, and how its webhooks are signed."""

    plugin: HitlPlugin
    assign: Callable[[str], Any]
    reply: Callable[[str, str], Any]
    sign: Callable[..., Signed]
    stale: dict[str, Any]
    signs_body: bool = True
    """Freshdesk's automation rules send a shared secret header, not a signature: a body edit is not detectable."""


@asynccontextmanager
async def zendesk() -> AsyncIterator[Helpdesk]:
    async with FakeZendesk() as fake:
        provider = ZendeskProvider(fake.url, "bot@example.com", "zd-token", "zd-secret")
        stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(STALE))
        yield Helpdesk(
            HitlPlugin(provider, **FAST),
            fake.assign,
            lambda t, text: fake.comment(t, text),
            fake.signed_webhook,
            {"timestamp": stale},
        )


@asynccontextmanager
async def freshdesk() -> AsyncIterator[Helpdesk]:
    async with FakeFreshdesk() as fake:
        provider = FreshdeskProvider(fake.url, "fd-key", "fd-secret")
        yield Helpdesk(
            HitlPlugin(provider, **FAST),
            fake.assign,
            lambda t, text: fake.reply(t, text),
            fake.signed_webhook,
            {"timestamp": STALE},
            signs_body=False,
        )


@asynccontextmanager
async def intercom() -> AsyncIterator[Helpdesk]:
    async with FakeIntercom() as fake:
        provider = IntercomProvider("ic-token", "ic-secret", admin_id="814860", base_url=fake.url)
        yield Helpdesk(
            HitlPlugin(provider, **FAST),
            fake.assign,
            lambda t, text: fake.reply(t, text),
            fake.signed_webhook,
            {"timestamp": STALE},
        )


@asynccontextmanager
async def webhook() -> AsyncIterator[Helpdesk]:
    async with FakeWebhookReceiver() as fake:
        provider = WebhookProvider(fake.url, "wh-secret")
        yield Helpdesk(
            HitlPlugin(provider, **FAST),
            fake.assign,
            lambda t, text: fake.message(t, text),
            fake.signed_webhook,
            {"timestamp": STALE},
        )


@asynccontextmanager
async def memory() -> AsyncIterator[Helpdesk]:
    fake = MemoryHitl(push=False)

    async def assign(session_id: str) -> Any:
        return await fake.assign(session_id)

    async def reply(session_id: str, text: str) -> Any:
        return await fake.reply(session_id, text)

    yield Helpdesk(HitlPlugin(fake, **FAST), assign, reply, fake.signed_webhook, {"timestamp": STALE})


HELPDESKS: dict[str, Callable[[], AbstractAsyncContextManager[Helpdesk]]] = {
    "zendesk": zendesk, "freshdesk": freshdesk, "intercom": intercom, "webhook": webhook, "memory": memory,
}  # fmt: skip


async def _payload(value: Any) -> Any:
    return await value if hasattr(value, "__await__") else value


@pytest.mark.parametrize("name", sorted(HELPDESKS))
async def test_genuine_webhooks_apply_once_and_bad_ones_change_nothing(name: str, store_url: str) -> None:
    async with HELPDESKS[name]() as helpdesk:
        agent = Agent("support", ScriptedModel([]), plugins={"hitl": helpdesk.plugin}, store=store_url)
        async with agent:
            plugin = helpdesk.plugin
            started = await plugin.actions.start_hitl(
                "c1", "Wants a person", user_id="u1", user_name="Jo Doe", user_email="jo@example.com"
            )
            session_id = started.session.session_id
            assert started.status == "opened" and session_id is not None
            assigned = await _payload(helpdesk.assign(session_id))
            before = (await plugin.session("c1"), await agent.history("c1"))

            # Forged: signed with another secret.
            assert await plugin.handle_webhook(*helpdesk.sign(assigned, secret="not-the-secret")) == 401
            # Stale: a genuine signature from an hour ago, outside the replay window.
            assert await plugin.handle_webhook(*helpdesk.sign(assigned, **helpdesk.stale)) == 401
            # Tampered: a genuine signature over another body.
            if helpdesk.signs_body:
                headers, body = helpdesk.sign(assigned)
                assert await plugin.handle_webhook(headers, body.replace(b"Ana", b"Eve")) == 401
            assert (await plugin.session("c1"), await agent.history("c1")) == before

            # Genuine: applied once; the same delivery again (a replay, or the helpdesk retrying) is ignored.
            genuine = helpdesk.sign(assigned)
            assert await plugin.handle_webhook(*genuine) == 200
            after = (await plugin.session("c1"), await agent.history("c1"))
            assert after[0] is not None and after[0].state == "assigned"
            assert texts(after[1])[-1] == ("system", ASSIGNED)
            assert await plugin.handle_webhook(*genuine) == 202
            assert (await plugin.session("c1"), await agent.history("c1")) == after

            # An agent's reply comes through to the user, once.
            replied = helpdesk.sign(await _payload(helpdesk.reply(session_id, "Hi Jo, Ana here")))
            assert await plugin.handle_webhook(*replied) == 200
            assert await plugin.handle_webhook(*replied) == 202
            assert texts(await agent.history("c1"))[-1:] == [("agent", "Hi Jo, Ana here")]


async def test_the_local_desk_takes_no_webhooks(tmp_path: Path) -> None:
    plugin = DeskHitl(tmp_path / "desk.sqlite3")
    async with Agent("support", ScriptedModel([]), plugins={"desk-hitl": plugin}) as agent:
        await plugin.actions.start_hitl("c1", "Wants a person", user_id="u1")
        before = (await plugin.session("c1"), await agent.history("c1"))
        assert await plugin.handle_webhook({"Content-Type": "application/json"}, b'{"kind": "agent_assigned"}') == 400
        assert (await plugin.session("c1"), await agent.history("c1")) == before


async def test_events_for_unknown_sessions_are_accepted_and_ignored(store_url: str) -> None:
    fake = MemoryHitl(push=False)
    plugin = HitlPlugin(fake)
    async with Agent("support", ScriptedModel([]), plugins={"hitl": plugin}, store=store_url):
        event = HitlEvent("agent_message", "ticket-from-elsewhere", "e1", agent_name="Ana", text="hi")
        assert await plugin.handle_webhook(*fake.signed_webhook(event)) == 202
