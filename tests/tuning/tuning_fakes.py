"""A small labeled dataset and a fake model whose decisions depend on its system prompt in a known way.

The model escalates correctly only when ``CLAUSE`` is in the system prompt; otherwise it is a weak baseline that
escalates only when the customer says "person". Half of the escalating cases never say "person" (a bereavement),
so the baseline misses them: F1 2/3 without the clause, 1.0 with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentkit.evals import EscalationCase
from agentkit.models import FunctionModel, Message, ModelResponse, ToolCall, ToolSpecSource, Usage

CLAUSE = "Hand off at once when the customer reports a death in the family."

TEMPLATE = """\
{% block role %}
You are a {{ tone | default("plain") }} support assistant.
{% endblock %}

{% block escalation_policy %}
Call `{{ handoff_tool }}` when the customer asks for a person.
{% endblock %}

{% block examples %}
{% for example in examples | default([]) %}
Example: {{ example.transcript }} -> {{ "hand off" if example.escalate else "answer" }}
{% endfor %}
{% endblock %}
"""

SPACE = """\
template = "base.j2"

[blocks.escalation_policy.texts]
polite = "Call `{{ handoff_tool }}` when the customer politely asks for a person."
clause = "Call `{{ handoff_tool }}` when the customer asks for a person. CLAUSE"

[variables]
tone = ["plain", "warm"]
""".replace("CLAUSE", CLAUSE)

SPACE_WITHOUT_CLAUSE = "\n".join(line for line in SPACE.splitlines() if not line.startswith("clause"))


def case(case_id: str, text: str, escalate: bool, split: str) -> EscalationCase:
    expected: dict[str, Any] = {"escalate": escalate} | ({"priority": "high"} if escalate else {})
    return EscalationCase.model_validate({
        "id": case_id, "conversation": [{"role": "user", "content": text}], "expected": expected,
        "tags": [], "split": split, "domain": "shop",
    })  # fmt: skip


def dataset(
    train: int = 8, dev: int = 4, test: int = 4, test_bereavement: str = "passed away", kept: int = 0
) -> list[EscalationCase]:
    """Per split and n: n "person" requests, n bereavements, 2n answerable questions (all distinct texts).

    ``test_bereavement`` is how the test split's bereavements are worded, except the first ``kept``; the fake
    model only understands "passed away", so another wording makes the clause useless on those test cases (a
    dev gain that does not hold).
    """
    cases = []
    for split, n in (("train", train), ("dev", dev), ("test", test)):
        for i in range(n):
            died = test_bereavement if split == "test" and i >= kept else "passed away"
            cases.append(case(f"{split}-person-{i}", f"Can a person look at order {split}-{i}?", True, split))
            cases.append(case(f"{split}-loss-{i}", f"My father {died}; his account {split}-{i}?", True, split))
        for i in range(2 * n):
            cases.append(case(f"{split}-faq-{i}", f"What is the delivery time to zone {split}-{i}?", False, split))
    return cases


def last_user_text(messages: Sequence[Message]) -> str:
    return next(str(m["content"]) for m in reversed(messages) if m["role"] == "user")


def decide(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
    """The fake model's behaviour: see the module docstring."""
    system, text = str(messages[0]["content"]), last_user_text(messages)
    escalate = "person" in text or (CLAUSE in system and "passed away" in text)
    usage = Usage(input_tokens=len(system + text) // 4, output_tokens=20, requests=1)
    if escalate:
        arguments = json.dumps({"reason": "The customer needs a person", "priority": "high"})
        return ModelResponse(tool_calls=(ToolCall(f"call-{text}", "handToSupport", arguments),), usage=usage)
    return ModelResponse(text="Delivery takes two days.", usage=usage)


def prompt_model(name: str = "fake-prompt-reader") -> FunctionModel:
    return FunctionModel(decide, name=name)


def write_space(folder: Path, space: str = SPACE, template: str = TEMPLATE) -> Path:
    (folder / "base.j2").write_text(template, encoding="utf-8")
    path = folder / "space.toml"
    path.write_text(space, encoding="utf-8")
    return path


def proposer(texts: Sequence[str]) -> tuple[FunctionModel, list[list[Message]]]:
    """A fake proposer replying ``texts`` in turn (the last one again when they run out); and what it was asked."""
    asked: list[list[Message]] = []

    def propose(messages: list[Message], tools: list[ToolSpecSource]) -> str:
        asked.append(messages)
        return f"<policy>\n{texts[min(len(asked), len(texts)) - 1]}\n</policy>"

    return FunctionModel(propose, name="fake-proposer"), asked


def log_lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "candidates.jsonl").read_text().splitlines()]


def requests_of(model: FunctionModel) -> int:
    return len(model.requests)
