"""``MeteredModel``: the meter admits each request before it is sent and hears what it used, or that it failed."""

from __future__ import annotations

import pytest

from agentkit.exceptions import ModelError
from agentkit.models import FunctionModel, MeteredModel, ModelResponse, ScriptedModel, Usage, WrappedModel


class CountingMeter:
    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.settled: list[tuple[str, Usage | None]] = []

    def admit(self, model_name: str) -> None:
        if self.allowed == 0:
            raise ModelError(f"{model_name}: no requests left")
        self.allowed -= 1

    def settle(self, model_name: str, usage: Usage | None) -> None:
        self.settled.append((model_name, usage))


async def test_the_meter_hears_each_request_and_refuses_one_over_its_count() -> None:
    inner = ScriptedModel(["one", "two"])
    meter = CountingMeter(allowed=1)
    model = MeteredModel(inner, meter)
    assert isinstance(model, WrappedModel) and model.name == inner.name
    response = await model.request([{"role": "user", "content": "hi"}])
    assert response.text == "one" and meter.settled == [(inner.name, response.usage)]
    with pytest.raises(ModelError, match="no requests left"):
        await model.request([{"role": "user", "content": "again"}])
    assert len(inner.requests) == 1  # the refused request never reached the model


async def test_a_failed_request_is_settled_without_usage() -> None:
    def broken(messages: object, tools: object) -> ModelResponse:
        raise ModelError("endpoint down")

    meter = CountingMeter(allowed=5)
    with pytest.raises(ModelError, match="endpoint down"):
        await MeteredModel(FunctionModel(broken), meter).request([{"role": "user", "content": "hi"}])
    assert meter.settled == [("function", None)]
