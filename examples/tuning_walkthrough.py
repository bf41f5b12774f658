"""Prompt tuning end to end on the shipped dataset and search space, offline, in a few seconds.

    python examples/tuning_walkthrough.py

A real run asks a language model:

    agentkit tune evals/escalation --space prompts/escalation_space.toml --model openai:gpt-4o-mini \\
        --budget 3000 --budget-usd 3 --strategy halving --dry-run        # the plan first, then without --dry-run

This walkthrough uses a SIMULATED model instead, so it needs no key. It knows each case's label and gets a case
right with a probability that depends on its system prompt (which escalation policy it holds, whether worked
examples are shown), drawn once per case and prompt with a fixed seed: a noisy model whose true quality per prompt
is known. Watch what the search on train, the selection on dev and the confirmation on test make of it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import tempfile
from pathlib import Path

from agentkit.evals import EscalationCase, load_cases
from agentkit.models import FunctionModel, Message, ModelResponse, ToolCall, ToolSpecSource, Usage
from agentkit.tuning import summary_lines, tune

ROOT = Path(__file__).resolve().parent.parent
CASES = load_cases(ROOT / "evals" / "escalation")
LABELS = {json.dumps(case.messages()): case for case in CASES}

# What each prompt feature is "worth" to the simulated model: the chance of deciding a case right.
BASE_ACCURACY = 0.70
SIGNALS_POLICY = ("Answer yourself, without handing off, when:", 0.12)  # prompts/variants/policy_signals.j2
CHECKLIST_POLICY = ("Before each reply, check these in order", 0.06)  # prompts/variants/policy_checklist.j2
EXAMPLES = ("## Examples of decisions", 0.03)  # the few-shot block


def accuracy(system_prompt: str) -> float:
    bonus = sum(gain for marker, gain in (SIGNALS_POLICY, CHECKLIST_POLICY, EXAMPLES) if marker in system_prompt)
    return min(BASE_ACCURACY + bonus, 0.98)


def draw(system_prompt: str, case: EscalationCase) -> float:
    """A number in [0, 1) fixed for this prompt and case: the simulated model's luck on it."""
    digest = hashlib.sha256(f"{system_prompt}\x00{case.id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def simulated_model(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse:
    system, conversation = str(messages[0]["content"]), messages[1:]
    case = LABELS[json.dumps(conversation)]
    right = draw(system, case) < accuracy(system)
    escalate = case.expected.escalate if right else not case.expected.escalate
    usage = Usage(input_tokens=len(json.dumps(messages)) // 4, output_tokens=25, requests=1)
    if escalate:
        arguments = json.dumps(
            {"reason": "The customer needs a person", "priority": case.expected.priority or "medium"}
        )
        return ModelResponse(tool_calls=(ToolCall(f"call-{case.id}", "handToSupport", arguments),), usage=usage)
    return ModelResponse(text="Here is how to do that.", usage=usage)


async def main(out: Path) -> None:
    model = FunctionModel(simulated_model, name="simulated")
    space = ROOT / "prompts" / "escalation_space.toml"
    for dry_run in (True, False):  # the plan first (no request), then the run
        result = await tune(CASES, space, model, budget=3000, strategy="halving", candidates=12, minibatch=16,
                            seed=0, out_dir=out, dry_run=dry_run)  # fmt: skip
        if dry_run:
            print("\n".join(result.plan.lines()), end="\n\n")
    print("\n".join(summary_lines(result)))
    print(f"\n{len(model.requests)} model requests; reports: {out / 'tuning.html'}, {out / 'tuning.json'}")
    print(f"the selected prompt: {out / 'best_prompt.j2'} (agentkit eval --prompt takes it as it is)")


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="agentkit-tune-"))
    asyncio.run(main(folder))
