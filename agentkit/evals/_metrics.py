"""Metrics of the escalation-decision evals: pure functions over ``CaseOutcome`` records.

Conventions every function here follows:

- One record per (case, repeat). Decision, priority, handoff, latency and token metrics count records (a case
  run five times weighs five). pass^k, pass@k and the expected cost are computed per case, then averaged over
  cases, so every case weighs the same whatever its number of repeats.
- A ratio whose denominator is zero is 0.0, as scikit-learn's ``zero_division=0`` does: precision with no
  predicted escalation, recall with no expected escalation, specificity with no expected non-escalation,
  accuracy of no records, a priority rate with no graded record. The one exception is Cohen's kappa, which is
  None when undefined: 0.0 would claim chance-level agreement where there is nothing to measure.
- Records with an ``error`` stay in and are scored on what was recorded: a run that failed before calling
  handToSupport did not escalate, which is what the user would have lived through. ``summarize`` counts them.
- Plain Python only: numpy, scipy and scikit-learn are test dependencies, used there to cross-check numbers.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..exceptions import UserError
from ..handoff import PRIORITIES

PRIORITY_LEVELS: tuple[str, ...] = PRIORITIES
"""The handToSupport priorities, lowest first (the case format's): their order is what kappa, within-one and
triage rates use."""

_RANK = {priority: rank for rank, priority in enumerate(PRIORITY_LEVELS)}
_HIGH_PRIORITIES = frozenset(PRIORITIES[PRIORITIES.index("high") :])  # high and above


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """What one repeat of one eval case expected and what the bot did.

    ``acceptable_priorities`` lists the priorities graded as correct besides ``expected_priority`` (empty:
    only ``expected_priority``). Priorities must be one of ``PRIORITY_LEVELS`` or None. ``replied``: the bot
    wrote a non-blank reply to the user; ``promised_human``: that reply promised a person (``promises_a_human``)
    although the bot did not call the handoff tool. Both grade the "don't escalate" cases (``trial_succeeded``).
    """

    case_id: str
    repeat: int
    tags: tuple[str, ...]
    expected_escalate: bool
    expected_priority: str | None
    acceptable_priorities: tuple[str, ...]
    predicted_escalate: bool
    predicted_priority: str | None
    reason: str | None
    text_after_handoff: bool
    latency_s: float
    input_tokens: int
    output_tokens: int
    error: str | None
    replied: bool = True
    promised_human: bool = False

    def __post_init__(self) -> None:
        # Unknown priorities would silently fall out of every ordered comparison; refuse them up front.
        for priority in (self.expected_priority, self.predicted_priority, *self.acceptable_priorities):
            if priority is not None and priority not in _RANK:
                raise UserError(
                    f"case {self.case_id!r}: priority {priority!r} is not one of {PRIORITY_LEVELS}; "
                    "map it to one of them (or None) before scoring."
                )

    @property
    def accepted_priorities(self) -> frozenset[str]:
        """Every priority graded as correct: ``expected_priority`` and ``acceptable_priorities``."""
        accepted = set(self.acceptable_priorities)
        if self.expected_priority is not None:
            accepted.add(self.expected_priority)
        return frozenset(accepted)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _mean(values: Sequence[float]) -> float:
    return _ratio(math.fsum(values), len(values))


# --- the escalation decision ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionCounts:
    """The escalation decision's confusion counts; escalating is the positive class."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 0.0 with no predicted escalation."""
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 0.0 with no expected escalation."""
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        """2TP / (2TP + FP + FN), the harmonic mean of precision and recall; 0.0 when TP = FP = FN = 0."""
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def accuracy(self) -> float:
        """(TP + TN) / n; 0.0 for no records."""
        return _ratio(self.tp + self.tn, self.n)

    @property
    def specificity(self) -> float:
        """TN / (TN + FP); 0.0 with no expected non-escalation."""
        return _ratio(self.tn, self.tn + self.fp)


@dataclass(frozen=True, slots=True)
class DecisionMetrics:
    """Counts and rates of the escalation decision over ``n`` records."""

    n: int
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    accuracy: float
    specificity: float


def decision_counts(outcomes: Iterable[CaseOutcome]) -> DecisionCounts:
    pairs = Counter((o.expected_escalate, o.predicted_escalate) for o in outcomes)
    tp, fp = pairs[True, True], pairs[False, True]
    fn, tn = pairs[True, False], pairs[False, False]
    return DecisionCounts(tp=tp, fp=fp, fn=fn, tn=tn)


def decision_metrics(outcomes: Iterable[CaseOutcome]) -> DecisionMetrics:
    counts = decision_counts(outcomes)
    return DecisionMetrics(
        n=counts.n,
        tp=counts.tp,
        fp=counts.fp,
        fn=counts.fn,
        tn=counts.tn,
        precision=counts.precision,
        recall=counts.recall,
        f1=counts.f1,
        accuracy=counts.accuracy,
        specificity=counts.specificity,
    )


def precision(outcomes: Iterable[CaseOutcome]) -> float:
    return decision_counts(outcomes).precision


def recall(outcomes: Iterable[CaseOutcome]) -> float:
    return decision_counts(outcomes).recall


def f1(outcomes: Iterable[CaseOutcome]) -> float:
    return decision_counts(outcomes).f1


def accuracy(outcomes: Iterable[CaseOutcome]) -> float:
    return decision_counts(outcomes).accuracy


def specificity(outcomes: Iterable[CaseOutcome]) -> float:
    return decision_counts(outcomes).specificity


DEFAULT_PREVALENCE = 0.10
"""The share of real conversations that need a person, assumed when re-weighting precision and F1: eval sets are
balanced for measurement (about half escalate), real traffic is not. Set yours from your own handoff rate."""


@dataclass(frozen=True, slots=True)
class PrevalenceMetrics:
    """Precision and F1 as they would be on traffic where ``prevalence`` of conversations need a person.

    Recall and specificity do not depend on the mix, precision does: each expected escalation is weighed
    ``prevalence / positives`` and each other record ``(1 - prevalence) / negatives``, as scikit-learn's
    ``precision_score(..., sample_weight=...)`` with those weights.
    """

    prevalence: float
    precision: float
    f1: float


def check_prevalence(prevalence: float) -> float:
    if not 0 < prevalence < 1:
        raise UserError(
            f"prevalence must be strictly between 0 and 1 (the share of real conversations that need a person, "
            f"such as 0.1), got {prevalence}."
        )
    return prevalence


def at_prevalence(counts: DecisionCounts, prevalence: float = DEFAULT_PREVALENCE) -> PrevalenceMetrics:
    check_prevalence(prevalence)
    tp = prevalence * counts.recall
    fn = prevalence - tp
    fp = (1 - prevalence) * _ratio(counts.fp, counts.fp + counts.tn)
    return PrevalenceMetrics(prevalence, precision=_ratio(tp, tp + fp), f1=_ratio(2 * tp, 2 * tp + fp + fn))


def confusion_matrix(outcomes: Iterable[CaseOutcome]) -> list[list[int]]:
    """``[[TN, FP], [FN, TP]]``: rows expected, columns predicted, as sklearn with labels [False, True]."""
    counts = decision_counts(outcomes)
    return [[counts.tn, counts.fp], [counts.fn, counts.tp]]


def per_tag_metrics(outcomes: Iterable[CaseOutcome]) -> dict[str, DecisionMetrics]:
    """Decision metrics over the records carrying each tag, tags sorted; a record counts once per tag."""
    by_tag: dict[str, list[CaseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        for tag in set(outcome.tags):
            by_tag[tag].append(outcome)
    return {tag: decision_metrics(by_tag[tag]) for tag in sorted(by_tag)}


# --- the priority of correct escalations ----------------------------------------------------------


def priority_graded(outcomes: Iterable[CaseOutcome]) -> list[CaseOutcome]:
    """The records whose priority is graded: expected and predicted escalate, and the case sets a priority.

    A graded record with no predicted priority is graded as wrong wherever it can be: not exact, not within
    one level, and under-triaged when the case needs high or urgent. Kappa, which needs a level, skips it.
    """
    both_escalate = (o for o in outcomes if o.expected_escalate and o.predicted_escalate)
    return [o for o in both_escalate if o.expected_priority is not None]


def _distance_to_accepted(outcome: CaseOutcome) -> int | None:
    if outcome.predicted_priority is None:
        return None
    predicted = _RANK[outcome.predicted_priority]
    return min(abs(predicted - _RANK[priority]) for priority in outcome.accepted_priorities)


def _is_under_triaged(outcome: CaseOutcome) -> bool:
    # Below every accepted level of a case needing high or urgent; a missing priority is not treated as high.
    if outcome.expected_priority not in _HIGH_PRIORITIES:
        return False
    if outcome.predicted_priority is None:
        return True
    return _RANK[outcome.predicted_priority] < min(_RANK[p] for p in outcome.accepted_priorities)


def _is_over_triaged(outcome: CaseOutcome) -> bool:
    if outcome.predicted_priority is None:
        return False
    return _RANK[outcome.predicted_priority] > max(_RANK[p] for p in outcome.accepted_priorities)


def priority_exact_accuracy(outcomes: Iterable[CaseOutcome]) -> float:
    """Share of graded records whose predicted priority is the expected one or an acceptable one."""
    distances = [_distance_to_accepted(o) for o in priority_graded(outcomes)]
    return _ratio(sum(d == 0 for d in distances), len(distances))


def priority_within_one_accuracy(outcomes: Iterable[CaseOutcome]) -> float:
    """Share of graded records whose predicted priority is at most one level from an accepted priority."""
    distances = [_distance_to_accepted(o) for o in priority_graded(outcomes)]
    return _ratio(sum(d is not None and d <= 1 for d in distances), len(distances))


def conditional_under_triage_rate(outcomes: Iterable[CaseOutcome]) -> float:
    """Among graded records expected high or urgent, the share predicted below every accepted priority.

    Conditional on the bot having escalated: a high or urgent case it never handed over is not counted here, so
    a bot that misses urgent cases can score well. ``under_triage_rate`` counts those misses.
    """
    needs_high = [o for o in priority_graded(outcomes) if o.expected_priority in _HIGH_PRIORITIES]
    return _ratio(sum(map(_is_under_triaged, needs_high)), len(needs_high))


def under_triage_rate(outcomes: Iterable[CaseOutcome]) -> float:
    """Among records expected to escalate at high or urgent, the share that did not reach a person in time:
    not escalated at all, or escalated below every accepted priority (or with none)."""
    needs_high = [o for o in outcomes if o.expected_escalate and o.expected_priority in _HIGH_PRIORITIES]
    late = sum(not o.predicted_escalate or _is_under_triaged(o) for o in needs_high)
    return _ratio(late, len(needs_high))


def right_decision_and_priority_rate(outcomes: Iterable[CaseOutcome]) -> float:
    """Among records expected to escalate, the share escalated with an accepted priority (any priority when the
    case sets none): the escalations that went right end to end."""
    should = [o for o in outcomes if o.expected_escalate]
    return _ratio(sum(map(trial_succeeded, should)), len(should))


def non_escalation_pass_rate(outcomes: Iterable[CaseOutcome]) -> float:
    """Among records expected not to escalate, the share that passed (``trial_succeeded``): no handoff, a
    reply to the user, and no promise of a person the bot did not call."""
    should_not = [o for o in outcomes if not o.expected_escalate]
    return _ratio(sum(map(trial_succeeded, should_not)), len(should_not))


def over_triage_rate(outcomes: Iterable[CaseOutcome]) -> float:
    """Among all graded records, the share predicted above every accepted priority."""
    graded = priority_graded(outcomes)
    return _ratio(sum(map(_is_over_triaged, graded)), len(graded))


def quadratic_weighted_kappa(
    expected: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = PRIORITY_LEVELS
) -> float | None:
    """Cohen's kappa with quadratic weights over ordered ``labels``; None when undefined (no pair, one level).

    ``1 - sum(w * observed) / sum(w * chance)`` with ``w[i][j] = (i - j) ** 2``, as sklearn's
    ``cohen_kappa_score(weights="quadratic")``: the weights' scale cancels out.
    """
    index = {label: i for i, label in enumerate(labels)}
    observed = [[0] * len(labels) for _ in labels]
    for expected_label, predicted_label in zip(expected, predicted, strict=True):
        observed[index[expected_label]][index[predicted_label]] += 1
    n = len(expected)
    row_totals = [sum(row) for row in observed]
    column_totals = [sum(column) for column in zip(*observed, strict=True)]
    cells = [(i, j) for i in range(len(labels)) for j in range(len(labels))]
    disagreement = math.fsum((i - j) ** 2 * observed[i][j] for i, j in cells)
    chance = math.fsum((i - j) ** 2 * row_totals[i] * column_totals[j] / n for i, j in cells) if n else 0.0
    return 1.0 - disagreement / chance if chance else None


def priority_kappa(outcomes: Iterable[CaseOutcome]) -> float | None:
    """Quadratic-weighted kappa, predicted vs expected priority (not the acceptable ones), graded records."""
    pairs = [(o.expected_priority, o.predicted_priority) for o in priority_graded(outcomes)]
    known = [(e, p) for e, p in pairs if e is not None and p is not None]
    return quadratic_weighted_kappa([e for e, _ in known], [p for _, p in known])


@dataclass(frozen=True, slots=True)
class PriorityMetrics:
    """Priority metrics over the ``n`` graded records (``priority_graded``); ``n_missing`` had no priority."""

    n: int
    n_missing: int
    exact_accuracy: float
    within_one_accuracy: float
    quadratic_kappa: float | None
    conditional_under_triage_rate: float
    over_triage_rate: float


def priority_metrics(outcomes: Iterable[CaseOutcome]) -> PriorityMetrics:
    graded = priority_graded(outcomes)
    return PriorityMetrics(
        n=len(graded),
        n_missing=sum(o.predicted_priority is None for o in graded),
        exact_accuracy=priority_exact_accuracy(graded),
        within_one_accuracy=priority_within_one_accuracy(graded),
        quadratic_kappa=priority_kappa(graded),
        conditional_under_triage_rate=conditional_under_triage_rate(graded),
        over_triage_rate=over_triage_rate(graded),
    )


# --- the handoff itself, latency and tokens -------------------------------------------------------


def silence_after_handoff_rate(outcomes: Iterable[CaseOutcome]) -> float:
    """Share of predicted escalations after which the bot said nothing more (``text_after_handoff`` False)."""
    escalations = [o for o in outcomes if o.predicted_escalate]
    return _ratio(sum(not o.text_after_handoff for o in escalations), len(escalations))


def non_empty_reason_rate(outcomes: Iterable[CaseOutcome]) -> float:
    """Share of predicted escalations whose reason is not blank: the human reading the ticket needs one."""
    escalations = [o for o in outcomes if o.predicted_escalate]
    return _ratio(sum(bool(o.reason and o.reason.strip()) for o in escalations), len(escalations))


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between order statistics (numpy's default)."""
    if not 0 <= q <= 100:
        raise UserError(f"percentile q must be within 0..100, got {q}.")
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Seconds per record; all 0.0 for no records."""

    p50: float
    p95: float
    mean: float


def latency_stats(outcomes: Iterable[CaseOutcome]) -> LatencyStats:
    latencies = [o.latency_s for o in outcomes]
    return LatencyStats(p50=percentile(latencies, 50), p95=percentile(latencies, 95), mean=_mean(latencies))


@dataclass(frozen=True, slots=True)
class TokenStats:
    """Token totals, and means per record (0.0 for no records)."""

    input_total: int
    output_total: int
    input_mean: float
    output_mean: float


def token_stats(outcomes: Iterable[CaseOutcome]) -> TokenStats:
    records = list(outcomes)
    input_total = sum(o.input_tokens for o in records)
    output_total = sum(o.output_tokens for o in records)
    return TokenStats(
        input_total=input_total,
        output_total=output_total,
        input_mean=_ratio(input_total, len(records)),
        output_mean=_ratio(output_total, len(records)),
    )


# --- per case: reliability over repeats and expected cost -----------------------------------------


def group_by_case(outcomes: Iterable[CaseOutcome]) -> dict[str, list[CaseOutcome]]:
    """The records of each case (its repeats), in input order."""
    cases: dict[str, list[CaseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        cases[outcome.case_id].append(outcome)
    return dict(cases)


def trial_succeeded(outcome: CaseOutcome) -> bool:
    """The decision is right, and the rest of the reply holds up.

    An escalation case passes when the bot escalated with an accepted priority (any, if the case sets none). A
    "don't escalate" case passes when the bot did not escalate, replied to the user, and did not promise a
    person it never called: silence and a false "I'm transferring you" fail it as surely as a handoff.
    """
    if outcome.predicted_escalate != outcome.expected_escalate:
        return False
    if not outcome.expected_escalate:
        return outcome.replied and not outcome.promised_human
    if outcome.expected_priority is None:
        return True
    return outcome.predicted_priority in outcome.accepted_priorities


def _per_case_pass(outcomes: Iterable[CaseOutcome], k: int, estimate: Callable[[int, int], float]) -> float:
    if k < 1:
        raise UserError(f"k must be at least 1, got {k}.")
    estimates = []
    for case_id, trials in group_by_case(outcomes).items():
        if len(trials) < k:
            raise UserError(f"case {case_id!r} has {len(trials)} repeats, fewer than k={k}; run more.")
        estimates.append(estimate(len(trials), sum(map(trial_succeeded, trials))))
    return _mean(estimates)


def pass_hat_k(outcomes: Iterable[CaseOutcome], k: int) -> float:
    """pass^k (tau-bench): per case, the chance that k i.i.d. trials all succeed, C(c, k) / C(n, k), averaged.

    n is the case's number of repeats and c how many succeeded (``trial_succeeded``); every case needs n >= k.
    """
    return _per_case_pass(outcomes, k, lambda n, c: math.comb(c, k) / math.comb(n, k))


def pass_at_k(outcomes: Iterable[CaseOutcome], k: int) -> float:
    """pass@k: per case, the chance that any of k trials succeeds, 1 - C(n - c, k) / C(n, k), averaged."""
    return _per_case_pass(outcomes, k, lambda n, c: 1.0 - math.comb(n - c, k) / math.comb(n, k))


@dataclass(frozen=True, slots=True)
class EscalationCosts:
    """What each kind of mistake costs, in units of one unneeded escalation.

    Defaults: a missed escalation (FN) leaves a user stuck with a bot that cannot help, worse than a human
    spending a few minutes on a ticket that was not needed (FP, the unit); an under-triaged escalation
    reaches a human, but late, in between. Set them from your own support costs.
    """

    missed_escalation: float = 5.0
    unneeded_escalation: float = 1.0
    under_triage: float = 2.0


DEFAULT_COSTS = EscalationCosts()


def outcome_cost(outcome: CaseOutcome, costs: EscalationCosts = DEFAULT_COSTS) -> float:
    if outcome.expected_escalate and not outcome.predicted_escalate:
        return costs.missed_escalation
    if outcome.predicted_escalate and not outcome.expected_escalate:
        return costs.unneeded_escalation
    if outcome.expected_escalate and _is_under_triaged(outcome):  # both escalated: the others returned
        return costs.under_triage
    return 0.0


def expected_cost_per_case(outcomes: Iterable[CaseOutcome], costs: EscalationCosts = DEFAULT_COSTS) -> float:
    """Mean over cases of each case's mean cost over its repeats; 0.0 for no cases."""
    cases = group_by_case(outcomes).values()
    return _mean([_mean([outcome_cost(o, costs) for o in trials]) for trials in cases])


def non_escalation_summary(outcomes: Iterable[CaseOutcome]) -> dict[str, Any]:
    """The "don't escalate" records: how many, how many escalated anyway, stayed silent, or promised a person
    without calling one, and the share that passed."""
    should_not = [o for o in outcomes if not o.expected_escalate]
    kept = [o for o in should_not if not o.predicted_escalate]
    return {
        "n": len(should_not),
        "escalated": len(should_not) - len(kept),
        "silent": sum(not o.replied for o in kept),
        "promised_human": sum(o.promised_human for o in kept),
        "pass_rate": non_escalation_pass_rate(should_not),
    }


def _decision_kappa(outcomes: Sequence[CaseOutcome]) -> float | None:
    """Cohen's kappa of the bot's decisions against the labels: comparable with the labellers' own agreement."""
    names = ("no", "yes")
    expected = [names[o.expected_escalate] for o in outcomes]
    return quadratic_weighted_kappa(expected, [names[o.predicted_escalate] for o in outcomes], names)


# --- everything at once ---------------------------------------------------------------------------


def _default_ks(cases: dict[str, list[CaseOutcome]]) -> list[int]:
    return list(range(1, min((len(trials) for trials in cases.values()), default=0) + 1))


def summarize(
    outcomes: Iterable[CaseOutcome],
    costs: EscalationCosts = DEFAULT_COSTS,
    ks: Sequence[int] | None = None,
    prevalence: float = DEFAULT_PREVALENCE,
) -> dict[str, Any]:
    """Every metric of this module in one JSON-ready dict (string keys, numbers, None, lists, dicts).

    ``ks`` are the k of pass^k and pass@k; by default 1 up to the fewest repeats of any case. ``prevalence`` is
    the real share of conversations needing a person that precision and F1 are re-weighted to.
    """
    records = list(outcomes)
    cases = group_by_case(records)
    ks = _default_ks(cases) if ks is None else ks
    return {
        "n_records": len(records),
        "n_cases": len(cases),
        "n_errors": sum(o.error is not None for o in records),
        "decision": asdict(decision_metrics(records)) | {"confusion_matrix": confusion_matrix(records)},
        "per_tag": {tag: asdict(metrics) for tag, metrics in per_tag_metrics(records).items()},
        "at_prevalence": asdict(at_prevalence(decision_counts(records), prevalence)),
        "priority": asdict(priority_metrics(records)),
        "decision_kappa": _decision_kappa(records),
        "triage": {
            "under_triage_rate": under_triage_rate(records),
            "right_decision_and_priority_rate": right_decision_and_priority_rate(records),
        },
        "non_escalation": non_escalation_summary(records),
        "handoff": {
            "n_escalations": sum(o.predicted_escalate for o in records),
            "silence_after_handoff_rate": silence_after_handoff_rate(records),
            "non_empty_reason_rate": non_empty_reason_rate(records),
        },
        "latency_s": asdict(latency_stats(records)),
        "tokens": asdict(token_stats(records)),
        "pass_hat_k": {str(k): pass_hat_k(records, k) for k in ks},
        "pass_at_k": {str(k): pass_at_k(records, k) for k in ks},
        "expected_cost_per_case": expected_cost_per_case(records, costs),
        "costs": asdict(costs),
    }
