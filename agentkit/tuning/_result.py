"""The options of a tuning run and its result: leaderboard, dev and test scores, verdict, what was spent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from ..evals import DEFAULT_PRICES, EvalRun, ModelPrice, price_for
from ..exceptions import ConfigError
from ..models import CachingModel, MeteredModel, Model, RateLimitedModel
from ._budget import Budget, BudgetMeter, Cost, Ledger
from ._candidate import Candidate, PromptBuilder
from ._confirm import Confirmation
from ._evaluate import RunOptions
from ._log import Evaluation
from ._objective import Objective
from ._plan import Plan
from ._space import SearchSpace
from ._strategies import STRATEGIES, Strategy, ranked

__all__ = ["TuneOptions", "TuningResult"]


@dataclass(frozen=True)
class TuneOptions:
    """Everything ``tune`` was asked for (see its docstring for each field)."""

    space: SearchSpace
    budget: Budget
    out_dir: Path
    strategy: Strategy = "grid"
    seed: int = 0
    objective: Objective = field(default_factory=Objective)
    minibatch: int = 16
    candidates: int = 8
    finalists: int = 2
    opro_steps: int = 4
    opro_block: str = "escalation_policy"
    run: RunOptions = field(default_factory=RunOptions)
    cache_dir: Path | None = None
    rpm: float | None = None
    prices: Mapping[str, ModelPrice] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    dry_run: bool = False
    progress: TextIO | None = None
    on_evaluation: Callable[[Evaluation], None] | None = None

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"unknown strategy {self.strategy!r}; choose one of {', '.join(STRATEGIES)}")
        for name in ("minibatch", "candidates", "finalists"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.run.iterations < 1 or self.run.repeats < 1 or self.opro_steps < 0:
            raise ConfigError("iterations and repeats must be at least 1, opro_steps at least 0")
        if self.strategy == "opro" and self.opro_block not in self.space.blocks:
            raise ConfigError(
                f"opro proposes texts for the block {self.opro_block!r}, which {self.space.template.name} does not "
                f"have; its blocks: {', '.join(self.space.blocks)}"
            )

    def wrap(self, model: Model, ledger: Ledger) -> Model:
        """``model`` metered against the budget, rate limited, then cached (a cache hit spends nothing)."""
        wrapped: Model = MeteredModel(model, BudgetMeter(ledger, price_for(model.name, self.prices)))
        if self.rpm:
            wrapped = RateLimitedModel(wrapped, rpm=self.rpm)
        return CachingModel(wrapped, self.cache_dir) if self.cache_dir is not None else wrapped


@dataclass
class TuningResult:
    """What a tuning run found. ``status``: ``planned`` (dry run), ``finished`` (confirmed on test, possibly
    after a search cut short by the budget: see ``stop_reason``) or ``stopped`` (the budget ended it first)."""

    options: TuneOptions
    plan: Plan
    builder: PromptBuilder
    start: Candidate
    ledger: Ledger
    search: list[Evaluation] = field(default_factory=list)
    dev: list[Evaluation] = field(default_factory=list)
    winner: Candidate | None = None
    test_start: Evaluation | None = None
    test_winner: Evaluation | None = None
    confirmation: Confirmation | None = None
    verdict: str = ""
    stop_reason: str | None = None
    resumed: int = 0
    finished: bool = False
    test_runs: list[EvalRun] = field(default_factory=list)
    test_uses: int = 0  # tuning runs (out folders) that have used this test split, this one included
    test_uses_log: Path | None = None

    @property
    def status(self) -> Literal["planned", "finished", "stopped"]:
        if self.options.dry_run:
            return "planned"
        return "finished" if self.finished else "stopped"

    @property
    def holds(self) -> bool:
        """The winner's gain over the start was confirmed on test (its 95 % interval is above zero)."""
        return self.confirmation is not None and self.confirmation.holds

    @property
    def best(self) -> Candidate:
        """The selected prompt: the dev winner once the run finished (``holds`` says whether test confirmed its
        gain), else the start."""
        return self.winner if self.winner is not None and self.finished else self.start

    @property
    def instructions(self) -> str:
        return self.builder.instructions(self.best)

    @property
    def tool_description(self) -> str:
        return self.builder.tool_description(self.best)

    @property
    def spent(self) -> Cost:
        """Everything spent in this out folder, this invocation and any interrupted one before it."""
        return self.ledger.total

    @property
    def spent_this_run(self) -> Cost:
        return self.ledger.now

    def stop(self, reason: str) -> None:
        self.stop_reason = self.stop_reason or reason

    def finish(
        self,
        tests: list[tuple[Evaluation, EvalRun]],
        verdict: str,
        confirmation: Confirmation | None = None,
    ) -> None:
        """Record the test evaluations (the start's, then the winner's when it is another prompt)."""
        self.test_start = tests[0][0]
        self.test_winner = tests[1][0] if len(tests) > 1 else None
        self.test_runs = [run for _, run in tests]
        self.verdict, self.confirmation, self.finished = verdict, confirmation, True

    def leaderboard(self) -> list[dict[str, Any]]:
        """Every candidate the search scored, best first, with its dev score when it reached dev."""
        dev = {e.candidate.id: e for e in self.dev}
        rows = []
        for rank, e in enumerate(ranked(self.search), start=1):
            on_dev = dev.get(e.candidate.id)
            rows.append({
                "rank": rank, "id": e.candidate.id, "name": e.candidate.name, "train_cases": e.n_cases,
                "train_objective": e.objective, "train_f1": e.metrics.get("f1"), "prompt_tokens": e.prompt_tokens,
                "dev_objective": on_dev.objective if on_dev else None,
                "dev_f1": on_dev.metrics.get("f1") if on_dev else None,
                "is_start": e.candidate.id == self.start.id,
                "is_winner": self.winner is not None and e.candidate.id == self.winner.id,
            })  # fmt: skip
        return rows
