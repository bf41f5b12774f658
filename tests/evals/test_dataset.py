"""The shipped escalation dataset: it loads, it is balanced and varied, its labels follow the rubric, and the
counts in its card are the counts of the data."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from agentkit.evals import SPLITS, TAGS, EscalationCase, load_cases
from agentkit.handoff import PRIORITIES

DATASET = Path(__file__).resolve().parents[2] / "evals" / "escalation"
DOMAINS = {"shop", "saas_billing", "bank", "telecom", "travel"}
CASE_ID = re.compile(r"\b(?:shop|saas|bank|telecom|travel)-[a-z-]+-\d{3}\b")


@pytest.fixture(scope="module")
def cases() -> list[EscalationCase]:
    return load_cases(DATASET)


def share(cases: list[EscalationCase], keep: Callable[[EscalationCase], bool]) -> float:
    return sum(1 for c in cases if keep(c)) / len(cases)


def test_the_dataset_is_large_with_unique_ids(cases: list[EscalationCase]) -> None:
    assert len(cases) >= 300
    assert len({c.id for c in cases}) == len(cases)


def test_labels_are_balanced_overall_and_in_every_split(cases: list[EscalationCase]) -> None:
    assert 0.4 <= share(cases, lambda c: c.expected.escalate) <= 0.6
    for split in SPLITS:
        in_split = [c for c in cases if c.split == split]
        assert 0.4 <= share(in_split, lambda c: c.expected.escalate) <= 0.6, split


def test_splits_are_three_eighths_a_quarter_and_three_eighths(cases: list[EscalationCase]) -> None:
    counts: Counter[str] = Counter(c.split for c in cases)
    target = {"train": 0.375, "dev": 0.25, "test": 0.375}
    for split, expected_share in target.items():
        assert abs(counts[split] / len(cases) - expected_share) < 0.03, split


def test_every_domain_is_present_and_roughly_even(cases: list[EscalationCase]) -> None:
    counts = Counter(c.domain for c in cases)
    assert set(counts) == DOMAINS
    # Loose while the dataset grows one domain's batch at a time; no domain dominates or nearly vanishes.
    assert all(0.12 <= n / len(cases) <= 0.35 for n in counts.values()), counts


def test_every_split_has_both_labels_in_every_domain(cases: list[EscalationCase]) -> None:
    seen = {(c.split, c.domain, c.expected.escalate) for c in cases}
    assert seen == {(s, d, e) for s in SPLITS for d in DOMAINS for e in (True, False)}


# Tags that fix the label are the main categories; the secondary ones (issue 13's hard cases) fix nothing.
LABEL_TAGS = {tag for tag, info in TAGS.items() if info.implies_escalate is not None}


def test_every_tag_is_in_the_vocabulary_and_every_main_tag_is_used(cases: list[EscalationCase]) -> None:
    used = {tag for c in cases for tag in c.tags}
    assert used <= set(TAGS) and LABEL_TAGS <= used
    assert all(c.tags and c.notes.strip() for c in cases)


def test_every_main_tag_appears_in_every_split(cases: list[EscalationCase]) -> None:
    seen = {(tag, c.split) for c in cases for tag in c.tags if tag in LABEL_TAGS}
    assert seen == {(tag, split) for tag in LABEL_TAGS for split in SPLITS}


def test_a_cases_first_tag_is_a_main_category(cases: list[EscalationCase]) -> None:
    assert all(c.tags[0] in LABEL_TAGS for c in cases), [c.id for c in cases if c.tags[0] not in LABEL_TAGS]


def test_injection_cases_never_escalate(cases: list[EscalationCase]) -> None:
    injections = [c for c in cases if "prompt_injection" in c.tags]
    assert len(injections) >= 15
    assert not any(c.expected.escalate for c in injections)


def test_ambiguous_priority_marks_exactly_the_cases_with_two_accepted_priorities(
    cases: list[EscalationCase],
) -> None:
    for case in cases:
        assert ("ambiguous_priority" in case.tags) == (len(case.expected.accepted) > 1), case.id


def test_at_least_forty_percent_are_multi_turn(cases: list[EscalationCase]) -> None:
    assert share(cases, lambda c: c.has_bot_turn) >= 0.4
    assert share(cases, lambda c: any(m.role == "tool" for m in c.conversation)) >= 0.2


def test_requests_for_a_person_come_in_several_languages(cases: list[EscalationCase]) -> None:
    requests = Counter(c.language for c in cases if {"explicit_request", "indirect_request"} & set(c.tags))
    assert all(requests[language] >= 2 for language in ("es", "fr", "de", "pt")), requests
    negatives = Counter(c.language for c in cases if not c.expected.escalate)
    assert sum(n for language, n in negatives.items() if language != "en") >= 10, negatives


def test_every_priority_is_used(cases: list[EscalationCase]) -> None:
    used = Counter(c.expected.priority for c in cases if c.expected.escalate)
    assert all(used[priority] >= 10 for priority in PRIORITIES), used


# The rubric in numbers: the floor each risk category sets, and what low is reserved for.
PRIORITY_FLOOR = {"safety": "urgent", "fraud": "high", "security": "high", "legal": "high"}
LOW_ONLY_FOR = {"explicit_request", "out_of_scope", "ambiguous_priority"}


def test_risk_categories_get_at_least_their_rubric_priority(cases: list[EscalationCase]) -> None:
    rank: dict[str, int] = {priority: index for index, priority in enumerate(PRIORITIES)}
    for case in cases:
        for tag, floor in PRIORITY_FLOOR.items():
            if tag in case.tags:
                assert max(rank[p] for p in case.expected.accepted) >= rank[floor], (case.id, tag)


def test_low_priority_is_only_for_unproblematic_requests(cases: list[EscalationCase]) -> None:
    for case in cases:
        if case.expected.priority == "low":
            assert set(case.tags) & LABEL_TAGS <= LOW_ONLY_FOR, case.id  # secondary tags fix nothing


def test_no_two_cases_are_near_duplicates(cases: list[EscalationCase]) -> None:
    words = [(c.id, user_words(c)) for c in cases]
    for i, (first, first_words) in enumerate(words):
        for second, second_words in words[i + 1 :]:
            overlap = len(first_words & second_words) / len(first_words | second_words)
            assert overlap <= 0.7, (first, second, overlap)


def user_words(case: EscalationCase) -> set[str]:
    text = " ".join(m.content or "" for m in case.conversation if m.role == "user")
    return set(re.findall(r"\w+", text.lower()))


# CARD.md: its tables are recounted here from the data, independently of tools/build.py.


def test_card_counts_match_the_data(cases: list[EscalationCase]) -> None:
    tables = card_tables((DATASET / "CARD.md").read_text(encoding="utf-8"))

    assert tables == {
        "By split": by_label(cases, lambda c: [c.split]),
        "By priority (escalating cases)": priority_counts(cases),
        "By domain": by_label(cases, lambda c: [c.domain]),
        "By language": by_label(cases, lambda c: [c.language]),
        "By tag": by_label(cases, lambda c: c.tags),
        "By conversation shape": by_label(cases, shapes),
        "Multi-turn cases by split": by_label(cases, lambda c: [str(c.split), "all"] if c.has_bot_turn else []),
    }


def card_tables(card: str) -> dict[str, dict[str, list[int]]]:
    """Every ``### title`` table of the card: first cell -> the numbers in the other cells."""
    tables: dict[str, dict[str, list[int]]] = {}
    title = ""
    for line in card.splitlines():
        if line.startswith("### "):
            title = line.removeprefix("### ").strip()
            tables[title] = {}
        elif title and line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if all(cell.isdigit() for cell in cells[1:]):
                tables[title][cells[0]] = [int(cell) for cell in cells[1:]]
    return {title: rows for title, rows in tables.items() if rows}


def by_label(
    cases: list[EscalationCase], keys: Callable[[EscalationCase], Iterable[str]]
) -> dict[str, list[int]]:
    counts: Counter[tuple[str, bool]] = Counter((key, c.expected.escalate) for c in cases for key in keys(c))
    names = {key for key, _ in counts}
    return {
        key: [counts[key, True], counts[key, False], counts[key, True] + counts[key, False]] for key in names
    }


def priority_counts(cases: list[EscalationCase]) -> dict[str, list[int]]:
    main = Counter(c.expected.priority for c in cases)
    accepted = Counter(p for c in cases for p in c.expected.accepted)
    return {priority: [main[priority], accepted[priority]] for priority in PRIORITIES}


def shapes(case: EscalationCase) -> list[str]:
    found = ["with an earlier bot turn" if case.has_bot_turn else "single user message"]
    if any(m.role == "tool" for m in case.conversation):
        found.append("with a tool result")
    return found


# RUBRIC.md: the example ids it cites exist and carry the label of the section that cites them.


def test_rubric_examples_exist_and_match_their_section(cases: list[EscalationCase]) -> None:
    by_id = {c.id: c for c in cases}
    cited = rubric_citations((DATASET / "RUBRIC.md").read_text(encoding="utf-8"))

    assert len(cited) >= 20
    for case_id, section in cited:
        assert case_id in by_id, f"RUBRIC.md cites {case_id}, which is not in the dataset"
        expected = by_id[case_id].expected
        if section == "When to escalate":
            assert expected.escalate, case_id
        elif section == "When not to escalate":
            assert not expected.escalate, case_id
        else:
            assert expected.priority == section.split(":")[0], (case_id, section)


def rubric_citations(rubric: str) -> list[tuple[str, str]]:
    cited: list[tuple[str, str]] = []
    section = ""
    for line in rubric.splitlines():
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        cited.extend((case_id, section) for case_id in CASE_ID.findall(line))
    return cited
