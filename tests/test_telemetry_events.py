"""Telemetry events for metrics: what observers hear from a run over the fake OpenAI server, retries included."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from agentkit import execute, telemetry
from agentkit.exceptions import ModelError
from agentkit.models import Backoff, OpenAIModel
from agentkit.testing import FakeOpenAIServer, Fault

FAST = Backoff(base=0.01, cap=0.05)
USER = [{"role": "user", "content": "hi"}]


@pytest.fixture
def heard() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    events: list[tuple[str, dict[str, Any]]] = []

    def observer(event: str, data: Mapping[str, Any]) -> None:
        events.append((event, dict(data)))

    telemetry.add_observer(observer)
    yield events
    telemetry.remove_observer(observer)
    assert not telemetry.observing()


async def test_a_retried_request_is_one_request_and_one_retry(heard: list[tuple[str, dict[str, Any]]]) -> None:
    async with FakeOpenAIServer() as server:
        server.enqueue_fault(Fault.status(503))
        server.enqueue(text="hello")
        async with OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test", backoff=FAST) as model:
            result = await execute("Be brief.", messages=USER, model=model)
    assert result.text == "hello"
    names = [event for event, _ in heard]
    assert names == ["model_retry", "model_request"]  # a plain execute is no agent turn: no "turn" event
    assert heard[1][1]["model"] == "gpt-4o-mini" and heard[1][1]["outcome"] == "ok"
    assert heard[1][1]["seconds"] >= 0


async def test_a_failed_request_is_counted_as_an_error(heard: list[tuple[str, dict[str, Any]]]) -> None:
    async with FakeOpenAIServer() as server:
        server.enqueue_fault(Fault.status(400))
        async with OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test", backoff=FAST) as model:
            with pytest.raises(ModelError):
                await execute("Be brief.", messages=USER, model=model)
    assert [(event, data.get("outcome")) for event, data in heard] == [("model_request", "error")]
