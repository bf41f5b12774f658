"""The objective a search maximizes: a weighted sum of eval metrics minus a penalty per prompt token.

Metrics where lower is better (expected cost, triage rates) enter with their sign flipped, so a weight is always
"how much one unit of improvement is worth". An undefined metric (kappa with one priority level) counts as 0.
The objective is a function of a run's records, so the paired bootstrap can resample it like F1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..evals import (
    METRIC_DIRECTIONS,
    CaseOutcome,
    accuracy,
    expected_cost_per_case,
    f1,
    over_triage_rate,
    precision,
    priority_exact_accuracy,
    priority_kappa,
    recall,
    specificity,
    under_triage_rate,
)
from ..exceptions import ConfigError

__all__ = ["OBJECTIVE_METRICS", "Objective", "estimate_tokens"]

OBJECTIVE_METRICS: Mapping[str, Callable[[Sequence[CaseOutcome]], float | None]] = {
    "f1": f1,
    "precision": precision,
    "recall": recall,
    "accuracy": accuracy,
    "specificity": specificity,
    "priority_kappa": priority_kappa,
    "priority_exact_accuracy": priority_exact_accuracy,
    "under_triage_rate": under_triage_rate,
    "over_triage_rate": over_triage_rate,
    "expected_cost_per_case": expected_cost_per_case,
}
"""The metrics an objective may weigh (the names of the eval report's headline)."""

_ALIASES = {"expected_cost": "expected_cost_per_case", "kappa": "priority_kappa", "cost": "expected_cost_per_case"}


def estimate_tokens(text: str) -> int:
    """About four characters a token: the usual rule of thumb for English with OpenAI tokenizers."""
    return math.ceil(len(text) / 4)


@dataclass(frozen=True)
class Objective:
    """``weights``: metric -> weight (default F1 alone); ``token_penalty`` is subtracted per prompt token,
    counted by ``tokenizer`` (default: characters / 4)."""

    weights: Mapping[str, float] = field(default_factory=lambda: {"f1": 1.0})
    token_penalty: float = 0.0
    tokenizer: Callable[[str], int] | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(OBJECTIVE_METRICS))
        if unknown or not self.weights:
            known = ", ".join([*OBJECTIVE_METRICS, *_ALIASES])
            raise ConfigError(f"the objective weighs unknown metrics {unknown}; it can weigh: {known}")
        if self.token_penalty < 0:
            raise ConfigError(f"token_penalty is subtracted per token and must be >= 0, not {self.token_penalty}")

    @classmethod
    def parse(cls, text: str, token_penalty: float = 0.0) -> Objective:
        """From ``"f1"`` or ``"f1=1,priority_kappa=0.5,expected_cost=0.1"`` (the CLI's ``--objective``)."""
        weights: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, sep, weight = item.partition("=")
            try:
                weights[_ALIASES.get(name.strip(), name.strip())] = float(weight) if sep else 1.0
            except ValueError:
                raise ConfigError(f"an objective term is METRIC or METRIC=WEIGHT, like f1=1; got {item!r}") from None
        return cls(weights, token_penalty)

    def tokens(self, text: str) -> int:
        return (self.tokenizer or estimate_tokens)(text)

    def quality(self, outcomes: Sequence[CaseOutcome]) -> float:
        """The weighted metrics of ``outcomes`` (higher is better), without the token penalty."""
        total = 0.0
        for name, weight in self.weights.items():
            value = OBJECTIVE_METRICS[name](outcomes)
            sign = 1.0 if METRIC_DIRECTIONS[name] == "higher" else -1.0
            total += weight * sign * (value if value is not None else 0.0)
        return total

    def penalty(self, prompt_tokens: int) -> float:
        return self.token_penalty * prompt_tokens

    def score(self, outcomes: Sequence[CaseOutcome], prompt_tokens: int) -> float:
        return self.quality(outcomes) - self.penalty(prompt_tokens)

    def describe(self) -> str:
        terms = [name if weight == 1 else f"{weight:g}*{name}" for name, weight in self.weights.items()]
        penalty = f" - {self.token_penalty:g}/prompt token" if self.token_penalty else ""
        return " + ".join(terms) + penalty

    def to_json(self) -> dict[str, object]:
        return {
            "weights": dict(self.weights),
            "token_penalty": self.token_penalty,
            "tokenizer": "custom" if self.tokenizer else "chars/4",
        }
