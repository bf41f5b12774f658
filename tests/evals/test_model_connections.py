"""A run given a model string builds the model itself, so it closes it: no HTTP connection of the run outlives it.

They used to stay open in a cache of string models; when the cache let one go, long after its test's event loop had
closed, the collector finalized its sockets during some later test ("unclosed <socket.socket ...>" on ~16-32
connections to one loopback port), which is why pytest had to ignore those warnings."""

from __future__ import annotations

import pytest

from agentkit.evals import EscalationCase, EvalBot, run_eval
from agentkit.testing import FakeOpenAIServer, eventually

from .runner_fakes import keyword_server_handler


async def test_an_eval_run_closes_the_connections_of_the_model_it_built(
    small_cases: list[EscalationCase], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeOpenAIServer(handler=keyword_server_handler) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        run = await run_eval(small_cases, EvalBot("openai:gpt-4o-mini"), concurrency=4, progress=False)
        assert len(server.model_requests()) == len(small_cases) and len(run.records) == len(small_cases)
        await eventually(lambda: server.open_connections == 0)
