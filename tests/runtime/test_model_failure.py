"""The live path when the model fails: a deadline per turn, an apology or a person, never a raw exception."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator

import pytest

from agentkit import execute
from agentkit.exceptions import ConfigError, DeadlineExceeded
from agentkit.hitl import HitlPlugin, MemoryHitl
from agentkit.models import OpenAIModel, ScriptedModel
from agentkit.runtime import DEFAULT_ERROR_MESSAGE, Agent
from agentkit.testing import FakeOpenAIServer, Fault

USER = {"id": "u1", "name": "Jo Doe", "email": "jo@example.com"}
FOREVER = 3600.0


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture
async def stalled(server: FakeOpenAIServer) -> AsyncIterator[OpenAIModel]:
    """An endpoint that takes the request and never answers, with OpenAIModel's default timeout and retries."""
    server.inject(*[Fault.stall(FOREVER)] * 10)
    async with OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test") as model:
        yield model


def bot(model: OpenAIModel | ScriptedModel, memory: MemoryHitl | None = None, **kwargs: object) -> Agent:
    plugins = {"desk-hitl": HitlPlugin(memory or MemoryHitl())}
    return Agent("support", model, plugins=plugins, **kwargs)  # type: ignore[arg-type]


async def test_a_stalled_endpoint_ends_the_turn_at_its_deadline_with_the_failure_message(
    stalled: OpenAIModel, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot(stalled, turn_timeout=1.5) as agent:
        started = time.monotonic()
        with caplog.at_level(logging.DEBUG, "agentkit.runtime"):
            replies = await agent.receive("c1", "where is my order?", user=USER)
        waited = time.monotonic() - started
        history = await agent.history("c1")
    assert [(m.role, m.text) for m in replies] == [("system", DEFAULT_ERROR_MESSAGE)]
    assert waited < 15  # a generous bound; the deadline is 1.5 s (+1 s grace for a stalled tool)
    assert [(m.role, m.text) for m in history] == [("user", "where is my order?"), ("system", DEFAULT_ERROR_MESSAGE)]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "did not answer within 1.5 s" in warnings[0].getMessage()
    assert warnings[0].exc_info is None  # one line at WARNING ...
    assert any(r.levelno == logging.DEBUG and r.exc_info for r in caplog.records)  # ... the traceback at DEBUG


@pytest.mark.slow
async def test_with_the_defaults_a_stalled_endpoint_answers_the_user_within_30_s(stalled: OpenAIModel) -> None:
    async with bot(stalled) as agent:
        started = time.monotonic()
        replies = await agent.receive("c1", "hello?")
        waited = time.monotonic() - started
    assert [m.text for m in replies] == [DEFAULT_ERROR_MESSAGE]
    assert waited < 45  # the default turn_timeout is 30 s; generous slack for a loaded machine


async def test_handoff_on_model_failure_opens_one_ticket_and_the_model_is_not_asked_again(
    server: FakeOpenAIServer, stalled: OpenAIModel
) -> None:
    memory = MemoryHitl()
    agent = bot(stalled, memory, turn_timeout=1.0, on_model_failure="handoff", failure_priority="urgent")
    async with agent:
        replies = await agent.receive("c1", "my parcel never came", user=USER)
        asked = len(server.model_requests())
        later = await agent.receive("c1", "hello? anyone?")
    ticket = memory.only_session()
    assert ticket.request.priority == "urgent"
    assert ticket.request.title == "The assistant was unavailable: the language model did not answer within 1 s"
    assert "my parcel never came" in [line.text for line in ticket.request.transcript]
    assert [m.role for m in replies] == ["system"] and "human agent" in replies[0].text  # the handoff message
    assert DEFAULT_ERROR_MESSAGE not in [m.text for m in replies]
    assert ticket.user_messages == ["hello? anyone?"] and later == []  # relayed to the person, not the model
    assert len(server.model_requests()) == asked


async def test_handoff_on_failure_when_the_helpdesk_refuses_falls_back_to_the_failure_message() -> None:
    memory = MemoryHitl()
    memory.fail_next(*[RuntimeError("helpdesk bug")] * 3)
    async with bot(ScriptedModel([]), memory, on_model_failure="handoff") as agent:  # runs out: ModelError
        replies = await agent.receive("c1", "hi")
    assert [m.text for m in replies] == [DEFAULT_ERROR_MESSAGE]


def test_handoff_without_a_hitl_plugin_is_refused_when_the_agent_is_built() -> None:
    with pytest.raises(ConfigError, match=r"has none: add plugins=\{'desk-hitl': DeskHitl"):
        Agent("support", ScriptedModel([]), conversation=None, on_model_failure="handoff", plugins={})


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"on_model_failure": "escalate"}, "on_model_failure must be one of 'apologize', 'handoff'"),
        ({"failure_priority": "critical"}, "failure_priority must be one of low, medium, high, urgent"),
        ({"turn_timeout": 0}, "turn_timeout must be a positive number"),
        ({"turn_timeout": "30"}, "turn_timeout must be a positive number"),
    ],
)
def test_wrong_failure_settings_say_the_fix(setting: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        bot(ScriptedModel([]), **setting)


async def test_execute_timeout_bounds_a_run_without_an_agent(stalled: OpenAIModel) -> None:
    started = time.monotonic()
    with pytest.raises(Exception) as raised:
        await execute("sys", [], [{"role": "user", "content": "hi"}], stalled, timeout=1.0)
    assert time.monotonic() - started < 15
    assert "deadline" in str(raised.value)


async def test_execute_timeout_cancels_a_stalled_tool() -> None:
    from pydantic import BaseModel

    from agentkit import Tool
    from agentkit.models import call

    class Nothing(BaseModel):
        pass

    async def hang(args: Nothing) -> str:
        import asyncio

        await asyncio.sleep(FOREVER)
        return "never"

    model = ScriptedModel([call("hang")])
    with pytest.raises(DeadlineExceeded, match="within its 0.2 s deadline") as raised:
        await execute("sys", [Tool("hang", "Hang", Nothing, hang)], [{"role": "user", "content": "hi"}], model,
                      timeout=0.2)  # fmt: skip
    assert raised.value.result is not None and raised.value.result.usage.requests == 1
