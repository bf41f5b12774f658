"""The overfitting guard: does the winner's gain over the start, measured on dev, hold on the held-out test split?

The winner was chosen because it scored best on dev, so its dev gain is biased upwards (the more candidates, the
more so). Only test, never looked at during the search, says what the gain is worth. The verdict is "confirmed" when
the 95 % paired bootstrap interval of the test difference (winner - start, cases resampled) lies above zero, and
otherwise "not confirmed", with the smallest gain the test split could have confirmed (its minimum detectable
effect, 80 % power): a small test split cannot confirm a small gain, which is not evidence that there is none.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..evals import (
    EvalRun,
    PairedBootstrapResult,
    RunComparison,
    compare_runs,
    observed_mde,
    paired_bootstrap_difference,
)
from ._log import Evaluation
from ._objective import Objective

__all__ = ["Confirmation", "confirm", "is_plain_f1"]


@dataclass(frozen=True)
class Confirmation:
    """The winner (B) against the start (A) on test: McNemar and F1 (``comparison``), the objective's paired
    bootstrap, and the verdict in words."""

    dev_gain: float
    dev_f1_gain: float
    comparison: RunComparison
    objective: PairedBootstrapResult
    holds: bool
    verdict: str
    detectable_gain: float = 0.0  # the smallest gain this test split confirms 80 % of the time (objective units)

    def to_json(self) -> dict[str, Any]:
        return {
            "dev_gain": self.dev_gain,
            "dev_f1_gain": self.dev_f1_gain,
            "comparison": self.comparison.to_json(),
            "objective_paired_bootstrap": asdict(self.objective) | {"confidence": 0.95},
            "holds": self.holds,
            "confirmed": self.holds,
            "minimum_detectable_gain": self.detectable_gain,
            "verdict": self.verdict,
        }


def is_plain_f1(objective: Objective) -> bool:
    return dict(objective.weights) == {"f1": 1.0} and objective.token_penalty == 0


def confirm(
    objective: Objective,
    dev: tuple[Evaluation, Evaluation],
    test: tuple[Evaluation, Evaluation],
    runs: tuple[EvalRun, EvalRun],
    seed: int = 0,
) -> Confirmation:
    """``dev``, ``test`` and the test ``runs`` are (start, winner) pairs."""
    (dev_start, dev_winner), (test_start, test_winner) = dev, test
    comparison = compare_runs(*runs, seed=seed)
    shift = test_start.objective - test_start.quality - (test_winner.objective - test_winner.quality)
    boot = paired_bootstrap_difference(runs[0].outcomes, runs[1].outcomes, objective.quality, seed=seed)
    # The token penalty is the same in every resample: it moves the difference and its interval as a whole.
    boot = PairedBootstrapResult(boot.difference - shift, boot.low - shift, boot.high - shift,
                                 boot.sign_flip_share, boot.n_cases, boot.n_resamples)  # fmt: skip
    dev_gain = dev_winner.objective - dev_start.objective
    dev_f1 = _f1(dev_winner) - _f1(dev_start)
    holds = boot.low > 0
    detectable = observed_mde(boot.low, boot.high)
    verdict = _verdict(objective, dev_gain, boot, comparison, detectable)
    return Confirmation(dev_gain, dev_f1, comparison, boot, holds, verdict, detectable)


def _f1(evaluation: Evaluation) -> float:
    return float(evaluation.metrics.get("f1") or 0.0)


def _verdict(
    objective: Objective, dev_gain: float, boot: PairedBootstrapResult, comparison: RunComparison, detectable: float
) -> str:
    unit = "F1" if is_plain_f1(objective) else f"objective ({objective.describe()})"
    if boot.low > 0:
        head = "confirmed"
    else:  # an interval that reaches zero is not evidence of no gain: say how large a gain this split could see
        head = f"not confirmed (the test split can confirm gains of {detectable:.2f} or more)"
    text = (
        f"{head}: the dev gain of {dev_gain:+.2f} {unit} is {boot.difference:+.2f} on test, "
        f"95% CI [{boot.low:.2f}, {boot.high:.2f}]"
    )
    mcnemar = comparison.mcnemar
    text += (
        f"; McNemar exact p = {mcnemar.p_value:.3g} ({mcnemar.only_b_correct} test cases right only with the "
        f"winner, {mcnemar.only_a_correct} only with the start)"
    )
    if not is_plain_f1(objective):
        f1 = comparison.f1
        text += f"; F1 on test {f1.difference:+.2f}, 95% CI [{f1.low:.2f}, {f1.high:.2f}]"
    return text


def no_gain_verdict(dev_start: Evaluation, best: Evaluation | None) -> str:
    """The verdict when no candidate beat the start on dev: the start stays."""
    if best is None:
        return "no candidate reached dev; the starting prompt stays"
    return (
        f"no candidate beat the starting prompt on dev (best: {best.candidate.name}, "
        f"{best.objective - dev_start.objective:+.2f}); the starting prompt stays"
    )
