"""The plan of a tuning run: what it will evaluate, and the most it can cost. ``--dry-run`` prints it.

Request counts are exact upper bounds (cases x repeats x the iteration limit, plus one per proposal). Dollar
figures are estimates (see ``_budget``), computed with the longest prompt of the pool; proposals and finalists
are not known before the run, so they are priced like it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._budget import Budget, Cost

__all__ = ["Plan", "PlanStep"]


@dataclass(frozen=True, slots=True)
class PlanStep:
    """``candidates`` evaluated on ``cases`` cases of ``split`` (or, for proposals, ``candidates`` requests)."""

    stage: str
    split: str
    candidates: int
    cases: int
    worst: Cost
    new_cases: int | None = None  # halving: the cases not in the previous round's minibatch (only those run)

    def line(self) -> str:
        if self.split == "proposer":
            what = f"{self.candidates} proposer requests"
        else:
            new = f" ({self.new_cases} new)" if self.new_cases is not None else ""
            what = f"{self.candidates} x {self.cases} {self.split} cases{new}"
        return f"  {self.stage:<10} {what:<42} <= {self.worst.requests:>6} requests"


@dataclass(frozen=True)
class Plan:
    """The steps of a run in order (search, then ``dev``, then ``test``), its budget and what it needs."""

    strategy: str
    seed: int
    objective: str
    space: str
    space_size: int
    dimensions: Mapping[str, int]
    splits: Mapping[str, int]
    example_pool: int
    steps: Sequence[PlanStep]
    budget: Budget
    iterations: int
    repeats: int
    detectable_f1_gain: Mapping[str, float] = field(default_factory=dict)  # per split: see agentkit.evals._power

    @property
    def evaluations(self) -> int:
        return sum(step.candidates for step in self.steps if step.split != "proposer")

    @property
    def worst(self) -> Cost:
        return sum((step.worst for step in self.steps), Cost())

    @property
    def reserve(self) -> Cost:
        """What dev selection and test confirmation can cost: kept aside while the search runs."""
        return sum((s.worst for s in self.steps if s.stage in ("dev", "test")), Cost())

    @property
    def minimum(self) -> Cost:
        """The smallest budget that runs one search evaluation and still confirms on dev and test."""
        first = next(s for s in self.steps if s.stage not in ("dev", "test"))
        return self.reserve + Cost(first.worst.requests // max(first.candidates, 1),
                                   first.worst.usd / max(first.candidates, 1))  # fmt: skip

    def lines(self) -> list[str]:
        dims = ", ".join(f"{name} ({n})" for name, n in self.dimensions.items())
        money = f", about ${self.worst.usd:.4f} at most (estimate)" if self.worst.usd else ""
        lines = [
            f"plan: strategy {self.strategy}, seed {self.seed}, objective {self.objective}",
            f"  space      {self.space}: {self.space_size} prompts; {dims or 'no dimensions'}",
            f"  splits     train {self.splits['train']} ({self.splits['train'] - self.example_pool} for search, "
            f"{self.example_pool} kept for examples), dev {self.splits['dev']}, test {self.splits['test']}",
            *(step.line() for step in self.steps),
            f"  total      {self.evaluations} evaluations; at most {self.worst.requests} model requests "
            f"({self.iterations} per case and repeat: the loop's iteration limit){money}",
        ]
        return lines + self._power_lines() + self._budget_lines()

    def _power_lines(self) -> list[str]:
        if not self.detectable_f1_gain:
            return []
        gains = ", ".join(
            f"{split} ({self.splits[split]} cases) {gain:.2f}" for split, gain in self.detectable_f1_gain.items()
        )
        return [
            f"  power      smallest F1 gain each split can confirm (80 % of the time, 95 % interval): {gains}; "
            "assumes the prompts decide 1 case in 10 differently. A smaller true gain ends \"not confirmed\"",
        ]

    def _budget_lines(self) -> list[str]:
        budget, minimum = self.budget, self.minimum
        if budget.allows(self.worst):
            return [f"  budget     {budget.describe()}: covers the whole plan"]
        if not budget.allows(minimum):
            return [
                f"  budget     {budget.describe()}: too small; one search step plus dev and test need up to "
                f"{minimum.requests} requests{f' / ${minimum.usd:.4f}' if budget.usd is not None else ''}. Raise "
                "--budget, or lower --minibatch, --finalists or --iterations"
            ]
        return [
            f"  budget     {budget.describe()}: the search stops early, when its next step would eat into the "
            f"{self.reserve.requests} requests kept for dev and test"
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "seed": self.seed,
            "objective": self.objective,
            "space_size": self.space_size,
            "dimensions": dict(self.dimensions),
            "splits": dict(self.splits),
            "example_pool": self.example_pool,
            "steps": [
                {
                    "stage": s.stage,
                    "split": s.split,
                    "candidates": s.candidates,
                    "cases": s.cases,
                    "new_cases": s.new_cases,
                    "worst": s.worst.to_json(),
                }
                for s in self.steps
            ],  # fmt: skip
            "evaluations": self.evaluations,
            "worst": self.worst.to_json(),
            "minimum": self.minimum.to_json(),
            "iterations": self.iterations,
            "repeats": self.repeats,
            "minimum_detectable_f1_gain": dict(self.detectable_f1_gain),
        }
