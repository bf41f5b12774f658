"""OpenTelemetry spans (agentkit.telemetry): names, GenAI attributes and nesting after a scripted conversation that
calls a tool and hands off; and nothing of OpenTelemetry imported when it is absent or switched off."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from agentkit import Tool, execute
from agentkit.hitl import HitlPlugin, MemoryHitl, hand_to_support
from agentkit.models import OpenAIModel, ScriptedModel, call
from agentkit.runtime import Agent, Conversation, HandlerContext
from agentkit.testing import FakeOpenAIServer

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The global tracer provider can be set once per process: the first test sets it, each test clears it."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


class OrderInput(BaseModel):
    order_id: str


ORDER_TOOL = Tool("lookupOrder", "Find an order", OrderInput, lambda args: {"status": "shipped"})


def by_name(finished: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in finished}


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_a_turn_that_calls_a_tool_and_hands_off_gives_nested_genai_spans(
    spans: InMemorySpanExporter,
) -> None:
    async def handler(ctx: HandlerContext) -> None:
        await ctx.execute(instructions="Be brief.", tools=[ORDER_TOOL, hand_to_support("hitl")])

    model = ScriptedModel(
        [call("lookupOrder", order_id="A1"), call("handToSupport", reason="Wants a refund", priority="high")]
    )
    plugin = HitlPlugin(MemoryHitl())
    agent = Agent("shopbot", model, plugins={"hitl": plugin}, conversation=Conversation(handler=handler))
    async with agent:
        await agent.receive("c1", "Refund order A1 now")
        session = await plugin.session("c1")

    finished = spans.get_finished_spans()
    names = [span.name for span in finished]
    model_spans = [s for s in finished if s.name == f"chat {model.name}"]
    assert len(model_spans) == 2, names
    named = by_name(finished)
    turn = named["invoke_agent shopbot"]
    lookup, handoff_tool, handoff = (
        named["execute_tool lookupOrder"],
        named["execute_tool handToSupport"],
        named["handoff"],
    )

    turn_id = turn.context.span_id
    assert parent_of(turn) is None
    assert all(parent_of(s) == turn_id for s in [*model_spans, lookup, handoff_tool])
    assert parent_of(handoff) == handoff_tool.context.span_id  # the handoff happens inside its tool call
    assert len({s.context.trace_id for s in finished}) == 1

    assert turn.attributes is not None
    assert turn.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert turn.attributes["gen_ai.agent.name"] == "shopbot"
    chat = model_spans[0].attributes
    assert chat is not None
    assert chat["gen_ai.operation.name"] == "chat"
    assert chat["gen_ai.provider.name"] == "openai"
    assert chat["gen_ai.request.model"] == model.name
    assert isinstance(chat["gen_ai.usage.input_tokens"], int) and isinstance(chat["gen_ai.usage.output_tokens"], int)
    assert model_spans[0].kind == trace.SpanKind.CLIENT
    tool = lookup.attributes
    assert tool is not None
    assert tool["gen_ai.operation.name"] == "execute_tool" and tool["gen_ai.tool.name"] == "lookupOrder"
    assert tool["gen_ai.tool.call.id"] == model.requests[1].messages[-1]["tool_call_id"]
    assert "error.type" not in tool
    handed = handoff.attributes
    assert handed is not None
    assert handed["agentkit.handoff.priority"] == "high"
    assert session is not None and session.session_id and handed["agentkit.ticket.id"] == session.session_id
    for span in finished:
        assert span.attributes is not None and span.attributes["gen_ai.conversation.id"] == "c1", span.name


async def test_a_plain_execute_is_a_turn_of_its_own_and_a_failed_tool_is_marked(spans: InMemorySpanExporter) -> None:
    model = ScriptedModel([call("lookupOrder", wrong="x"), "Sorry."])
    result = await execute("Be brief.", [ORDER_TOOL], [{"role": "user", "content": "hi"}], model)
    assert result.text == "Sorry."
    named = by_name(spans.get_finished_spans())
    assert set(named) == {"invoke_agent", f"chat {model.name}", "execute_tool lookupOrder"}
    tool = named["execute_tool lookupOrder"]
    assert parent_of(tool) == named["invoke_agent"].context.span_id
    assert tool.attributes is not None and tool.attributes["error.type"] == "tool_error"
    assert named[f"chat {model.name}"].attributes is not None
    assert "gen_ai.conversation.id" not in named["invoke_agent"].attributes  # type: ignore[operator]


_WITHOUT_OTEL = """
import asyncio, sys
{block}
import agentkit
from agentkit.hitl import HitlPlugin, MemoryHitl, hand_to_support
from agentkit.models import OpenAIModel, ScriptedModel, call
from agentkit.testing import FakeOpenAIServer
from agentkit.runtime import Agent

async def main():
    await agentkit.execute("hi", [], [{{"role": "user", "content": "hi"}}], ScriptedModel(["hello"]))
    model = ScriptedModel([call("handToSupport", reason="help", priority="high")])
    async with Agent("bot", model, plugins={{"desk-hitl": HitlPlugin(MemoryHitl())}}) as agent:
        await agent.receive("c1", "a person please")

asyncio.run(main())
loaded = sorted(name for name, module in sys.modules.items() if name.startswith("opentelemetry") and module)
assert not loaded, loaded
print("clean")
"""

_BLOCKED = """
sys.modules["opentelemetry"] = None  # what an absent package looks like to import and find_spec
"""


@pytest.mark.parametrize("how", ["not installed", "switched off"])
def test_nothing_of_opentelemetry_is_imported_when_absent_or_off(how: str) -> None:
    block = _BLOCKED if how == "not installed" else ""
    env = {"AGENTKIT_OTEL": "off"} if how == "switched off" else {}

    script = textwrap.dedent(_WITHOUT_OTEL).format(block=block)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"


_PROVIDER_SET_LATE = """
import asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel
import agentkit
from agentkit.models import ScriptedModel, call

class OrderInput(BaseModel):
    order_id: str

opened = []
started = trace.ProxyTracer.start_as_current_span
def spy(self, name, *args, **kwargs):
    opened.append(name)
    return started(self, name, *args, **kwargs)
trace.ProxyTracer.start_as_current_span = spy

asked = []
provider_of = trace.get_tracer_provider
def asking():
    asked.append(1)
    return provider_of()
trace.get_tracer_provider = asking

async def run():
    tool = agentkit.Tool("lookupOrder", "Find an order", OrderInput, lambda args: "shipped")
    model = ScriptedModel([call("lookupOrder", order_id="1"), "It shipped."])
    result = await agentkit.execute("Be brief.", [tool], [{"role": "user", "content": "where?"}], model)
    assert result.text == "It shipped.", result

agentkit.telemetry.enabled()
asked.clear()
asyncio.run(run())
assert opened == [], opened
assert asked == [], "while no provider is set, a span check does not ask the API (an os.environ lookup)"
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
asyncio.run(run())
asked.clear()
asyncio.run(run())
assert asked == [], "a provider once seen is kept: the API never takes it back"
print(sorted(span.name for span in exporter.get_finished_spans())[::2])  # two runs: every other span, one run's worth
"""


def test_no_span_is_opened_until_a_tracer_provider_is_set_and_then_every_one_is() -> None:
    """With the API installed but no provider configured, spans would all be no-ops: none is opened, and checking
    costs no call to the API. A provider set after agentkit's first run is followed from the next run on, and once
    seen it is kept (the API sets its provider once)."""
    unset = ("AGENTKIT_OTEL", "OTEL_PYTHON_TRACER_PROVIDER")
    env = {key: value for key, value in os.environ.items() if key not in unset}
    script = textwrap.dedent(_PROVIDER_SET_LATE)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['chat scripted', 'chat scripted', 'execute_tool lookupOrder', 'invoke_agent']"


_PROVIDER_FROM_ENVIRONMENT = """
import asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
import agentkit
from agentkit.models import ScriptedModel

provider = trace.get_tracer_provider()  # made from the environment variable
assert isinstance(provider, TracerProvider), provider
exporter = InMemorySpanExporter()
provider.add_span_processor(SimpleSpanProcessor(exporter))
asyncio.run(agentkit.execute("Be brief.", [], [{"role": "user", "content": "hi"}], ScriptedModel(["hello"])))
print(sorted(span.name for span in exporter.get_finished_spans()))
"""


def test_a_provider_named_in_the_environment_is_used() -> None:
    env = {key: value for key, value in os.environ.items() if key != "AGENTKIT_OTEL"}
    env["OTEL_PYTHON_TRACER_PROVIDER"] = "sdk_tracer_provider"  # the SDK's entry point
    script = textwrap.dedent(_PROVIDER_FROM_ENVIRONMENT)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['chat scripted', 'invoke_agent']"


async def test_a_request_over_the_openai_api_records_usage_and_finish_reason(spans: InMemorySpanExporter) -> None:
    async with FakeOpenAIServer() as server, OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="t") as m:
        server.enqueue(text="hello")
        await execute("Be brief.", messages=[{"role": "user", "content": "hi"}], model=m)
    [chat] = [s for s in spans.get_finished_spans() if s.name == "chat gpt-4o-mini"]
    assert chat.attributes is not None
    assert chat.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert chat.attributes["gen_ai.usage.input_tokens"] > 0  # type: ignore[operator]
    assert chat.attributes["gen_ai.usage.output_tokens"] > 0  # type: ignore[operator]
