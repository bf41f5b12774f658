"""The eval metrics, each cross-checked against scikit-learn / numpy on seeded random data and edge cases."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
from scipy.special import comb
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)

from agentkit.evals import _metrics as m
from agentkit.evals._metrics import PRIORITY_LEVELS, CaseOutcome, EscalationCosts
from agentkit.exceptions import UserError

TAGS = ("billing", "refund", "angry", "injection", "legal")
SEEDS = range(8)


def outcome(
    case_id: str = "c",
    repeat: int = 0,
    *,
    expected: bool = True,
    predicted: bool = True,
    expected_priority: str | None = "medium",
    predicted_priority: str | None = "medium",
    acceptable: tuple[str, ...] = (),
    **fields: object,
) -> CaseOutcome:
    values: dict[str, object] = dict(
        case_id=case_id,
        repeat=repeat,
        tags=(),
        expected_escalate=expected,
        expected_priority=expected_priority if expected else None,
        acceptable_priorities=acceptable,
        predicted_escalate=predicted,
        predicted_priority=predicted_priority if predicted else None,
        reason="needs a human" if predicted else None,
        text_after_handoff=False,
        latency_s=1.0,
        input_tokens=100,
        output_tokens=10,
        error=None,
    )
    return CaseOutcome(**(values | fields))  # type: ignore[arg-type]


def random_outcomes(
    seed: int, n_cases: int = 60, repeats: int = 3, p_escalate: float = 0.5
) -> list[CaseOutcome]:
    """Cases of varying difficulty, each run ``repeats`` times; every field varies, including the odd ones."""
    rng = random.Random(seed)
    records = []
    for case in range(n_cases):
        expected = rng.random() < p_escalate
        expected_priority = rng.choice(PRIORITY_LEVELS) if expected and rng.random() < 0.9 else None
        acceptable = tuple(rng.sample(PRIORITY_LEVELS, rng.choice([0, 0, 1, 2]))) if expected_priority else ()
        tags = tuple(rng.sample(TAGS, rng.randint(0, 2)))
        difficulty = rng.random() * 0.6
        for repeat in range(repeats):
            predicted = expected if rng.random() > difficulty else not expected
            records.append(
                CaseOutcome(
                    case_id=f"case-{case:03d}",
                    repeat=repeat,
                    tags=tags,
                    expected_escalate=expected,
                    expected_priority=expected_priority,
                    acceptable_priorities=acceptable,
                    predicted_escalate=predicted,
                    predicted_priority=_noisy_priority(rng, expected_priority) if predicted else None,
                    reason=rng.choice([None, "", "  ", "user asked for a human", "refund over limit"]),
                    text_after_handoff=rng.random() < 0.2,
                    latency_s=rng.expovariate(1.0),
                    input_tokens=rng.randint(50, 2000),
                    output_tokens=rng.randint(0, 300),
                    error="timeout" if rng.random() < 0.05 else None,
                    replied=rng.random() > 0.05,
                    promised_human=rng.random() < 0.05,
                )
            )
    return records


def _noisy_priority(rng: random.Random, expected: str | None) -> str | None:
    if rng.random() < 0.05:
        return None  # an escalation recorded without a priority
    rank = PRIORITY_LEVELS.index(expected or "medium") + rng.choice([-2, -1, 0, 0, 0, 1, 2])
    return PRIORITY_LEVELS[min(max(rank, 0), len(PRIORITY_LEVELS) - 1)]


def edge_datasets() -> dict[str, list[CaseOutcome]]:
    return {
        "all expected positive": random_outcomes(1, n_cases=20, p_escalate=1.0),
        "no expected positive": random_outcomes(2, n_cases=20, p_escalate=0.0),
        "single case": random_outcomes(3, n_cases=1, repeats=1),
        "single case, repeats": random_outcomes(4, n_cases=1, repeats=5),
        "all predicted positive": [outcome(f"c{i}", expected=i % 2 == 0, predicted=True) for i in range(6)],
        "none predicted": [outcome(f"c{i}", expected=i % 2 == 0, predicted=False) for i in range(6)],
        "all true negatives": [outcome(f"c{i}", expected=False, predicted=False) for i in range(4)],
    }


DATASETS = {f"seed {seed}": random_outcomes(seed) for seed in SEEDS} | edge_datasets()


@pytest.fixture(params=sorted(DATASETS))
def records(request: pytest.FixtureRequest) -> list[CaseOutcome]:
    return DATASETS[request.param]


def labels(records: list[CaseOutcome]) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array([o.expected_escalate for o in records]),
        np.array([o.predicted_escalate for o in records]),
    )


# --- the decision ---------------------------------------------------------------------------------


def test_decision_metrics_equal_sklearn(records: list[CaseOutcome]) -> None:
    y_true, y_pred = labels(records)
    metrics = m.decision_metrics(records)

    assert metrics.precision == pytest.approx(precision_score(y_true, y_pred, zero_division=0))
    assert metrics.recall == pytest.approx(recall_score(y_true, y_pred, zero_division=0))
    assert metrics.f1 == pytest.approx(f1_score(y_true, y_pred, zero_division=0))
    assert metrics.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
    assert metrics.specificity == pytest.approx(
        recall_score(y_true, y_pred, pos_label=False, zero_division=0)
    )
    assert m.confusion_matrix(records) == confusion_matrix(y_true, y_pred, labels=[False, True]).tolist()
    assert (metrics.tp, metrics.fp, metrics.fn, metrics.tn, metrics.n) == (
        int(np.sum(y_true & y_pred)),
        int(np.sum(~y_true & y_pred)),
        int(np.sum(y_true & ~y_pred)),
        int(np.sum(~y_true & ~y_pred)),
        len(records),
    )


def test_single_metric_functions_match_decision_metrics(records: list[CaseOutcome]) -> None:
    metrics = m.decision_metrics(records)
    assert m.precision(records) == metrics.precision
    assert m.recall(records) == metrics.recall
    assert m.f1(records) == metrics.f1
    assert m.accuracy(records) == metrics.accuracy
    assert m.specificity(records) == metrics.specificity


def test_f1_is_the_harmonic_mean_of_precision_and_recall(records: list[CaseOutcome]) -> None:
    p, r = m.precision(records), m.recall(records)
    assert m.f1(records) == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)


def test_zero_denominators_give_zero() -> None:
    nothing_predicted = [outcome("a", expected=True, predicted=False)]
    nothing_expected = [outcome("a", expected=False, predicted=True)]
    assert m.precision(nothing_predicted) == 0.0
    assert m.recall(nothing_expected) == 0.0
    assert m.specificity([outcome("a", expected=True, predicted=True)]) == 0.0
    assert m.f1([outcome("a", expected=False, predicted=False)]) == 0.0
    assert m.decision_metrics([]) == m.DecisionMetrics(0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0)


def test_per_tag_metrics_equal_sklearn_on_each_tag(records: list[CaseOutcome]) -> None:
    per_tag = m.per_tag_metrics(records)

    assert list(per_tag) == sorted({tag for o in records for tag in o.tags})
    for tag, metrics in per_tag.items():
        y_true, y_pred = labels([o for o in records if tag in o.tags])
        assert metrics.n == len(y_true)
        assert metrics.f1 == pytest.approx(f1_score(y_true, y_pred, zero_division=0))
        assert metrics.precision == pytest.approx(precision_score(y_true, y_pred, zero_division=0))
        assert metrics.accuracy == pytest.approx(accuracy_score(y_true, y_pred))


# --- the priority ---------------------------------------------------------------------------------


def rank(priority: str | None) -> int:
    return -100 if priority is None else PRIORITY_LEVELS.index(priority)


def test_priority_metrics_without_acceptable_sets_equal_numpy_and_sklearn(records: list[CaseOutcome]) -> None:
    # With acceptable_priorities empty, "accepted" is the expected priority alone, so plain formulas apply.
    plain = [o for o in records if not o.acceptable_priorities]
    graded = [o for o in plain if o.expected_escalate and o.predicted_escalate and o.expected_priority]
    expected = np.array([rank(o.expected_priority) for o in graded])
    predicted = np.array([rank(o.predicted_priority) for o in graded])
    needs_high = expected >= PRIORITY_LEVELS.index("high")
    metrics = m.priority_metrics(plain)

    assert metrics.n == len(graded)
    assert metrics.n_missing == int(np.sum(predicted < 0))
    assert metrics.exact_accuracy == pytest.approx(np.mean(expected == predicted) if graded else 0.0)
    assert metrics.within_one_accuracy == pytest.approx(
        np.mean(abs(expected - predicted) <= 1) if graded else 0.0
    )
    under = np.mean(predicted[needs_high] < expected[needs_high]) if needs_high.any() else 0.0
    assert metrics.conditional_under_triage_rate == pytest.approx(under)
    assert metrics.over_triage_rate == pytest.approx(np.mean(predicted > expected) if graded else 0.0)


def test_priority_kappa_equals_sklearn_quadratic(records: list[CaseOutcome]) -> None:
    graded = m.priority_graded(records)
    pairs = [(o.expected_priority, o.predicted_priority) for o in graded if o.predicted_priority is not None]
    kappa = m.priority_kappa(records)

    def reference() -> float:
        expected, predicted = [e for e, _ in pairs], [p for _, p in pairs]
        kappa = cohen_kappa_score(expected, predicted, labels=list(PRIORITY_LEVELS), weights="quadratic")
        return float(kappa)

    if not pairs:  # sklearn refuses empty input; kappa of nothing is undefined
        assert kappa is None
    elif kappa is None:  # one level only: sklearn says undefined too
        with pytest.warns(UndefinedMetricWarning):
            assert math.isnan(reference())
    else:
        assert kappa == pytest.approx(reference(), abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_quadratic_weighted_kappa_equals_sklearn_on_random_labels(seed: int) -> None:
    rng = random.Random(seed)
    expected = [rng.choice(PRIORITY_LEVELS[: rng.randint(2, 4)]) for _ in range(rng.randint(2, 50))]
    predicted = [rng.choice(PRIORITY_LEVELS) for _ in expected]
    reference = cohen_kappa_score(expected, predicted, labels=list(PRIORITY_LEVELS), weights="quadratic")
    assert m.quadratic_weighted_kappa(expected, predicted) == pytest.approx(reference, abs=1e-12)


def test_kappa_is_none_when_undefined() -> None:
    assert m.quadratic_weighted_kappa([], []) is None
    assert m.quadratic_weighted_kappa(["high", "high"], ["high", "high"]) is None  # one level: no chance
    assert m.quadratic_weighted_kappa(["low", "high"], ["low", "high"]) == 1.0


def test_acceptable_priorities_count_as_exact_and_bound_triage() -> None:
    records = [
        outcome("a", expected_priority="urgent", predicted_priority="high", acceptable=("high",)),  # exact
        outcome("b", expected_priority="urgent", predicted_priority="medium", acceptable=("high",)),  # under
        outcome("c", expected_priority="high", predicted_priority="low"),  # under, 2 levels off
        outcome("d", expected_priority="low", predicted_priority="high", acceptable=("medium",)),  # over, ±1
        outcome("e", expected_priority="high", predicted_priority=None),  # missing: wrong, under
        outcome("f", expected_priority=None, predicted_priority="low"),  # no expected priority: not graded
        outcome("g", expected=False, predicted=True),  # not an expected escalation: not graded
    ]
    metrics = m.priority_metrics(records)
    assert metrics == m.PriorityMetrics(
        n=5,
        n_missing=1,
        exact_accuracy=1 / 5,
        within_one_accuracy=3 / 5,
        quadratic_kappa=m.quadratic_weighted_kappa(
            ["urgent", "urgent", "high", "low"], ["high", "medium", "low", "high"]
        ),
        conditional_under_triage_rate=3 / 4,
        over_triage_rate=1 / 5,
    )


def test_unknown_priority_is_refused() -> None:
    with pytest.raises(UserError, match="critical"):
        outcome(expected_priority="critical")
    with pytest.raises(UserError, match="normal"):
        outcome(acceptable=("normal",))


# --- handoff, latency, tokens ---------------------------------------------------------------------


def test_handoff_rates_equal_numpy(records: list[CaseOutcome]) -> None:
    escalations = [o for o in records if o.predicted_escalate]
    silent = np.array([not o.text_after_handoff for o in escalations])
    with_reason = np.array([o.reason is not None and o.reason.strip() != "" for o in escalations])

    assert m.silence_after_handoff_rate(records) == pytest.approx(silent.mean() if escalations else 0.0)
    assert m.non_empty_reason_rate(records) == pytest.approx(with_reason.mean() if escalations else 0.0)


def test_handoff_rates_on_a_hand_example() -> None:
    records = [
        outcome("a", reason="refund", text_after_handoff=False),
        outcome("b", reason="   ", text_after_handoff=True),
        outcome("c", reason=None, text_after_handoff=False),
        outcome("d", expected=False, predicted=False, text_after_handoff=True),  # no escalation: not counted
    ]
    assert m.silence_after_handoff_rate(records) == 2 / 3
    assert m.non_empty_reason_rate(records) == 1 / 3


def test_latency_and_tokens_equal_numpy(records: list[CaseOutcome]) -> None:
    latencies = np.array([o.latency_s for o in records])
    tokens_in = np.array([o.input_tokens for o in records])
    tokens_out = np.array([o.output_tokens for o in records])

    latency = m.latency_stats(records)
    assert (latency.p50, latency.p95, latency.mean) == pytest.approx(
        (np.percentile(latencies, 50), np.percentile(latencies, 95), latencies.mean())
    )
    stats = m.token_stats(records)
    assert (stats.input_total, stats.output_total) == (tokens_in.sum(), tokens_out.sum())
    assert (stats.input_mean, stats.output_mean) == pytest.approx((tokens_in.mean(), tokens_out.mean()))


@pytest.mark.parametrize("seed", SEEDS)
def test_percentile_equals_numpy_linear(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.gauss(0, 10) for _ in range(rng.randint(1, 40))]
    for q in (0, 2.5, 25, 50, 90, 95, 97.5, 100):
        assert m.percentile(values, q) == pytest.approx(np.percentile(values, q))


def test_empty_latency_and_tokens_are_zero() -> None:
    assert m.latency_stats([]) == m.LatencyStats(0.0, 0.0, 0.0)
    assert m.token_stats([]) == m.TokenStats(0, 0, 0.0, 0.0)
    with pytest.raises(UserError):
        m.percentile([1.0], 101)


# --- pass^k, pass@k, cost -------------------------------------------------------------------------


def trials(case_id: str, successes: int, n: int) -> list[CaseOutcome]:
    """n repeats of a no-escalation case, ``successes`` of them right."""
    return [outcome(case_id, i, expected=False, predicted=i >= successes) for i in range(n)]


def test_pass_hat_k_and_pass_at_k_by_hand() -> None:
    records = trials("a", 2, 3) + trials("b", 3, 3)  # a: 2 of 3 succeed; b: 3 of 3

    assert m.pass_hat_k(records, 1) == pytest.approx((2 / 3 + 1) / 2)
    assert m.pass_hat_k(records, 2) == pytest.approx((1 / 3 + 1) / 2)  # C(2,2)/C(3,2) = 1/3
    assert m.pass_hat_k(records, 3) == pytest.approx((0 + 1) / 2)
    assert m.pass_at_k(records, 1) == pytest.approx((2 / 3 + 1) / 2)
    assert m.pass_at_k(records, 2) == pytest.approx(1.0)  # a: 1 - C(1,2)/C(3,2) = 1
    assert m.pass_hat_k(trials("c", 1, 4), 2) == 0.0
    assert m.pass_at_k(trials("c", 1, 4), 2) == pytest.approx(1 - 3 / 6)  # 1 - C(3,2)/C(4,2)


@pytest.mark.parametrize("seed", SEEDS)
def test_pass_k_equals_scipy_combinatorics(seed: int) -> None:
    records = random_outcomes(seed, n_cases=15, repeats=5)
    by_case = m.group_by_case(records)
    for k in range(1, 6):
        counts = [(len(t), sum(map(m.trial_succeeded, t))) for t in by_case.values()]
        hat = np.mean([comb(c, k, exact=True) / comb(n, k, exact=True) for n, c in counts])
        at = np.mean([1 - comb(n - c, k, exact=True) / comb(n, k, exact=True) for n, c in counts])
        assert m.pass_hat_k(records, k) == pytest.approx(hat)
        assert m.pass_at_k(records, k) == pytest.approx(at)
    assert m.pass_hat_k(records, 1) == pytest.approx(m.pass_at_k(records, 1))  # c/n and 1 - (n-c)/n
    assert [m.pass_hat_k(records, k) for k in range(1, 6)] == sorted(
        (m.pass_hat_k(records, k) for k in range(1, 6)), reverse=True
    )


def test_trial_success_needs_an_accepted_priority_when_both_escalate() -> None:
    assert m.trial_succeeded(
        outcome(expected_priority="high", predicted_priority="urgent", acceptable=("urgent",))
    )
    assert not m.trial_succeeded(outcome(expected_priority="high", predicted_priority="medium"))
    assert not m.trial_succeeded(outcome(expected_priority="high", predicted_priority=None))
    assert m.trial_succeeded(outcome(expected_priority=None, predicted_priority="low"))
    assert not m.trial_succeeded(outcome(expected=True, predicted=False))
    assert m.trial_succeeded(outcome(expected=False, predicted=False))


def test_pass_k_refuses_k_beyond_the_repeats() -> None:
    with pytest.raises(UserError, match="fewer than k=4"):
        m.pass_hat_k(trials("a", 1, 3), 4)
    with pytest.raises(UserError):
        m.pass_at_k(trials("a", 1, 3), 0)


def test_expected_cost_per_case_by_hand() -> None:
    costs = EscalationCosts(missed_escalation=10.0, unneeded_escalation=1.0, under_triage=4.0)
    case_a = [  # mean (10 + 0) / 2 = 5
        outcome("a", 0, expected=True, predicted=False),
        outcome("a", 1, expected=True, predicted=True),
    ]
    case_b = [  # mean (1 + 0 + 0) / 3
        outcome("b", 0, expected=False, predicted=True),
        outcome("b", 1, expected=False, predicted=False),
        outcome("b", 2, expected=False, predicted=False),
    ]
    case_c = [outcome("c", 0, expected_priority="urgent", predicted_priority="medium")]  # under-triage: 4
    case_d = [outcome("d", 0, expected_priority="low", predicted_priority="urgent")]  # over-triage: free

    assert m.expected_cost_per_case(case_a + case_b + case_c + case_d, costs) == pytest.approx(
        (5 + 1 / 3 + 4 + 0) / 4
    )
    assert m.expected_cost_per_case(case_a) == pytest.approx(m.DEFAULT_COSTS.missed_escalation / 2)
    assert m.expected_cost_per_case([]) == 0.0


# --- summarize ------------------------------------------------------------------------------------


def test_summarize_is_json_and_equals_the_individual_functions(records: list[CaseOutcome]) -> None:
    summary = m.summarize(records)
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary

    metrics = m.decision_metrics(records)
    assert summary["decision"]["f1"] == metrics.f1
    assert summary["decision"]["specificity"] == metrics.specificity
    assert summary["decision"]["confusion_matrix"] == m.confusion_matrix(records)
    assert summary["per_tag"] == {
        tag: {key: getattr(value, key) for key in summary["decision"] if key != "confusion_matrix"}
        for tag, value in m.per_tag_metrics(records).items()
    }
    assert summary["priority"]["quadratic_kappa"] == m.priority_kappa(records)
    assert summary["priority"]["conditional_under_triage_rate"] == m.conditional_under_triage_rate(records)
    assert summary["triage"]["under_triage_rate"] == m.under_triage_rate(records)
    assert summary["non_escalation"]["pass_rate"] == m.non_escalation_pass_rate(records)
    assert summary["at_prevalence"]["f1"] == m.at_prevalence(m.decision_counts(records)).f1
    assert summary["handoff"]["silence_after_handoff_rate"] == m.silence_after_handoff_rate(records)
    assert summary["handoff"]["non_empty_reason_rate"] == m.non_empty_reason_rate(records)
    assert summary["latency_s"]["p95"] == m.latency_stats(records).p95
    assert summary["tokens"]["output_total"] == m.token_stats(records).output_total
    assert summary["expected_cost_per_case"] == m.expected_cost_per_case(records)
    assert summary["n_errors"] == sum(o.error is not None for o in records)
    fewest_repeats = min(len(t) for t in m.group_by_case(records).values())
    assert summary["pass_hat_k"] == {str(k): m.pass_hat_k(records, k) for k in range(1, fewest_repeats + 1)}
    assert summary["pass_at_k"] == {str(k): m.pass_at_k(records, k) for k in range(1, fewest_repeats + 1)}


def test_summarize_takes_costs_and_ks() -> None:
    records = random_outcomes(5, n_cases=10, repeats=4)
    costs = EscalationCosts(missed_escalation=20.0)
    summary = m.summarize(records, costs=costs, ks=[2, 4])

    assert summary["costs"] == {"missed_escalation": 20.0, "unneeded_escalation": 1.0, "under_triage": 2.0}
    assert summary["expected_cost_per_case"] == m.expected_cost_per_case(records, costs)
    assert list(summary["pass_hat_k"]) == ["2", "4"]


def test_summarize_of_nothing_is_all_zero() -> None:
    summary = m.summarize([])
    assert summary["n_records"] == 0
    assert summary["pass_hat_k"] == {}
    assert summary["priority"]["quadratic_kappa"] is None
    json.dumps(summary, allow_nan=False)
