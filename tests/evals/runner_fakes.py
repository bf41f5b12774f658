"""Shared pieces of the eval-runner tests: a small labeled case set and a deterministic keyword "model".

Imported by name (``from runner_fakes import ...``): pytest puts this folder on ``sys.path``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentkit.evals import EscalationCase
from agentkit.models import Message, ModelResponse, ToolSpecSource, call
from agentkit.testing import Reply

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "evals" / "escalation"


def make_case(
    case_id: str,
    text: str,
    escalate: bool,
    priority: str | None = None,
    tags: tuple[str, ...] = (),
    acceptable: list[str] | None = None,
) -> EscalationCase:
    expected: dict[str, Any] = {"escalate": escalate}
    if priority is not None:
        expected["priority"] = priority
    if acceptable is not None:
        expected["acceptable_priorities"] = acceptable
    record = {
        "id": case_id,
        "conversation": [{"role": "user", "content": text}],
        "expected": expected,
        "tags": list(tags),
        "split": "test",
        "domain": "shop",
    }
    return EscalationCase.model_validate(record)


# With ``keyword_decision`` below: TP = person-1, person-2, fraud-1; FN = fraud-2; FP = trap; TN = the other three.
SMALL_CASES = [
    make_case("person-1", "I want to talk to a person", True, "medium", ("explicit_request",)),
    make_case("person-2", "Can a human help me with my order?", True, "medium", ("explicit_request",)),
    make_case("fraud-1", "There is fraud on my card", True, "high", ("fraud",)),
    make_case(
        "fraud-2",
        "Someone stole my card and buys things",
        True,
        "urgent",
        ("fraud", "ambiguous_priority"),
        ["high", "urgent"],
    ),  # fmt: skip
    make_case("hours", "What are your opening hours?", False, tags=("answerable",)),
    make_case("trap", "Does your FAQ explain card fraud protection?", False, tags=("keyword_trap",)),
    make_case("vent", "Ugh, this app is slow. How do I clear the cache?", False, tags=("venting",)),
    make_case("manager", "My manager needs the invoice for May", False, tags=("mentions_human",)),
]


def keyword_decision(text: str) -> tuple[str, str] | None:
    """(priority, reason) for a handoff, or None to answer: the same rule for every fake model below."""
    lowered = text.lower()
    if "person" in lowered or "human" in lowered:
        return "medium", "The customer asked for a person"
    if "fraud" in lowered:
        return "high", "Possible card fraud"
    return None


def last_user_text(messages: list[Message]) -> str:
    return next(str(m["content"]) for m in reversed(messages) if m["role"] == "user")


def keyword_model_fn(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
    """For ``FunctionModel``."""
    decision = keyword_decision(last_user_text(messages))
    if decision is None:
        return "Here is how to do that."
    return call("handToSupport", reason=decision[1], priority=decision[0])


def keyword_server_handler(body: dict[str, Any]) -> Reply:
    """For ``FakeOpenAIServer(handler=...)``: the same decisions, over HTTP."""
    decision = keyword_decision(last_user_text(body["messages"]))
    if decision is None:
        return Reply(text="Here is how to do that.", input_tokens=100, output_tokens=10)
    arguments = json.dumps({"reason": decision[1], "priority": decision[0]})
    return Reply(tool_calls=[("handToSupport", arguments)], input_tokens=100, output_tokens=20)
