"""Power: the smallest F1 gain a split can confirm, planned from its labels and read off a comparison's interval."""

from __future__ import annotations

import random

import pytest
from scipy.stats import norm

from agentkit.evals import observed_mde, planned_f1_mde
from agentkit.evals._metrics import CaseOutcome
from agentkit.evals._stats import paired_bootstrap_difference
from agentkit.exceptions import UserError


def balanced(n: int) -> list[bool]:
    return [index % 2 == 0 for index in range(n)]


def test_observed_mde_is_z_sum_times_the_standard_error_of_the_interval() -> None:
    low, high = -0.02, 0.18
    standard_error = (high - low) / (2 * norm.ppf(0.975))
    assert observed_mde(low, high) == pytest.approx((norm.ppf(0.975) + norm.ppf(0.8)) * standard_error)
    assert observed_mde(low, high, power=0.9) > observed_mde(low, high)


def test_more_cases_confirm_smaller_gains_and_the_plan_is_deterministic() -> None:
    small, medium, large = (planned_f1_mde(balanced(n)) for n in (88, 200, 800))
    assert small > medium > large
    assert 0.08 < small < 0.16  # the 88 test cases: a 5-point gain is far below what they can confirm
    assert planned_f1_mde(balanced(88)) == small
    assert planned_f1_mde(balanced(88), discordance=0.2) > small


def outcomes(labels: list[bool], decisions: list[bool]) -> list[CaseOutcome]:
    return [
        CaseOutcome(f"c{i}", 0, (), label, "medium" if label else None, (), decision, "medium" if decision else None,
                    None, False, 0.0, 0, 0, None)  # fmt: skip
        for i, (label, decision) in enumerate(zip(labels, decisions, strict=True))
    ]


def test_the_plan_agrees_with_the_paired_bootstrap_the_confirmation_uses() -> None:
    labels = balanced(300)
    rng = random.Random(5)
    start = [label if rng.random() < 0.8 else not label for label in labels]
    other = [not decision if rng.random() < 0.1 else decision for decision in start]
    boot = paired_bootstrap_difference(outcomes(labels, start), outcomes(labels, other), n_resamples=1000, seed=1)
    assert observed_mde(boot.low, boot.high) == pytest.approx(planned_f1_mde(labels), rel=0.35)


def test_an_empty_split_or_a_bad_power_is_refused() -> None:
    with pytest.raises(UserError, match="empty"):
        planned_f1_mde([])
    with pytest.raises(UserError, match="power"):
        observed_mde(0.0, 0.1, power=1.0)
