"""The webchat shows a reply as it is written, in a real browser (Debian's chromium, driven by Playwright): a typing
indicator first, then a bubble that fills in while the model (the official openai client against a loopback server
that sends a word every few hundred milliseconds) is still writing, then the stored reply, once.

Screenshot: ``test-artifacts/webchat-streaming.png`` (the half-written reply). Without chromium this test fails,
saying how to install it; it does not skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx2
import openai
import pytest

from agentkit.models import OpenAIModel
from agentkit.server import DatabaseServerStore, ServerThread, create_app
from agentkit.testing import FakeOpenAIServer, Reply

from .server_helpers import FAST, SECRET, desk_agent
from .test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WAIT, _playwright, _send

REPLY = ("Your parcel left our warehouse on Monday and is with the carrier now; "
         "it should reach you by Thursday at the latest.")  # fmt: skip
THINKING = 1.0  # seconds the fake model takes before its first piece: the typing indicator shows meanwhile
GAP = 0.25  # seconds between pieces: the whole reply takes about 5 s to write


async def _thinking_model(body: dict[str, object]) -> Reply:
    await asyncio.sleep(THINKING)
    return Reply(text=REPLY)


@pytest.fixture
def fake_model() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(_thinking_model, chunk_gap=GAP) as server:
        yield server


@pytest.fixture
def server(tmp_path: Path, fake_model: FakeOpenAIServer) -> Iterator[str]:
    # No keep-alive: no connection of the server's event loop is left open when that loop ends.
    http = openai.DefaultAsyncHttpxClient(limits=httpx2.Limits(max_keepalive_connections=0))
    client = openai.AsyncOpenAI(base_url=fake_model.base_url, api_key="test", http_client=http)
    model = OpenAIModel("gpt-4o-mini", client=client)
    store = DatabaseServerStore(tmp_path / "server.sqlite3", password_cost=FAST)
    agent = desk_agent(tmp_path, model, name="Acme Support")
    app = create_app(agent, secret_key=SECRET, store=store, poll_interval=0.2)
    try:
        with ServerThread(app) as running:
            yield running.base_url
    finally:
        asyncio.run(store.aclose())
        asyncio.run(client.close())


@pytest.mark.slow
def test_the_webchat_fills_in_the_reply_before_it_is_complete(server: str, fake_model: FakeOpenAIServer) -> None:
    manager, expect = _playwright()
    ARTIFACTS.mkdir(exist_ok=True)
    with manager as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 760, "height": 860})
            page.goto(f"{server}/")
            _send(page, "Where is my parcel?")

            # Before the first piece: the typing indicator.
            expect(page.locator(".msg.draft.typing .dots")).to_be_visible(timeout=WAIT)

            # The first words are on screen while the rest is still being written.
            draft = page.locator(".msg.draft .bubble")
            expect(draft).to_contain_text("Your parcel", timeout=WAIT)
            partial = draft.text_content() or ""
            assert REPLY.startswith(partial) and len(partial) < len(REPLY), partial
            assert page.locator(".msg.bot").count() == 0  # the stored reply is not there yet
            page.screenshot(path=str(ARTIFACTS / "webchat-streaming.png"))

            # Then the whole reply, once, as the stored message; the draft is gone.
            expect(page.locator(".msg.bot .bubble")).to_have_text(REPLY, timeout=WAIT)
            expect(page.locator(".msg.draft")).to_have_count(0)
            expect(page.locator(".msg.bot")).to_have_count(1)
            page.reload()  # what was stored: one bot message, whole
            expect(page.locator(".msg.bot .bubble")).to_have_text([REPLY], timeout=WAIT)
        finally:
            browser.close()
    streamed = fake_model.model_requests()
    assert len(streamed) == 1 and streamed[0]["stream"] is True
    assert len(fake_model.requests[0].chunks_sent_at) > len(REPLY.split())
