"""The examples run: the seed bot on the desk, and the same tool behind the same alias on (a fake) Zendesk."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from agentkit.testing import FakeZendesk

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HANDOFF = "I have escalated this conversation to a human agent. They should be with you shortly."


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in an empty folder, with the examples folder importable, and forget the imported examples after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.delenv("AGENTKIT_MODEL", raising=False)
    yield tmp_path
    for name in ("support_bot", "zendesk_bot", "handoff_by_hand"):
        sys.modules.pop(name, None)


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


async def test_support_bot_escalates_to_the_desk_with_the_offline_model(in_tmp: Path) -> None:
    bot = load("support_bot")
    async with bot.agent as agent:
        replies = await agent.receive("c1", "I want to talk to a person", user={"id": "u1", "name": "Jo"})
        (ticket,) = await agent.plugins["desk-hitl"].desk.tickets()
    assert [(m.role, m.text) for m in replies] == [("system", HANDOFF)]
    assert ticket.user.name == "Jo" and (in_tmp / ".agentkit" / "desk.sqlite3").is_file()


async def test_zendesk_bot_reuses_the_tool_with_another_provider(in_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeZendesk() as fake:
        for name, value in {
            "ZENDESK_SUBDOMAIN": fake.url, "ZENDESK_EMAIL": "bot@example.com",
            "ZENDESK_API_TOKEN": "zd-token", "ZENDESK_WEBHOOK_SECRET": "zd-secret",
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        zendesk_bot = load("zendesk_bot")
        support_bot = sys.modules["support_bot"]
        try:
            assert zendesk_bot.handler is support_bot.handler  # the tool's code is not touched
            async with zendesk_bot.agent as agent:
                replies = await agent.receive("c1", "I want to talk to a person", user={"id": "u1", "name": "Jo"})
        finally:
            await support_bot.agent.aclose()
    assert [(m.role, m.text) for m in replies] == [("system", HANDOFF)]
    (ticket,) = fake.tickets.values()
    assert ticket["external_id"] == "c1"


async def test_handoff_by_hand_plays_both_sides(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demo = load("handoff_by_hand")
    await demo.main(str(in_tmp))
    out = capsys.readouterr().out
    assert "Ana> Hi Jo, I'm Ana." in out and "is now closed" in out
