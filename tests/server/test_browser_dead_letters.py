"""The desk inbox names the dead letters: a handoff the server gave up delivering shows above the tickets, in a
real browser (headless chromium through Playwright, as in test_browser.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit.hitl import HitlPlugin, MemoryHitl, ProviderError
from agentkit.runtime import Agent
from agentkit.server import DatabaseServerStore, ServerThread, create_app

from .server_helpers import PASSWORD, SECRET, desk_agent
from .test_browser import CHROMIUM, CHROMIUM_ARGS, WAIT, _playwright


def _failing_plugin() -> HitlPlugin:
    memory = MemoryHitl()
    memory.fail_next(*[ProviderError("helpdesk: 503", retryable=True, provider="memory") for _ in range(5)])
    return HitlPlugin(memory, retry_attempts=1, max_attempts=1, retry_initial_delay=0.01)


async def _bury_one_handoff(tmp_path: Path) -> None:
    """A handoff through the ``memo`` plugin that fails its only attempt: a dead letter in the bot's store."""
    plugin = _failing_plugin()
    async with Agent("support", "offline", plugins={"memo": plugin}, store=f"sqlite:///{tmp_path}/bot.db"):
        with pytest.raises(ProviderError):
            await plugin.actions.start_hitl(conversation_id="web-lost-1", title="Refund")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    asyncio.run(_bury_one_handoff(tmp_path))
    store = DatabaseServerStore(tmp_path / "server.sqlite3")
    asyncio.run(store.add_agent("Ana", PASSWORD))
    app = create_app(desk_agent(tmp_path, memo=_failing_plugin()), secret_key=SECRET, store=store)
    try:
        with ServerThread(app) as running:
            yield running.base_url
    finally:
        asyncio.run(store.aclose())


@pytest.mark.slow
def test_the_inbox_shows_the_dead_letters(server: str) -> None:
    manager, expect = _playwright()
    with manager as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            desk = browser.new_page()
            desk.goto(f"{server}/desk")
            desk.fill("#login-name", "Ana")
            desk.fill("#login-password", PASSWORD)
            desk.click("#login button[type=submit]")
            banner = desk.locator("#dead-letters")
            expect(banner).to_be_visible(timeout=WAIT)
            expect(banner).to_have_text("Gave up delivering 1: start for web-lost-1")
        finally:
            browser.close()
