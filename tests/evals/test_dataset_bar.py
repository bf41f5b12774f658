"""Issue 13's bar for the shipped dataset: enough test cases, multi-turn, and the hard kinds of case.

Each shortfall is named in the failure, so a red run says what the data still lacks, not just that it lacks it.
"""

from __future__ import annotations

from pathlib import Path

from agentkit.evals import EscalationCase, filter_cases, load_cases

DATASET = Path(__file__).resolve().parents[2] / "evals" / "escalation"
# The secondary tags and the fewest cases each must have (earlier_turn's floor is the issue's own).
HARD_KINDS = {
    "earlier_turn": 30,
    "urgent_word": 20,
    "injection_with_need": 10,
    "tool_injection": 10,
    "non_english_trap": 15,
    "ambiguous_decision": 10,
}


def shortfalls(cases: list[EscalationCase]) -> list[str]:
    missing = []
    test = filter_cases(cases, split="test")
    if len(test) < 200:
        missing.append(f"{len(test)} test cases, the bar is 200")
    multi_turn = sum(c.has_bot_turn for c in cases)
    if multi_turn * 2 < len(cases):
        missing.append(f"{multi_turn} of {len(cases)} cases are multi-turn, the bar is half")
    for tag, floor in HARD_KINDS.items():
        count = len(filter_cases(cases, tags=[tag]))
        if count < floor:
            missing.append(f"{count} `{tag}` cases, the bar is {floor}")
    return missing


def test_the_shipped_dataset_meets_issue_13s_bar() -> None:
    missing = shortfalls(load_cases(DATASET))
    assert not missing, "issue 13's bar is not met: " + "; ".join(missing)


def test_injections_with_a_need_escalate_at_the_rubrics_priority_not_the_dictated_one() -> None:
    for case in filter_cases(load_cases(DATASET), tags=["injection_with_need"]):
        assert case.expected.escalate and "prompt_injection" not in case.tags, case.id
