"""Candidates: one prompt of the search space, and how it becomes instructions and a handoff tool.

A candidate is content-addressed: its id is the hash of the texts it puts into the prompt (replaced blocks, tool
description, example case ids, variables), not of the labels, so the same prompt reached by two strategies or two
runs is one candidate and is never evaluated twice.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import chain, zip_longest
from typing import Any

import jinja2

from ..evals import EscalationCase, default_handoff_tool
from ..exceptions import ConfigError
from ..hitl import hand_to_support
from ..prompts import environment
from ..tools import Tool
from ._space import EXAMPLES_VARIABLE, Dimension, FewShot, SearchSpace

__all__ = ["Candidate", "ExamplePool", "PromptBuilder", "literal_fragment"]

_TRANSCRIPT_LIMIT = 300  # characters of one tool result in an example: enough to show what the bot saw


@dataclass(frozen=True, slots=True)
class Candidate:
    """The choices (``labels``: dimension -> choice label) and the texts they put into the prompt."""

    labels: tuple[tuple[str, str], ...]
    blocks: tuple[tuple[str, str], ...] = ()
    tool_description: str | None = None
    examples: tuple[str, ...] = ()
    variables: tuple[tuple[str, Any], ...] = ()
    name: str = "start"

    @property
    def id(self) -> str:
        content = {
            "blocks": self.blocks, "tool_description": self.tool_description,
            "examples": self.examples, "variables": self.variables,
        }  # fmt: skip
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def block(self, name: str) -> str | None:
        return dict(self.blocks).get(name)

    def with_block(self, block: str, source: str, label: str) -> Candidate:
        """This candidate with ``block`` replaced by ``source`` (a proposal, say)."""
        blocks = tuple(sorted({**dict(self.blocks), block: source}.items()))
        labels = tuple(sorted({**dict(self.labels), f"block:{block}": label}.items()))
        return replace(self, blocks=blocks, labels=labels, name=f"{block}={label}")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "labels": dict(self.labels), "blocks": dict(self.blocks),
            "tool_description": self.tool_description, "examples": list(self.examples),
            "variables": dict(self.variables),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Candidate:
        return cls(
            labels=tuple(sorted(data["labels"].items())),
            blocks=tuple(sorted(data["blocks"].items())),
            tool_description=data["tool_description"],
            examples=tuple(data["examples"]),
            variables=tuple(sorted(data["variables"].items())),
            name=data["name"],
        )


def literal_fragment(text: str) -> str:
    """``text`` as a jinja2 fragment that renders to itself: a model's proposal is prose, never template code."""
    if not any(mark in text for mark in ("{{", "{%", "{#")):
        return text
    return "{% raw %}" + text.replace("{% endraw %}", "{ % endraw % }") + "{% endraw %}"


class ExamplePool:
    """The train cases examples are drawn from; ``draw(k, n)`` is the n-th seeded sample of k ids."""

    def __init__(self, cases: Sequence[EscalationCase], seed: int, stratified: bool) -> None:
        self.cases = {case.id: case for case in cases}
        self.seed, self.stratified = seed, stratified

    def draw(self, k: int, draw: int) -> tuple[str, ...]:
        if k == 0:
            return ()
        if k > len(self.cases):
            raise ConfigError(f"few_shot k={k} needs {k} example cases; the pool has {len(self.cases)}")
        rng = random.Random(f"few-shot:{self.seed}:{k}:{draw}")  # a str seed is stable across processes
        ids = sorted(self.cases)
        if not self.stratified:
            return tuple(rng.sample(ids, k))
        positive = [i for i in ids if self.cases[i].expected.escalate]
        negative = [i for i in ids if not self.cases[i].expected.escalate]
        n_positive = min(len(positive), max(k - len(negative), (k + 1) // 2))
        chosen = rng.sample(positive, n_positive), rng.sample(negative, k - n_positive)
        return tuple(i for i in chain.from_iterable(zip_longest(*chosen)) if i is not None)

    def render(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        """The examples as the template's ``examples`` variable: transcript, escalate, priority."""
        return [
            {
                "transcript": transcript(self.cases[i].messages()),
                "escalate": self.cases[i].expected.escalate,
                "priority": self.cases[i].expected.priority,
            }
            for i in ids
        ]


def transcript(messages: Sequence[Mapping[str, Any]]) -> str:
    """A conversation as plain lines for a prompt: who said what, which tools ran and what they returned."""
    lines = []
    for message in messages:
        role, content = message.get("role"), str(message.get("content") or "")
        if role == "user":
            lines.append(f"Customer: {content}")
        elif role == "tool":
            lines.append(f"Tool result: {content[:_TRANSCRIPT_LIMIT]}")
        elif role == "assistant":
            calls = [c["function"] for c in message.get("tool_calls") or []]
            lines += [f"Assistant calls {c['name']}({c['arguments']})" for c in calls]
            if content:
                lines.append(f"Assistant: {content}")
    return "\n".join(lines)


class PromptBuilder:
    """Turns candidates of ``space`` into instructions and a handoff tool."""

    def __init__(self, space: SearchSpace, handoff_tool: str, examples: ExamplePool) -> None:
        self.space, self.handoff_tool, self.examples = space, handoff_tool, examples
        self.default_tool = default_handoff_tool(handoff_tool)
        self._rendered: dict[str, str] = {}

    def candidate(self, indexes: Sequence[int]) -> Candidate:
        """The candidate taking choice ``indexes[i]`` on dimension ``i`` (all zeros: the start)."""
        picks = [(d, d.choices[i]) for d, i in zip(self.space.dimensions, indexes, strict=True)]
        blocks = tuple(sorted((d.target, c.value) for d, c in picks if d.kind == "block" and c.value is not None))
        tool = next((c.value for d, c in picks if d.kind == "tool_description"), None)
        k, draw = next((c.value for d, c in picks if d.kind == "few_shot"), (0, 0))
        variables = tuple(sorted((d.target, c.value) for d, c in picks if d.kind == "variable"))
        changed = [f"{_short(d)}={c.label}" for (d, c), i in zip(picks, indexes, strict=True) if i != 0]
        return Candidate(
            labels=tuple(sorted((d.name, c.label) for d, c in picks)),
            blocks=blocks,
            tool_description=tool,
            examples=self.examples.draw(k, draw),
            variables=variables,
            name=", ".join(changed) or "start",
        )

    def start(self) -> Candidate:
        return self.candidate([0] * len(self.space.dimensions))

    def instructions(self, candidate: Candidate) -> str:
        if candidate.id not in self._rendered:
            self._rendered[candidate.id] = self._render(candidate)
        return self._rendered[candidate.id]

    def block_text(self, candidate: Candidate, block: str) -> str:
        """What ``block`` renders to in ``candidate``'s prompt (every other block emptied)."""
        others = {name: "" for name in self.space.blocks if name != block}
        return self._render(candidate, {**others, **{k: v for k, v in candidate.blocks if k == block}})

    def _render(self, candidate: Candidate, blocks: Mapping[str, str] | None = None) -> str:
        parts = [f"{{% extends {json.dumps(self.space.template.name)} %}}"]
        chosen = dict(candidate.blocks) if blocks is None else blocks
        parts += [f"{{% block {name} %}}\n{source}\n{{% endblock %}}" for name, source in chosen.items()]
        variables = {
            "handoff_tool": self.handoff_tool,
            EXAMPLES_VARIABLE: self.examples.render(candidate.examples),
            **dict(candidate.variables),
        }
        try:
            return environment(self.space.folders()).from_string("\n".join(parts)).render(**variables).strip()
        except (jinja2.TemplateError, KeyError) as error:
            raise ConfigError(f"the prompt {candidate.name!r} does not render: {error}") from None

    def tool_description(self, candidate: Candidate) -> str:
        return candidate.tool_description or self.default_tool.description

    def tool(self, candidate: Candidate) -> Tool[Any]:
        """The shipped handoff tool (what production bots use) with the candidate's description."""
        if candidate.tool_description is None:
            return self.default_tool
        return hand_to_support(name=self.handoff_tool, description=candidate.tool_description)


def _short(dimension: Dimension) -> str:
    return dimension.target if dimension.kind in ("block", "variable") else dimension.name


def few_shot_of(space: SearchSpace) -> FewShot | None:
    """The few-shot settings when some candidate can show examples (k > 0 somewhere), else None."""
    return space.few_shot if space.few_shot is not None and any(space.few_shot.k) else None
