"""OpenTelemetry spans for turns, model requests, tool calls and handoffs (GenAI semantic conventions).

Optional and free when absent: whether ``opentelemetry`` is installed is checked once, on the first span, without
importing it; when it is missing (or ``AGENTKIT_OTEL=off``) every call here returns a shared no-op span and nothing
of OpenTelemetry is ever imported. With ``opentelemetry-api`` installed (``pip install agentkit[otel]``) the spans go
to whatever tracer provider the application configured; while none is (the API's proxy or no-op provider), no span
is opened at all: each would be a non-recording one that still costs the loop about 5% of an iteration's CPU.

The nesting: ``invoke_agent {agent}`` per turn; under it ``chat {model}`` per model request, ``execute_tool {name}``
per tool call and ``handoff`` per escalation; all carry ``gen_ai.conversation.id`` when it is known.
The same places report events (``emit``) to observers, for metrics (``agentkit serve --metrics``): ``turn``
(agent, outcome, seconds), ``message_received``, ``model_request`` (model, outcome), ``model_retry``,
``escalation`` (priority), ``assigned`` (seconds waited), ``stream`` (+1 opened, -1 closed). No observer: a check of
an empty list. This module imports nothing of agentkit, so any layer may call it.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

__all__ = [
    "Observer",
    "add_observer",
    "emit",
    "enabled",
    "handoff",
    "model_request",
    "observing",
    "record_response",
    "record_ticket",
    "remove_observer",
    "run",
    "tool_call",
    "turn",
]

Observer = Callable[[str, Mapping[str, Any]], None]
_observers: list[Observer] = []

PROVIDER = "openai"  # every agentkit model speaks the OpenAI API (gen_ai.provider.name)
_conversation: ContextVar[str | None] = ContextVar("agentkit_telemetry_conversation", default=None)
_turn_open: ContextVar[bool] = ContextVar("agentkit_telemetry_turn", default=False)
_tracer: Any = None
_trace_api: Any = None  # opentelemetry.trace, once enabled() has imported it
_checked = False
_provider_set = False  # a configured tracer provider was seen (see _tracing)
_provider_in_environment = False  # OTEL_PYTHON_TRACER_PROVIDER names one (read with the import, once)


class _NoSpan:
    """What every call returns when OpenTelemetry is absent: accepts everything, records nothing."""

    def set_attribute(self, key: str, value: Any) -> None:
        pass


_NO_SPAN = _NoSpan()


def add_observer(observer: Observer) -> None:
    """``observer(event, data)`` hears every event of this process until ``remove_observer``."""
    _observers.append(observer)


def remove_observer(observer: Observer) -> None:
    if observer in _observers:
        _observers.remove(observer)


def observing() -> bool:
    return bool(_observers)


def emit(event: str, **data: Any) -> None:
    """Tell the observers (none: nothing happens). Observers are quick and never raise (a counter, a histogram)."""
    for observer in tuple(_observers):
        observer(event, data)


def enabled() -> bool:
    """True when OpenTelemetry is installed and not switched off; checked once (the answer is kept)."""
    global _checked, _tracer, _trace_api, _provider_in_environment
    if not _checked:
        _checked = True
        wanted = os.environ.get("AGENTKIT_OTEL", "on").lower() not in {"0", "off", "false", "no"}
        if wanted and importlib.util.find_spec("opentelemetry") is not None:
            from opentelemetry import trace  # only here: absent or off, nothing of it is imported

            _tracer = trace.get_tracer("agentkit")
            _trace_api = trace
            _provider_in_environment = "OTEL_PYTHON_TRACER_PROVIDER" in os.environ
    return _tracer is not None


def _tracing() -> bool:
    """Whether to open spans: enabled, and a tracer provider configured. Asked at each span until the answer is
    yes, because the application may set its provider after agentkit's first span (our tracer is the API's proxy,
    which follows). A yes is kept: the API sets its global provider once and never takes it back."""
    global _provider_set
    if _provider_set:
        return True
    if not enabled() or not _provider_may_be_set():
        return False
    provider = _trace_api.get_tracer_provider()
    _provider_set = not isinstance(provider, _trace_api.ProxyTracerProvider | _trace_api.NoOpTracerProvider)
    return _provider_set


def _provider_may_be_set() -> bool:
    """False while the API holds no provider and none is named in the environment: then ``get_tracer_provider``
    would answer its proxy after an ``os.environ`` lookup (2-3 us, at each of the few spans of every message of
    a server). The API's module global is read directly; if a release renames it, the public call is asked."""
    if _provider_in_environment:
        return True
    return getattr(_trace_api, "_TRACER_PROVIDER", True) is not None


def turn(agent_name: str | None, conversation_id: str | None) -> AbstractContextManager[Any]:
    """``invoke_agent {agent}``: one turn of an agent (or one ``execute`` run outside an agent)."""
    if _observers:
        return _timed("turn", {"agent": agent_name or ""}, _turn(agent_name, conversation_id))
    if not _tracing():
        return nullcontext(_NO_SPAN)
    return _turn(agent_name, conversation_id)


def run(conversation_id: str | None = None) -> AbstractContextManager[Any]:
    """For ``execute``: a turn span of its own, unless it runs inside a turn already (an agent's handler)."""
    if not _tracing() or _turn_open.get():
        return nullcontext(_NO_SPAN)
    return _turn(None, conversation_id)


def model_request(model: str) -> AbstractContextManager[Any]:
    """``chat {model}``; report the reply with ``record_response(span, response)``."""
    if _observers:
        return _timed("model_request", {"model": model}, _model_span(model))
    return _model_span(model)


def _model_span(model: str) -> AbstractContextManager[Any]:
    if not _tracing():
        return nullcontext(_NO_SPAN)
    return _span(
        f"chat {model}",
        {"gen_ai.operation.name": "chat", "gen_ai.provider.name": PROVIDER, "gen_ai.request.model": model},
        kind="CLIENT",
    )


def record_response(
    span: Any, input_tokens: int, output_tokens: int, finish_reason: str | None, model: str | None
) -> None:
    """The usage and finish reason of a model reply, on its ``chat`` span."""
    if span is _NO_SPAN:
        return
    span.set_attribute("gen_ai.usage.input_tokens", input_tokens)
    span.set_attribute("gen_ai.usage.output_tokens", output_tokens)
    if finish_reason:
        span.set_attribute("gen_ai.response.finish_reasons", [finish_reason])
    if model:
        span.set_attribute("gen_ai.response.model", model)


def tool_call(name: str, call_id: str | None) -> AbstractContextManager[Any]:
    """``execute_tool {name}``."""
    if not _tracing():
        return nullcontext(_NO_SPAN)
    attributes: dict[str, Any] = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}
    if call_id:
        attributes["gen_ai.tool.call.id"] = call_id
    return _span(f"execute_tool {name}", attributes)


def handoff(conversation_id: str, priority: str) -> AbstractContextManager[Any]:
    """``handoff``: an escalation to a person; set the ticket with ``record_ticket(span, id)`` once known."""
    emit("escalation", priority=priority)
    if not _tracing():
        return nullcontext(_NO_SPAN)
    return _span(
        "handoff",
        {"agentkit.handoff.priority": priority, "gen_ai.conversation.id": conversation_id},
    )


def record_ticket(span: Any, ticket_id: str | None) -> None:
    if span is not _NO_SPAN and ticket_id:
        span.set_attribute("agentkit.ticket.id", ticket_id)


@contextmanager
def _timed(event: str, data: dict[str, Any], inner: AbstractContextManager[Any]) -> Iterator[Any]:
    """``inner``, then ``emit(event, outcome=ok|error, seconds=...)``."""
    started = time.perf_counter()
    outcome = "error"
    try:
        with inner as span:
            yield span
        outcome = "ok"
    finally:
        emit(event, **data, outcome=outcome, seconds=time.perf_counter() - started)


@contextmanager
def _turn(agent_name: str | None, conversation_id: str | None) -> Iterator[Any]:
    attributes: dict[str, Any] = {"gen_ai.operation.name": "invoke_agent", "gen_ai.provider.name": PROVIDER}
    if agent_name:
        attributes["gen_ai.agent.name"] = agent_name
    name = f"invoke_agent {agent_name}" if agent_name else "invoke_agent"
    conversation = _conversation.set(conversation_id)
    opened = _turn_open.set(True)
    try:
        with _span(name, attributes) if _tracing() else nullcontext(_NO_SPAN) as span:
            yield span
    finally:
        _turn_open.reset(opened)
        _conversation.reset(conversation)


@contextmanager
def _span(name: str, attributes: dict[str, Any], kind: str = "INTERNAL") -> Iterator[Any]:
    from opentelemetry.trace import SpanKind  # imported already by enabled(): a dictionary lookup

    conversation_id = _conversation.get()
    if conversation_id and "gen_ai.conversation.id" not in attributes:
        attributes["gen_ai.conversation.id"] = conversation_id
    with _tracer.start_as_current_span(name, kind=SpanKind[kind], attributes=attributes) as span:
        yield span
