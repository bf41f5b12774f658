"""Instruction proposals by a model, after OPRO (Yang et al., 2023, "Large Language Models as Optimizers").

The meta-prompt shows the policy texts tried so far with their scores, lowest first (OPRO found the best last works
best), plus a few training conversations the best text still gets wrong, and asks for a better text between
``<policy>`` tags. The proposer is any ``Model``. Its replies are logged by the hash of the meta-prompt, so a
resumed run replays them instead of asking again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..evals import EscalationCase
from ..models import Message, Model
from ._candidate import transcript

__all__ = ["Proposer", "meta_prompt", "parse_proposal"]

_POLICY = re.compile(r"<policy>(.*?)</policy>", re.DOTALL | re.IGNORECASE)
_SYSTEM = (
    "You improve the instructions of a customer-support assistant. You write clear, specific policy text in "
    "plain English that a language model will follow."
)
_MISTAKE_CHARACTERS = 600  # of each conversation shown: enough for the decision point, short enough for many


@dataclass(frozen=True, slots=True)
class Proposer:
    """The model that proposes texts for ``block``, how many ``steps`` it gets, and how many earlier texts
    (``history``, best ones) and mistakes of the best text each meta-prompt shows."""

    model: Model
    block: str = "escalation_policy"
    steps: int = 4
    history: int = 8
    mistakes: int = 3


@dataclass(frozen=True, slots=True)
class Scored:
    """A policy text and its score on the training minibatch."""

    text: str
    score: float


def meta_prompt(
    proposer: Proposer,
    scored: Sequence[Scored],
    wrong: Sequence[EscalationCase],
    handoff_tool: str,
    objective: str,
    n_cases: int,
) -> list[Message]:
    """The messages asking for a better text than those in ``scored``, given the best one's ``wrong`` cases."""
    shown = sorted(sorted(scored, key=lambda s: -s.score)[: proposer.history], key=lambda s: s.score)
    parts = [
        f"A support assistant decides, at each customer message, whether to hand the conversation to a human by "
        f"calling the tool `{handoff_tool}`. Its instructions contain a section (the `{proposer.block}` block) on "
        f"this decision. Below are versions of that section, each with its score on {n_cases} training "
        f"conversations ({objective}; higher is better), from lowest to highest.",
        *(f'<policy score="{s.score:.3f}">\n{s.text}\n</policy>' for s in shown),
    ]
    if wrong:
        parts.append("Conversations the best version so far decides wrongly:")
        parts += [_mistake(case) for case in wrong[: proposer.mistakes]]
    parts.append(
        "Write a new version of the section that differs from every version above and scores higher than all of "
        "them. Keep what works in the best versions and fix what the wrong decisions show. Reply with the section "
        "only, between <policy> and </policy>."
    )
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": "\n\n".join(parts)}]


def _mistake(case: EscalationCase) -> str:
    text = transcript(case.messages())
    if len(text) > _MISTAKE_CHARACTERS:
        text = "..." + text[-_MISTAKE_CHARACTERS:]  # the end holds the decision point
    expected = case.expected
    right = f"hand off (priority {expected.priority})" if expected.escalate else "answer without handing off"
    return f"Conversation:\n{text}\nRight decision: {right}"


def parse_proposal(reply: str | None) -> str | None:
    """The text between ``<policy>`` tags (the whole reply when there are none); None when empty."""
    if not reply:
        return None
    found = _POLICY.search(reply)
    text = (found.group(1) if found else reply).strip()
    return text or None
