"""``OfflineModel`` (model string ``"offline"``): a deterministic, rule-based stand-in. NOT a language model.

It exists so that the demo runs on a fresh machine with no API key, and as a baseline for the evals. It reads the
last user message: on a clear signal (a request for a person, anger, fraud, security, legal, safety words) it calls
the handoff tool with a priority; it answers a few FAQ questions; otherwise it says what it can do.

It lives with the eval baselines because its rules are escalation policy, which the model layer knows nothing of;
importing ``agentkit`` (whose ``__init__`` imports the evals) registers it as the model string ``"offline"``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..handoff import HANDOFF_TOOL_NAME
from ..models import Message, ModelResponse, ToolCall, ToolSpecSource, Usage, register_model
from ._offline_rules import ESCALATION_RULES, FALLBACK, FAQ, INJECTION, INJECTION_REPLY, NEGATED_REQUEST

__all__ = ["OfflineModel", "escalation_signal"]

class OfflineModel:
    """Rule-based, deterministic, no network. Answers FAQ and hands off on clear signals."""

    def __init__(self, handoff_tool: str = HANDOFF_TOOL_NAME) -> None:
        self.handoff_tool = handoff_tool
        self._counter = 0

    @property
    def name(self) -> str:
        return "offline"

    async def request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        text = _last_user_text(messages)
        tokens_in = sum(len(str(m.get("content") or "")) for m in messages) // 4
        if messages and messages[-1].get("role") == "tool":
            return _reply("Done. Is there anything else I can help with?", tokens_in)
        lowered = text.lower()
        if INJECTION.search(lowered):  # searched once for both: no handoff, and its own reply
            return _reply(INJECTION_REPLY, tokens_in)
        signal = _signal(lowered)
        if signal is not None and any(t.name == self.handoff_tool for t in tools):
            return self._handoff(*signal, tokens_in)
        return _reply(_faq_answer(lowered), tokens_in)

    def _handoff(self, priority: str, reason: str, tokens_in: int) -> ModelResponse:
        self._counter += 1
        arguments = json.dumps({"reason": reason, "priority": priority})
        call = ToolCall(f"offline_call_{self._counter}", self.handoff_tool, arguments)
        return ModelResponse(tool_calls=(call,), usage=Usage(tokens_in, 20, 1), model_name="offline")


def escalation_signal(text: str) -> tuple[str, str] | None:
    """``(priority, reason)`` when ``text`` clearly calls for a human, else None."""
    lowered = text.lower()
    return None if INJECTION.search(lowered) else _signal(lowered)


def _signal(lowered: str) -> tuple[str, str] | None:
    """``escalation_signal`` of lower-cased text that is not an injection."""
    if NEGATED_REQUEST.search(lowered):
        return None
    for priority, reason, pattern in ESCALATION_RULES:
        if pattern.search(lowered):
            return priority, reason
    return None


def _faq_answer(lowered: str) -> str:
    return next((answer for pattern, answer in FAQ if pattern.search(lowered)), FALLBACK)


def _last_user_text(messages: Sequence[Message]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def _reply(text: str, tokens_in: int) -> ModelResponse:
    return ModelResponse(
        text=text, usage=Usage(tokens_in, len(text) // 4, 1), model_name="offline", finish_reason="stop"
    )


register_model("offline", OfflineModel)
