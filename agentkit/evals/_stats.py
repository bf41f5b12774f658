"""Uncertainty of eval metrics, and comparisons of two runs over the same cases.

The unit of resampling is the case, never the record: a case's repeats share the prompt and the model's
tendencies, so they are not independent draws, and resampling them one by one would give intervals that are
too narrow. A resample draws as many cases as there are, with replacement, each with all of its repeats.

Pairing two runs (run A, run B: another prompt, model or version) is by ``case_id``; both must cover the
same cases. For McNemar's test, each case's repeats are collapsed to one verdict per run by majority vote: the
case counts as correct when a strict majority of its repeats took the right escalation decision, and a tie
counts as wrong (a bot that escalates a case half of the time is not reliable on it). The paired bootstrap
needs no collapsing: it draws the same cases for both runs and computes the metric over all their repeats, so
its observed difference is the difference between the two runs' reported metrics.

Plain Python only (``random``, ``math``); scipy and statsmodels serve as cross-checks in the tests.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from ..exceptions import UserError
from ._metrics import CaseOutcome, f1, group_by_case, percentile

Metric = Callable[[Sequence[CaseOutcome]], float]
"""A metric over records, e.g. ``f1`` or ``lambda records: pass_hat_k(records, 3)``."""

_COPY_SEPARATOR = "\x1f"  # ASCII unit separator: cannot clash with a case id a person wrote


def _check_resampling(n_resamples: int, confidence: float) -> None:
    if n_resamples < 1:
        raise UserError(f"n_resamples must be at least 1, got {n_resamples}.")
    if not 0 < confidence < 1:
        raise UserError(f"confidence must be strictly between 0 and 1, got {confidence}.")


def _cases_of(outcomes: Iterable[CaseOutcome]) -> dict[str, list[CaseOutcome]]:
    cases = group_by_case(outcomes)
    if not cases:
        raise UserError("no outcomes to resample: run the eval first.")
    return cases


def _draw(case_ids: Sequence[str], rng: random.Random) -> list[tuple[str, int]]:
    """Draw as many cases as there are, with replacement; each with its copy number (0 for the first draw)."""
    copies: dict[str, int] = {}
    drawn = []
    for case_id in rng.choices(case_ids, k=len(case_ids)):
        copies[case_id] = copies.get(case_id, 0) + 1
        drawn.append((case_id, copies[case_id] - 1))
    return drawn


class _Cases:
    """A run's records by case, and the relabeled copies of cases drawn more than once, each made only once.

    A case drawn twice must stay two cases for per-case metrics (pass^k, cost), so later copies get a new id;
    relabeling is the slow part of a resample, hence the memo (copy numbers stay small, so does the memo).
    """

    def __init__(self, cases: dict[str, list[CaseOutcome]]) -> None:
        self.by_id = cases
        self._copies: dict[tuple[str, int], list[CaseOutcome]] = {}

    def records(self, drawn: Iterable[tuple[str, int]]) -> list[CaseOutcome]:
        records: list[CaseOutcome] = []
        for case_id, copy in drawn:
            records.extend(self._copy(case_id, copy))
        return records

    def _copy(self, case_id: str, copy: int) -> list[CaseOutcome]:
        if copy == 0:
            return self.by_id[case_id]
        if (case_id, copy) not in self._copies:
            copy_id = f"{case_id}{_COPY_SEPARATOR}{copy}"
            self._copies[case_id, copy] = [replace(o, case_id=copy_id) for o in self.by_id[case_id]]
        return self._copies[case_id, copy]


def _percentile_interval(values: Iterable[float], confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    ordered = sorted(values)
    return percentile(ordered, tail), percentile(ordered, 100 - tail)


def bootstrap_interval(
    outcomes: Iterable[CaseOutcome],
    metric: Metric,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval ``(low, high)`` of ``metric``, resampling cases with their repeats.

    Deterministic for a given ``seed``. Percentiles interpolate linearly, as numpy's and scipy's do.
    """
    _check_resampling(n_resamples, confidence)
    cases = _Cases(_cases_of(outcomes))
    case_ids = sorted(cases.by_id)  # sorted, so the same seed draws the same cases whatever the input order
    rng = random.Random(seed)
    estimates = (metric(cases.records(_draw(case_ids, rng))) for _ in range(n_resamples))
    return _percentile_interval(estimates, confidence)


# --- two runs over the same cases ---------------------------------------------------------------------------


def _paired_cases(
    run_a: Iterable[CaseOutcome], run_b: Iterable[CaseOutcome]
) -> tuple[dict[str, list[CaseOutcome]], dict[str, list[CaseOutcome]]]:
    cases_a, cases_b = _cases_of(run_a), _cases_of(run_b)
    if cases_a.keys() != cases_b.keys():
        only_a, only_b = sorted(cases_a.keys() - cases_b.keys()), sorted(cases_b.keys() - cases_a.keys())
        raise UserError(
            f"the runs cover different cases (only in A: {only_a[:5]}, only in B: {only_b[:5]}); "
            "compare runs of the same dataset."
        )
    return cases_a, cases_b


def _majority_correct(trials: Sequence[CaseOutcome]) -> bool:
    correct = sum(o.predicted_escalate == o.expected_escalate for o in trials)
    return 2 * correct > len(trials)


def correct_by_majority(outcomes: Iterable[CaseOutcome]) -> dict[str, bool]:
    """Per case: did a strict majority of its repeats take the right escalation decision? (A tie is False.)"""
    return {case_id: _majority_correct(trials) for case_id, trials in group_by_case(outcomes).items()}


def mcnemar_exact_p_value(only_a_correct: int, only_b_correct: int) -> float:
    """Two-sided exact McNemar p-value: a binomial(n, 1/2) test on the n discordant cases, capped at 1."""
    discordant = only_a_correct + only_b_correct
    tail = sum(math.comb(discordant, i) for i in range(min(only_a_correct, only_b_correct) + 1))
    return min(1.0, 2 * tail / (1 << discordant))  # integers until this one correctly rounded division


@dataclass(frozen=True, slots=True)
class McNemarResult:
    """The 2x2 table of per-case correctness (majority vote) of runs A and B, and the exact p-value."""

    n_cases: int
    both_correct: int
    only_a_correct: int
    only_b_correct: int
    both_wrong: int
    p_value: float

    @property
    def table(self) -> list[list[int]]:
        """``[[both correct, only A correct], [only B correct, both wrong]]``: rows A, columns B."""
        return [[self.both_correct, self.only_a_correct], [self.only_b_correct, self.both_wrong]]


def mcnemar_exact(run_a: Iterable[CaseOutcome], run_b: Iterable[CaseOutcome]) -> McNemarResult:
    """McNemar's exact test: do runs A and B get different cases right more often than chance would say?"""
    cases_a, cases_b = _paired_cases(run_a, run_b)
    pairs = [(_majority_correct(cases_a[case]), _majority_correct(cases_b[case])) for case in cases_a]
    only_a, only_b = pairs.count((True, False)), pairs.count((False, True))
    return McNemarResult(
        n_cases=len(pairs),
        both_correct=pairs.count((True, True)),
        only_a_correct=only_a,
        only_b_correct=only_b,
        both_wrong=pairs.count((False, False)),
        p_value=mcnemar_exact_p_value(only_a, only_b),
    )


@dataclass(frozen=True, slots=True)
class PairedBootstrapResult:
    """``difference`` = metric(B) - metric(A) on all records, its interval, and how often resamples disagree.

    ``sign_flip_share`` is the share of resamples whose difference is zero or has the opposite sign to the
    observed one (1.0 when the observed difference is 0): a one-sided, p-value-like number, not a calibrated
    p-value; small means the direction of the difference holds up under resampling.
    """

    difference: float
    low: float
    high: float
    sign_flip_share: float
    n_cases: int
    n_resamples: int


def _flips(observed: float, resampled: float) -> bool:
    return observed == 0 or resampled * observed <= 0


def paired_bootstrap_difference(
    run_a: Iterable[CaseOutcome],
    run_b: Iterable[CaseOutcome],
    metric: Metric = f1,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedBootstrapResult:
    """Paired percentile bootstrap of metric(B) - metric(A) (F1 by default): both runs draw the same cases."""
    _check_resampling(n_resamples, confidence)
    cases_a, cases_b = (_Cases(cases) for cases in _paired_cases(run_a, run_b))
    case_ids = sorted(cases_a.by_id)
    everything = [(case_id, 0) for case_id in case_ids]
    observed = metric(cases_b.records(everything)) - metric(cases_a.records(everything))
    rng = random.Random(seed)
    differences = []
    for _ in range(n_resamples):
        drawn = _draw(case_ids, rng)
        differences.append(metric(cases_b.records(drawn)) - metric(cases_a.records(drawn)))
    low, high = _percentile_interval(differences, confidence)
    flips = sum(_flips(observed, difference) for difference in differences)
    return PairedBootstrapResult(
        difference=observed,
        low=low,
        high=high,
        sign_flip_share=flips / n_resamples,
        n_cases=len(case_ids),
        n_resamples=n_resamples,
    )
