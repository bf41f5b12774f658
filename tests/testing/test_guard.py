from __future__ import annotations

import os
import sys
from typing import Any

import httpx2
import openai
import pytest

from agentkit.testing import FakeOpenAIServer, RemoteRequestBlocked, block_remote_requests

# Audit hooks cannot be removed, so this one only records while a test switches it on.
_network_events: list[tuple[str, Any]] | None = None


def _audit(event: str, args: Any) -> None:
    if _network_events is not None and event in ("socket.connect", "socket.getaddrinfo"):
        _network_events.append((event, args))


sys.addaudithook(_audit)


@pytest.fixture
def network_events() -> Any:
    global _network_events
    _network_events = []
    yield _network_events
    _network_events = None


async def test_openai_client_to_api_openai_com_is_blocked_without_network_traffic(
    network_events: list[tuple[str, Any]],
) -> None:
    async with openai.AsyncOpenAI(max_retries=0) as client:
        with pytest.raises(RemoteRequestBlocked, match="api.openai.com"):
            await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert network_events == []


def test_sync_httpx2_client_is_blocked_too(network_events: list[tuple[str, Any]]) -> None:
    with httpx2.Client() as client, pytest.raises(RemoteRequestBlocked, match="FakeOpenAIServer"):
        client.get("https://example.com/")
    assert network_events == []


async def test_loopback_servers_stay_reachable() -> None:
    async with FakeOpenAIServer(handler=lambda body: "ok") as server, openai.AsyncOpenAI(
        base_url=server.base_url, max_retries=0
    ) as client:
        reply = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "ok"


def test_allowing_a_host_lets_its_requests_through() -> None:
    with block_remote_requests(allow=["127.0.0.2"]), httpx2.Client() as client:
        with pytest.raises(httpx2.ConnectError):  # nothing listens there; the point is the guard let it pass
            client.get("http://127.0.0.2:9/")
    with httpx2.Client() as client, pytest.raises(RemoteRequestBlocked):
        client.get("http://127.0.0.2:9/")  # the outer guard (from conftest) is back


def test_the_guard_is_not_swallowed_by_except_exception() -> None:
    with httpx2.Client() as client, pytest.raises(RemoteRequestBlocked):
        try:
            client.get("https://api.openai.com/v1/models")
        except Exception:  # what a tool loop turning errors into model messages does
            pass


def test_tests_run_with_a_dummy_key_and_the_default_base_url() -> None:
    assert os.environ["OPENAI_API_KEY"] == "sk-test-not-a-real-key"
    assert "OPENAI_BASE_URL" not in os.environ
