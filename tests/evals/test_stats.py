"""Bootstrap intervals and run comparisons, cross-checked against statsmodels and scipy."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.contingency_tables import mcnemar

from agentkit.evals import _metrics as m
from agentkit.evals import _stats as s
from agentkit.evals._metrics import CaseOutcome
from agentkit.exceptions import UserError

SEEDS = range(6)


def make_run(
    seed: int, n_cases: int = 80, repeats: int = 3, skill: float = 0.75, cases_seed: int = 1000
) -> list[CaseOutcome]:
    """A run over a fixed set of cases (``cases_seed``): each repeat decides right with chance ``skill``."""
    labels = random.Random(cases_seed)
    expected = [labels.random() < 0.4 for _ in range(n_cases)]
    rng = random.Random(seed)
    return [
        CaseOutcome(
            case_id=f"case-{case:03d}",
            repeat=repeat,
            tags=(),
            expected_escalate=expected[case],
            expected_priority="high" if expected[case] else None,
            acceptable_priorities=(),
            predicted_escalate=expected[case] if rng.random() < skill else not expected[case],
            predicted_priority="high",
            reason="r",
            text_after_handoff=False,
            latency_s=rng.random(),
            input_tokens=10,
            output_tokens=1,
            error=None,
        )
        for case in range(n_cases)
        for repeat in range(repeats)
    ]


def repeat_of(trial: CaseOutcome, predicted: bool, repeat: int) -> CaseOutcome:
    return replace(trial, predicted_escalate=predicted, repeat=repeat)


# --- bootstrap_interval ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_interval_contains_the_point_estimate(seed: int) -> None:
    run = make_run(seed)
    for metric in (m.f1, m.accuracy, m.recall, lambda records: m.pass_hat_k(records, 2)):
        low, high = s.bootstrap_interval(run, metric, n_resamples=300, seed=seed)
        assert low <= metric(run) <= high
        assert low < high


def test_interval_is_deterministic_for_a_seed_and_ignores_input_order() -> None:
    run = make_run(0)
    shuffled = random.Random(1).sample(run, len(run))
    first = s.bootstrap_interval(run, m.f1, n_resamples=200, seed=7)

    assert s.bootstrap_interval(run, m.f1, n_resamples=200, seed=7) == first
    assert s.bootstrap_interval(shuffled, m.f1, n_resamples=200, seed=7) == first
    assert s.bootstrap_interval(run, m.f1, n_resamples=200, seed=8) != first


def test_interval_narrows_with_more_cases() -> None:
    def width(n_cases: int) -> float:
        low, high = s.bootstrap_interval(make_run(0, n_cases=n_cases), m.accuracy, n_resamples=400)
        return high - low

    assert width(400) < width(100) / 1.5 < width(25) / 2.25  # about 1/sqrt(n): halves per 4x the cases


def test_resamples_keep_a_case_s_repeats_together_and_apart_from_its_copies() -> None:
    run = make_run(0, n_cases=30, repeats=4)
    seen: list[tuple[int, set[int]]] = []

    def probe(records: Sequence[CaseOutcome]) -> float:
        cases = m.group_by_case(records)
        seen.append((len(cases), {len(trials) for trials in cases.values()}))
        return 0.0

    s.bootstrap_interval(run, probe, n_resamples=50)
    # Every resample has 30 distinct cases (a case drawn twice counts twice), each with its 4 repeats.
    assert seen == [(30, {4})] * 50


@pytest.mark.parametrize("seed", SEEDS)
def test_interval_width_is_of_the_order_of_scipy_percentile_bootstrap(seed: int) -> None:
    run = make_run(seed, n_cases=200, repeats=1)
    correct = np.array([o.expected_escalate == o.predicted_escalate for o in run], dtype=float)
    reference = scipy_stats.bootstrap(
        (correct,), np.mean, method="percentile", n_resamples=1000, rng=np.random.default_rng(seed)
    ).confidence_interval
    low, high = s.bootstrap_interval(run, m.accuracy, seed=seed)

    assert 0.75 < (high - low) / (reference.high - reference.low) < 1.33
    assert low == pytest.approx(reference.low, abs=0.03)
    assert high == pytest.approx(reference.high, abs=0.03)


def test_interval_of_a_single_case_is_its_value() -> None:
    run = make_run(0, n_cases=1, repeats=5)
    assert s.bootstrap_interval(run, m.accuracy, n_resamples=20) == (m.accuracy(run), m.accuracy(run))


def test_bad_bootstrap_arguments_are_refused() -> None:
    run = make_run(0, n_cases=5)
    with pytest.raises(UserError, match="n_resamples"):
        s.bootstrap_interval(run, m.f1, n_resamples=0)
    with pytest.raises(UserError, match="confidence"):
        s.bootstrap_interval(run, m.f1, confidence=1.0)
    with pytest.raises(UserError, match="no outcomes"):
        s.bootstrap_interval([], m.f1)


# --- McNemar --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_mcnemar_p_value_equals_statsmodels_on_random_tables(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        only_a, only_b = rng.randint(0, 40), rng.randint(0, 40)
        table = [[rng.randint(0, 50), only_a], [only_b, rng.randint(0, 50)]]
        reference = mcnemar(table, exact=True).pvalue
        assert s.mcnemar_exact_p_value(only_a, only_b) == pytest.approx(reference, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(("only_a", "only_b"), [(0, 0), (0, 1), (5, 5), (0, 30), (1000, 1100), (3, 0)])
def test_mcnemar_p_value_edges_equal_statsmodels(only_a: int, only_b: int) -> None:
    reference = mcnemar([[10, only_a], [only_b, 10]], exact=True).pvalue
    assert s.mcnemar_exact_p_value(only_a, only_b) == pytest.approx(reference, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("seed", SEEDS)
def test_mcnemar_on_two_runs_equals_statsmodels(seed: int) -> None:
    run_a, run_b = make_run(seed, skill=0.7), make_run(seed + 100, skill=0.8)
    result = s.mcnemar_exact(run_a, run_b)
    correct_a, correct_b = s.correct_by_majority(run_a), s.correct_by_majority(run_b)

    assert result.n_cases == len(correct_a) == 80
    assert result.only_a_correct == sum(correct_a[c] and not correct_b[c] for c in correct_a)
    assert result.only_b_correct == sum(correct_b[c] and not correct_a[c] for c in correct_a)
    assert sum(map(sum, result.table)) == result.n_cases
    assert result.p_value == pytest.approx(mcnemar(result.table, exact=True).pvalue, rel=1e-9)


def test_majority_vote_needs_a_strict_majority() -> None:
    base = make_run(0, n_cases=1, repeats=1)[0]
    right, wrong = base.expected_escalate, not base.expected_escalate
    two_of_three = [repeat_of(base, p, i) for i, p in enumerate([right, right, wrong])]
    tie = [repeat_of(base, p, i) for i, p in enumerate([right, wrong, right, wrong])]

    assert s.correct_by_majority(two_of_three) == {base.case_id: True}
    assert s.correct_by_majority(tie) == {base.case_id: False}


def test_comparing_runs_over_different_cases_is_refused() -> None:
    run_a = make_run(0, n_cases=10)
    with pytest.raises(UserError, match="different cases"):
        s.mcnemar_exact(run_a, make_run(0, n_cases=12))
    with pytest.raises(UserError, match="different cases"):
        s.paired_bootstrap_difference(run_a, run_a[3:], n_resamples=10)


# --- paired bootstrap -----------------------------------------------------------------------------


def test_paired_bootstrap_of_a_run_against_itself_is_zero() -> None:
    run = make_run(0)
    result = s.paired_bootstrap_difference(run, run, n_resamples=100)
    assert (result.difference, result.low, result.high, result.sign_flip_share) == (0.0, 0.0, 0.0, 1.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_paired_bootstrap_finds_a_clearly_better_run(seed: int) -> None:
    worse, better = make_run(seed, skill=0.6), make_run(seed + 50, skill=0.95)
    result = s.paired_bootstrap_difference(worse, better, n_resamples=300, seed=seed)

    assert result.difference == pytest.approx(m.f1(better) - m.f1(worse))
    assert 0 < result.low <= result.difference <= result.high
    assert result.sign_flip_share < 0.01
    flipped = s.paired_bootstrap_difference(better, worse, n_resamples=300, seed=seed)
    assert flipped.difference == -result.difference
    assert (flipped.low, flipped.high) == pytest.approx((-result.high, -result.low))


def test_paired_bootstrap_shows_no_clear_winner_between_equal_runs() -> None:
    result = s.paired_bootstrap_difference(make_run(1), make_run(2), n_resamples=500)
    assert result.low < 0 < result.high
    assert result.sign_flip_share > 0.05
    assert s.paired_bootstrap_difference(make_run(1), make_run(2), n_resamples=500) == result


def test_paired_bootstrap_takes_any_metric() -> None:
    run_a, run_b = make_run(0), make_run(1)
    result = s.paired_bootstrap_difference(run_a, run_b, m.accuracy, n_resamples=50)
    assert result.difference == pytest.approx(m.accuracy(run_b) - m.accuracy(run_a))
    assert (result.n_cases, result.n_resamples) == (80, 50)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_paired_bootstrap_width_is_of_the_order_of_scipy_paired_percentile(seed: int) -> None:
    run_a = make_run(seed, n_cases=150, repeats=1, skill=0.7)
    run_b = make_run(seed + 9, n_cases=150, repeats=1)
    y_true = np.array([o.expected_escalate for o in run_a])
    pred_a, pred_b = (np.array([o.predicted_escalate for o in run]) for run in (run_a, run_b))

    def f1_difference(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
        def f1(p: np.ndarray) -> float:
            return float(2 * np.sum(y & p) / (2 * np.sum(y & p) + np.sum(~y & p) + np.sum(y & ~p)))

        return f1(b) - f1(a)

    reference = scipy_stats.bootstrap(
        (y_true, pred_a, pred_b),
        f1_difference,
        paired=True,
        vectorized=False,
        method="percentile",
        n_resamples=1000,
        rng=np.random.default_rng(seed),
    ).confidence_interval
    result = s.paired_bootstrap_difference(run_a, run_b, seed=seed)

    assert result.difference == pytest.approx(f1_difference(y_true, pred_a, pred_b))
    assert 0.75 < (result.high - result.low) / (reference.high - reference.low) < 1.33
