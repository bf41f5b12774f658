"""The whole handoff in a real browser (Debian's headless chromium, driven by Playwright): a user chats and asks
for a person; a desk agent signs in, sees the ticket with its priority, claims it and replies; the user sees the
reply; the agent closes; the user sees that the person left and the bot answers again.

Screenshots go to ``test-artifacts/`` (``desk.png``: the inbox with the ticket open; ``webchat.png``: the chat
with the agent's reply). Without chromium this test fails, saying how to install it; it does not skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit.hitl import SessionConfig
from agentkit.server import DatabaseServerStore, ServerThread, create_app

from .server_helpers import FAST, PASSWORD, SECRET, desk_agent

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
DEFAULTS = SessionConfig()
WAIT = 10_000  # ms; live updates arrive within a poll interval (0.2 s) when all is well


def _playwright() -> tuple[Any, Any]:
    """Playwright and its ``expect``; a failure that says what to install when either part is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure_chromium.sh (as root) to install Debian's chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("the browser test needs Playwright for Python: .venv/bin/pip install playwright")
    return sync_playwright(), expect


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, in a thread: offline model, SQLite files in ``tmp_path``."""
    store = DatabaseServerStore(tmp_path / "server.sqlite3", password_cost=FAST)
    asyncio.run(store.add_agent("Ana", PASSWORD))
    app = create_app(desk_agent(tmp_path, name="Acme Support"), secret_key=SECRET, store=store, poll_interval=0.2)
    try:
        with ServerThread(app) as running:
            yield running.base_url
    finally:
        asyncio.run(store.aclose())


@pytest.mark.slow
def test_handoff_in_the_browser(server: str) -> None:
    manager, expect = _playwright()
    ARTIFACTS.mkdir(exist_ok=True)
    with manager as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            user = browser.new_context(viewport={"width": 760, "height": 860}).new_page()
            desk = browser.new_context(viewport={"width": 1360, "height": 860}).new_page()
            _other_users_escalate(browser, server)

            # The user chats, then asks for a person.
            user.goto(f"{server}/")
            user.fill("#name", "Jo Doe")
            user.fill("#email", "jo@example.com")
            _send(user, "Hi! Where is my order?")
            expect(user.locator(".msg.bot .bubble").last).to_contain_text("track your order", timeout=WAIT)
            _send(user, "It never arrived. I want to talk to a person")
            expect(user.locator(".notice").last).to_have_text(DEFAULTS.on_hitl_handoff_message or "", timeout=WAIT)
            expect(user.locator("#status")).to_contain_text("Waiting for a person", timeout=WAIT)

            # The agent signs in and sees the ticket, with its priority, among the others (most urgent first).
            desk.goto(f"{server}/desk")
            desk.fill("#login-name", "Ana")
            desk.fill("#login-password", PASSWORD)
            desk.click("#login button[type=submit]")
            expect(desk.locator("#tickets li")).to_have_count(3, timeout=WAIT)
            expect(desk.locator("#tickets .badge")).to_have_text(["urgent", "high", "medium"])
            ticket = desk.locator("#tickets li", has_text="User asked to talk to a person")
            expect(ticket.locator(".badge")).to_have_text("medium")
            expect(ticket).to_contain_text("Jo Doe")
            ticket.locator("a").click()
            view = desk.locator("#ticket")
            expect(view.locator("h2")).to_have_text("User asked to talk to a person", timeout=WAIT)
            expect(view.locator(".thread")).to_contain_text("It never arrived. I want to talk to a person")
            expect(view.locator(".facts")).to_contain_text("jo@example.com")

            # Claim: the user is told a person joined. Reply: the user sees it.
            view.get_by_role("button", name="Claim").click()
            expect(view.locator(".facts")).to_contain_text("mine", timeout=WAIT)
            expect(user.locator(".notice").last).to_have_text(DEFAULTS.agent_assigned_message or "", timeout=WAIT)
            expect(user.locator("#status")).to_contain_text("Ana from our support team is with you", timeout=WAIT)
            view.locator(".reply textarea").fill("Hi Jo, I'm Ana. I can see order #4512: it left our warehouse "
                                                 "on Monday. Let me check with the carrier.")  # fmt: skip
            view.get_by_role("button", name="Send reply").click()
            agent_reply = user.locator(".msg.agent")
            expect(agent_reply.locator(".bubble")).to_contain_text("I can see order #4512", timeout=WAIT)
            expect(agent_reply.locator(".who")).to_contain_text("Ana")

            # The user answers; the agent sees it live, without reloading.
            _send(user, "Thank you, Ana! The tracking page still says 'label created'.")
            expect(view.locator(".thread")).to_contain_text("still says 'label created'", timeout=WAIT)
            user.screenshot(path=str(ARTIFACTS / "webchat.png"))
            desk.screenshot(path=str(ARTIFACTS / "desk.png"))

            # Closing asks first: dismissed, nothing happens; accepted, the user hears the session ended, and the bot
            # answers again.
            asked: list[str] = []
            desk.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
            view.get_by_role("button", name="Close ticket").click()
            expect(view.get_by_role("button", name="Send reply")).to_be_visible()
            assert asked and asked[0].startswith("Close ") and "goes back to the bot" in asked[0]
            desk.once("dialog", lambda dialog: dialog.accept())
            view.get_by_role("button", name="Close ticket").click()
            expect(view.locator(".facts")).to_contain_text("closed", timeout=WAIT)
            expect(user.locator(".notice").last).to_have_text(DEFAULTS.session_ended_message or "", timeout=WAIT)
            expect(user.locator("#status")).to_have_text("Virtual assistant", timeout=WAIT)
            bot_replies = user.locator(".msg.bot").count()
            _send(user, "How do I reset my password?")
            expect(user.locator(".msg.bot")).to_have_count(bot_replies + 1, timeout=WAIT)
            expect(user.locator(".msg.bot .bubble").last).to_contain_text("Forgot password")
            expect(desk.locator("#tickets li")).to_have_count(2, timeout=WAIT)  # closed tickets leave the inbox
            user.screenshot(path=str(ARTIFACTS / "webchat-after-close.png"))
        finally:
            browser.close()


def _send(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")


def _other_users_escalate(browser: Any, server: str) -> None:
    """Two more conversations that reach the desk, so the inbox has something to sort."""
    for name, text in (("Sam Lee", "Someone used my card, my account was hacked!"),
                       ("Max Weber", "This is the third time I write about it. I'll sue you")):  # fmt: skip
        page = browser.new_page()
        page.goto(f"{server}/")
        page.fill("#name", name)
        _send(page, text)
        page.locator(".notice").wait_for(timeout=WAIT)
        page.close()
