"""Power: the smallest F1 gain a split can confirm, before a run (from its labels) and after (from its interval).

A comparison "confirms" a gain when the 95 % paired bootstrap interval of the difference lies above zero. With
few cases that interval is wide, so a real gain of a few points is confirmed only by luck; a verdict that then says
"no gain" misleads. The minimum detectable effect (MDE) says how large a true gain must be to be confirmed 80 % of
the time: ``(z[1 - alpha/2] + z[power]) x SE``, where SE is the standard error of the paired difference.

Before a run the SE is not known, so ``planned_f1_mde`` simulates one on the split's own labels: a start that decides
``accuracy`` of the cases right and a candidate that decides ``discordance`` of them differently, resampled as the
confirmation resamples them. After a run, ``observed_mde`` reads the SE off the bootstrap interval itself.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from statistics import NormalDist

from ..exceptions import UserError

__all__ = ["DEFAULT_POWER", "observed_mde", "planned_f1_mde"]

DEFAULT_POWER = 0.80
_ASSUMED_DISCORDANCE = 0.10  # two prompt variants of one model disagree on about one case in ten
_ASSUMED_ACCURACY = 0.80


def _z_sum(confidence: float, power: float) -> float:
    if not (0 < confidence < 1 and 0 < power < 1):
        raise UserError(f"confidence and power must be strictly between 0 and 1, got {confidence} and {power}.")
    normal = NormalDist()
    return normal.inv_cdf(1 - (1 - confidence) / 2) + normal.inv_cdf(power)


def observed_mde(low: float, high: float, *, confidence: float = 0.95, power: float = DEFAULT_POWER) -> float:
    """The MDE of a comparison whose ``confidence`` interval of the difference is ``[low, high]``."""
    standard_error = (high - low) / (2 * NormalDist().inv_cdf(1 - (1 - confidence) / 2))
    return _z_sum(confidence, power) * standard_error


def _f1(labels: Sequence[bool], predicted: Sequence[bool], drawn: Sequence[int]) -> float:
    tp = sum(labels[i] and predicted[i] for i in drawn)
    wrong = sum(labels[i] != predicted[i] for i in drawn)
    return 2 * tp / (2 * tp + wrong) if tp or wrong else 0.0


def planned_f1_mde(
    labels: Sequence[bool],
    *,
    discordance: float = _ASSUMED_DISCORDANCE,
    accuracy: float = _ASSUMED_ACCURACY,
    confidence: float = 0.95,
    power: float = DEFAULT_POWER,
    n_resamples: int = 400,
    seed: int = 0,
) -> float:
    """The smallest true F1 gain that a split with these escalation ``labels`` confirms ``power`` of the time.

    Deterministic for a ``seed``. ``discordance`` (the share of cases two prompts decide differently) drives it
    most: the more two candidates differ, the noisier their difference.
    """
    if not labels:
        raise UserError("no cases: the split is empty, so it can confirm nothing")
    rng = random.Random(seed)
    n = len(labels)
    # Exactly the assumed shares (at least one case differs), so a small split is not saved by a lucky draw.
    wrong = set(rng.sample(range(n), round((1 - accuracy) * n)))
    differ = set(rng.sample(range(n), max(1, round(discordance * n))))
    start = [label != (index in wrong) for index, label in enumerate(labels)]
    other = [decision != (index in differ) for index, decision in enumerate(start)]
    differences = []
    for _ in range(n_resamples):
        drawn = [rng.randrange(n) for _ in range(n)]
        differences.append(_f1(labels, other, drawn) - _f1(labels, start, drawn))
    return _z_sum(confidence, power) * statistics.pstdev(differences)
