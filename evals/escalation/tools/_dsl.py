"""The small vocabulary the case files are written in: user and bot turns, tool calls, labels.

A case file is a list of ``case(...)`` drafts. Each draft is hand-written; ``build.py`` gives it an id,
tool-call ids and a split, validates it with ``agentkit.evals.EscalationCase`` and writes the JSONL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, Any]


@dataclass(frozen=True)
class Draft:
    """A case before build.py gives it an id and a split."""

    expected: dict[str, Any]
    tags: list[str]
    turns: list[Message]
    notes: str
    language: str = "en"
    domain: str = field(default="")


def u(text: str) -> list[Message]:
    """A user turn."""
    return [{"role": "user", "content": text}]


def a(text: str) -> list[Message]:
    """A bot turn that the user saw."""
    return [{"role": "assistant", "content": text}]


def call(name: str, arguments: dict[str, Any], result: Any) -> list[Message]:
    """One tool call by the bot and its result; the call id is filled in by build.py."""
    request = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
        ],
    }
    answer = {"role": "tool", "tool_call_id": "", "content": json.dumps(result, ensure_ascii=False)}
    return [request, answer]


def esc(priority: str, *also: str) -> dict[str, Any]:
    """Escalate with ``priority``; ``also`` lists other priorities that are defensible."""
    expected: dict[str, Any] = {"escalate": True, "priority": priority}
    if also:
        expected["acceptable_priorities"] = sorted({priority, *also}, key=_RANK.__getitem__)
    return expected


NO: dict[str, Any] = {"escalate": False}
_RANK = {"low": 0, "medium": 1, "high": 2, "urgent": 3}


def case(
    expected: dict[str, Any], tags: list[str], *turns: list[Message], notes: str, lang: str = "en"
) -> Draft:
    """A hand-written case: the label, its tags (the first is its main category), the turns, why."""
    messages = [message for turn in turns for message in turn]
    return Draft(expected=expected, tags=tags, turns=messages, notes=notes, language=lang)
