"""A HITL session is read several times per relayed message: its config and user are parsed once per distinct
stored JSON, and a session never gets another's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentkit.hitl._config import SessionConfig
from agentkit.hitl._memory import MemoryHitl
from agentkit.hitl._plugin import HitlPlugin
from agentkit.models import ScriptedModel
from agentkit.runtime import Agent

from .lifecycle_helpers import FAST, HANDOFF


async def test_sessions_share_a_parsed_config_and_each_keeps_its_own_overrides_and_user(store_url: str) -> None:
    plugin = HitlPlugin(MemoryHitl(), **FAST)
    async with Agent("support", ScriptedModel([]), plugins={"desk-hitl": plugin}, store=store_url) as agent:
        await agent.receive("c1", "hi", user={"id": "u1", "name": "Jo"})
        await agent.receive("c2", "hi", user={"id": "u2", "email": "al@example.com"})
        await agent.receive("c3", "hi", user={"id": "u3"})
        await plugin.actions.start_hitl("c1", "Refund")
        await plugin.actions.start_hitl("c2", "Refund")
        await plugin.actions.start_hitl("c3", "VIP", configuration_overrides={"onHitlHandoffMessage": "A VIP agent."})
        await agent.receive("c1", "still there?")  # relayed: reads the session again

        first, again = await plugin.session("c1"), await plugin.session("c1")
        second, vip = await plugin.session("c2"), await plugin.session("c3")

    assert first is not None and again is not None and second is not None and vip is not None
    assert first.config is again.config is second.config  # parsed once, not at every read
    assert first.config.on_hitl_handoff_message == HANDOFF
    assert vip.config.on_hitl_handoff_message == "A VIP agent."
    assert first.user is again.user
    assert [(s.user.id, s.user.name, s.user.email) for s in (first, second, vip)] == [
        ("u1", "Jo", None), ("u2", None, "al@example.com"), ("u3", None, None),
    ]  # fmt: skip


async def test_the_plugins_settings_are_made_json_once_for_every_session_that_keeps_them(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handoff without setting overrides stores the plugin's settings as the plugin made them once (the JSON the
    relayed messages' queueing compares with), not a copy of the config made JSON again at each handoff."""
    made: list[SessionConfig] = []
    to_json = SessionConfig.to_json

    def counted(config: SessionConfig) -> dict[str, Any]:
        made.append(config)
        return to_json(config)

    monkeypatch.setattr(SessionConfig, "to_json", counted)
    plugin = HitlPlugin(MemoryHitl(), **FAST)
    async with Agent("support", ScriptedModel([]), plugins={"desk-hitl": plugin}, store=store_url) as agent:
        for conversation in ("c1", "c2", "c3"):
            await agent.receive(conversation, "hi")
        await plugin.actions.start_hitl("c1", "Refund")
        await plugin.actions.start_hitl("c2", "Refund", configuration_overrides={"ticket_tags": ["vip"]})
        assert made == [plugin.config]  # once, for both sessions
        await plugin.actions.start_hitl("c3", "VIP", configuration_overrides={"onHitlHandoffMessage": "A VIP agent."})
        assert len(made) == 2 and made[1].on_hitl_handoff_message == "A VIP agent."
        stored = await agent.store.run(
            lambda c: [r["config_json"] for r in c.execute("SELECT config_json FROM hitl_sessions ORDER BY id")],
            write=False,
        )
    assert stored[0] == stored[1] == json.dumps(to_json(plugin.config))
    assert json.loads(stored[2])["on_hitl_handoff_message"] == "A VIP agent."
