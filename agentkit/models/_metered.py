"""``MeteredModel``: a model wrapper that reports every request to a meter, which may refuse it.

A meter is whatever keeps the count: the tuning budget (requests and dollars against a ledger on disk), a quota
per tenant, a usage log. The wrapper only asks before each request and tells after it, so the model layer knows
nothing of what is counted or why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ._base import Message, Model, ModelResponse, ToolSpecSource, Usage
from ._wrapped import WrappedModel

__all__ = ["MeteredModel", "RequestMeter"]


class RequestMeter(Protocol):
    def admit(self, model_name: str) -> None:
        """Called before each request; raise (a ``ModelError``, to end the run cleanly) to refuse it."""
        ...

    def settle(self, model_name: str, usage: Usage | None) -> None:
        """Called after each admitted request: its usage, or None when it failed."""
        ...


class MeteredModel(WrappedModel):
    """Wraps ``model`` so that ``meter`` admits each of its requests and hears what each one used."""

    def __init__(self, model: Model, meter: RequestMeter) -> None:
        super().__init__(model)
        self.meter = meter

    async def request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        self.meter.admit(self.name)
        try:
            response = await self.model.request(messages, tools, settings)
        except BaseException:
            self.meter.settle(self.name, None)
            raise
        self.meter.settle(self.name, response.usage)
        return response
