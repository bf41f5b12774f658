"""Build evals/escalation/*.jsonl from the hand-written case files, and the count tables of CARD.md.

    .venv/bin/python evals/escalation/tools/build.py          # write the JSONL files and CARD.md's tables
    .venv/bin/python evals/escalation/tools/build.py --check  # fail if they are not up to date

What this adds to the drafts: ids (``<domain>-<main tag>-<n>``), tool-call ids, the ``ambiguous_priority``
tag where two priorities are accepted, and the split. Splits are stratified: within each label the cases are
grouped by main tag (their first tag), ordered by domain then by a hash of the id, and dealt out in turns of eight
(train, test, dev, train, test, train, test, dev) so every split gets about 37.5/25/37.5 of each label, of each
main tag and of each domain: a test split large enough to confirm a gain of a few points.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import bank_cases
import saas_billing_cases
import shop_cases
import telecom_cases
import travel_cases
from _dsl import Draft

from agentkit.evals import TAGS, EscalationCase, dump_cases, load_cases

HERE = Path(__file__).resolve().parent
DATASET = HERE.parent
CARD = DATASET / "CARD.md"
DOMAINS: dict[str, tuple[str, list[Draft]]] = {
    "shop": ("shop", shop_cases.CASES),
    "saas_billing": ("saas", saas_billing_cases.CASES),
    "bank": ("bank", bank_cases.CASES),
    "telecom": ("telecom", telecom_cases.CASES),
    "travel": ("travel", travel_cases.CASES),
}
SPLIT_PATTERN = ("train", "test", "dev", "train", "test", "train", "test", "dev")
MAIN_TAGS = {tag for tag, info in TAGS.items() if info.implies_escalate is not None}
BEGIN, END = "<!-- counts:begin -->", "<!-- counts:end -->"


def build_cases() -> list[EscalationCase]:
    records = [
        record for domain, (prefix, drafts) in DOMAINS.items() for record in _records(domain, prefix, drafts)
    ]
    _assign_splits(records)
    return [EscalationCase.model_validate(record) for record in records]


def _records(domain: str, prefix: str, drafts: list[Draft]) -> list[dict[str, Any]]:
    numbers: Counter[str] = Counter()
    records = []
    for draft in drafts:
        if not draft.notes.strip() or not draft.tags:
            raise SystemExit(f"{domain}: every case needs tags and notes: {draft.turns[-1]['content']!r}")
        if draft.tags[0] not in MAIN_TAGS:
            raise SystemExit(
                f"{domain}: the first tag must be a main category that fixes the label, not {draft.tags[0]!r}"
                f" ({', '.join(sorted(MAIN_TAGS))}): {draft.turns[-1]['content']!r}"
            )
        numbers[draft.tags[0]] += 1
        case_id = f"{prefix}-{draft.tags[0].replace('_', '-')}-{numbers[draft.tags[0]]:03d}"
        tags = list(draft.tags)
        if len(draft.expected.get("acceptable_priorities", [])) > 1 and "ambiguous_priority" not in tags:
            tags.append("ambiguous_priority")
        records.append(
            {
                "id": case_id,
                "conversation": _with_call_ids(case_id, draft.turns),
                "expected": draft.expected,
                "tags": tags,
                "split": "train",
                "domain": domain,
                "language": draft.language,
                "notes": draft.notes,
            }
        )
    return records


def _with_call_ids(case_id: str, turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of the turns with realistic, deterministic tool-call ids (each tool result follows its call)."""
    out, last_id = [], ""
    for number, turn in enumerate(turns):
        turn = dict(turn)
        if turn.get("tool_calls"):
            last_id = "call_" + hashlib.sha256(f"{case_id}:{number}".encode()).hexdigest()[:24]
            turn["tool_calls"] = [{**turn["tool_calls"][0], "id": last_id}]
        if turn["role"] == "tool":
            turn["tool_call_id"] = last_id
        out.append(turn)
    return out


def _assign_splits(records: list[dict[str, Any]]) -> None:
    for escalate in (True, False):
        group = [r for r in records if r["expected"]["escalate"] is escalate]
        group.sort(key=lambda r: (r["tags"][0], r["domain"], hashlib.sha256(r["id"].encode()).hexdigest()))
        for position, record in enumerate(group):
            record["split"] = SPLIT_PATTERN[position % len(SPLIT_PATTERN)]


def near_duplicates(cases: list[EscalationCase], threshold: float = 0.7) -> list[tuple[str, str, float]]:
    """Pairs of cases whose user text overlaps by more than ``threshold`` (Jaccard over word sets)."""
    words = {c.id: _words(c) for c in cases}
    ids = sorted(words)
    pairs = []
    for i, first in enumerate(ids):
        for second in ids[i + 1 :]:
            union = words[first] | words[second]
            score = len(words[first] & words[second]) / len(union) if union else 1.0
            if score > threshold:
                pairs.append((first, second, round(score, 2)))
    return pairs


def _words(case: EscalationCase) -> set[str]:
    text = " ".join(m.content or "" for m in case.conversation if m.role == "user")
    return set(re.findall(r"\w+", text.lower()))


# The count tables of CARD.md. tests/evals/test_dataset.py recounts them from the JSONL independently.


def count_tables(cases: list[EscalationCase]) -> str:
    sections = [
        ("By split", "split", _by_label(cases, lambda c: [c.split])),
        ("By domain", "domain", _by_label(cases, lambda c: [c.domain])),
        ("By language", "language", _by_label(cases, lambda c: [c.language])),
        ("By tag", "tag", _by_label(cases, lambda c: c.tags)),
        ("By conversation shape", "shape", _by_label(cases, _shapes)),
        ("Multi-turn cases by split", "split", _by_label(cases, _multi_turn_split)),
    ]
    parts = [_label_table(title, key, rows) for title, key, rows in sections]
    parts.insert(1, _priority_table(cases))
    return "\n\n".join(parts)


def _shapes(case: EscalationCase) -> list[str]:
    shapes = ["with an earlier bot turn" if case.has_bot_turn else "single user message"]
    if any(m.role == "tool" for m in case.conversation):
        shapes.append("with a tool result")
    return shapes


def _multi_turn_split(case: EscalationCase) -> list[str]:
    """The case's split and ``all`` when the bot spoke or called a tool before the decision point."""
    return [case.split or "", "all"] if case.has_bot_turn else []


def _by_label(
    cases: list[EscalationCase], keys: Callable[[EscalationCase], Iterable[str]]
) -> dict[str, Counter[bool]]:
    rows: dict[str, Counter[bool]] = {}
    for case in cases:
        for key in keys(case):
            rows.setdefault(key, Counter())[case.expected.escalate] += 1
    return rows


def _label_table(title: str, key: str, rows: dict[str, Counter[bool]]) -> str:
    lines = [f"### {title}", "", f"| {key} | escalate | do not escalate | total |", "|---|---:|---:|---:|"]
    order = (
        sorted(rows, key=lambda k: (-sum(rows[k].values()), k))
        if key != "split"
        else [name for name in ("train", "dev", "test", "all") if name in rows]
    )
    for name in order:
        yes, no = rows[name][True], rows[name][False]
        lines.append(f"| {name} | {yes} | {no} | {yes + no} |")
    return "\n".join(lines)


def _priority_table(cases: list[EscalationCase]) -> str:
    main = Counter(c.expected.priority for c in cases if c.expected.escalate)
    accepted = Counter(p for c in cases for p in c.expected.accepted)
    lines = [
        "### By priority (escalating cases)",
        "",
        "| priority | cases with this priority | cases accepting it |",
        "|---|---:|---:|",
    ]
    for priority in ("urgent", "high", "medium", "low"):
        lines.append(f"| {priority} | {main[priority]} | {accepted[priority]} |")
    return "\n".join(lines)


def card_with_tables(card: str, tables: str) -> str:
    if BEGIN not in card or END not in card:
        raise SystemExit(f"{CARD}: add the markers {BEGIN} and {END} where the count tables go")
    head, rest = card.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{tables}\n{END}{tail}"


def main(argv: list[str]) -> int:
    cases = build_cases()
    duplicates = near_duplicates(cases)
    if duplicates:
        print("near-duplicate cases (reword one of each pair):", *duplicates, sep="\n  ")
        return 1
    card = card_with_tables(CARD.read_text(encoding="utf-8"), count_tables(cases))
    if "--check" in argv:
        return _check(cases, card)
    for domain in DOMAINS:
        dump_cases([c for c in cases if c.domain == domain], DATASET / f"{domain}.jsonl")
    CARD.write_text(card, encoding="utf-8")
    print(f"wrote {len(cases)} cases to {DATASET} and the tables of {CARD.name}")
    return 0


def _check(cases: list[EscalationCase], card: str) -> int:
    on_disk = {c.id: c for c in load_cases(DATASET)}
    if on_disk != {c.id: c for c in cases} or card != CARD.read_text(encoding="utf-8"):
        print("the dataset or CARD.md is out of date: run evals/escalation/tools/build.py")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
