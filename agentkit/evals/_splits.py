"""Headlines per split, each next to the trivial baselines on the same split.

A number means little without what doing nothing scores on the same cases: always escalating has perfect recall
and the split's base rate as precision, never escalating passes every "don't escalate" case. Both are computed
here from the run's own records (the labels are all they need), so every split's line carries its yardstick.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ._metrics import (
    CaseOutcome,
    at_prevalence,
    decision_counts,
    group_by_case,
    non_escalation_pass_rate,
    right_decision_and_priority_rate,
    under_triage_rate,
)

__all__ = ["SPLIT_HEADLINES", "baseline_outcomes", "headline_numbers", "split_headlines"]

SPLIT_HEADLINES = (
    "f1",
    "precision",
    "recall",
    "f1_at_prevalence",
    "precision_at_prevalence",
    "under_triage_rate",
    "right_decision_and_priority_rate",
    "non_escalation_pass_rate",
)
NO_SPLIT = "(none)"


def headline_numbers(outcomes: Sequence[CaseOutcome], prevalence: float) -> dict[str, float]:
    """The ``SPLIT_HEADLINES`` of ``outcomes``, under the names of the report's ``headline``."""
    counts = decision_counts(outcomes)
    reweighted = at_prevalence(counts, prevalence)
    return {
        "f1": counts.f1,
        "precision": counts.precision,
        "recall": counts.recall,
        "f1_at_prevalence": reweighted.f1,
        "precision_at_prevalence": reweighted.precision,
        "under_triage_rate": under_triage_rate(outcomes),
        "right_decision_and_priority_rate": right_decision_and_priority_rate(outcomes),
        "non_escalation_pass_rate": non_escalation_pass_rate(outcomes),
    }


def baseline_outcomes(outcomes: Iterable[CaseOutcome], *, escalate: bool) -> list[CaseOutcome]:
    """What always escalating (at medium, as the shipped baseline does) or never escalating (with a plain answer)
    would have recorded on the same cases."""
    return [
        replace(
            o,
            predicted_escalate=escalate,
            predicted_priority="medium" if escalate else None,
            reason="Baseline: every conversation goes to a person" if escalate else None,
            replied=True,
            promised_human=False,
            error=None,
        )
        for o in outcomes
    ]


def split_headlines(
    outcomes: Iterable[CaseOutcome], split_of: Mapping[str, str | None], prevalence: float
) -> dict[str, Any]:
    """Per split (in train, dev, test order, then others): case and record counts, the run's headline numbers,
    and the always- and never-escalate baselines' on the same records."""
    by_split: dict[str, list[CaseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_split[split_of.get(outcome.case_id) or NO_SPLIT].append(outcome)
    order = {"train": 0, "dev": 1, "test": 2}
    result = {}
    for split in sorted(by_split, key=lambda name: (order.get(name, 3), name)):
        records = by_split[split]
        result[split] = {
            "n_cases": len(group_by_case(records)),
            "n_records": len(records),
            "run": headline_numbers(records, prevalence),
            "baselines": {
                "always-escalate": headline_numbers(baseline_outcomes(records, escalate=True), prevalence),
                "never-escalate": headline_numbers(baseline_outcomes(records, escalate=False), prevalence),
            },
        }
    return result
