"""Scoring one candidate on a set of cases: through the eval runner, inside the budget, logged, resumable.

Each (candidate, split) has its own eval folder, ``out/evals/<candidate id>/<split>``, whose ``results.jsonl``
keeps every finished case. A minibatch twice as large therefore runs only the cases the smaller one did not, and
a run interrupted inside an evaluation resumes it case by case. An evaluation already in the log is read back
and its records reloaded; nothing is asked of the model again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..evals import CaseRecord, EscalationCase, EvalBot, EvalRun, read_records, run_eval
from ..handoff import HANDOFF_TOOL_NAME
from ..models import Model
from ._budget import Cost, Ledger, WorstCase
from ._candidate import Candidate, PromptBuilder
from ._log import Evaluation, TuningLog, content_key
from ._objective import Objective

__all__ = ["HEADLINE", "Evaluator", "RunOptions"]

HEADLINE = (
    "f1", "precision", "recall", "accuracy", "priority_exact_accuracy", "priority_kappa", "under_triage_rate",
    "expected_cost_per_case",
)  # fmt: skip
"""The metrics each logged evaluation keeps (the eval report has them all)."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How each case runs: the loop's iteration limit (the worst case per case), repeats, concurrency, the
    per-request model settings, and the handoff tool's name."""

    iterations: int = 2
    repeats: int = 1
    concurrency: int = 8
    settings: Mapping[str, Any] | None = None
    handoff_tool: str = HANDOFF_TOOL_NAME


class Evaluator:
    """Runs and scores candidates for one tuning run; ``on_evaluation`` is called after each new one is logged."""

    def __init__(
        self,
        builder: PromptBuilder,
        model: Model,
        ledger: Ledger,
        worst: WorstCase,
        log: TuningLog,
        out_dir: Path,
        objective: Objective,
        options: RunOptions,
        on_evaluation: Callable[[Evaluation], None] | None = None,
        progress: TextIO | None = None,
    ) -> None:
        self.builder, self.model, self.ledger, self.worst, self.log = builder, model, ledger, worst, log
        self.out_dir, self.objective, self.options = out_dir, objective, options
        self.on_evaluation, self.progress = on_evaluation, progress
        self.runs: dict[str, EvalRun] = {}
        self.proposer_worst: WorstCase | None = None  # set when a proposer takes part (OPRO)

    def key(self, candidate: Candidate, split: str, cases: Sequence[EscalationCase]) -> str:
        return content_key(candidate.id, split, [c.id for c in cases], self.options.repeats)

    def folder(self, candidate: Candidate, split: str) -> Path:
        return self.out_dir / "evals" / candidate.id / split

    async def evaluate(
        self, candidate: Candidate, split: str, cases: Sequence[EscalationCase], stage: str, reserve: Cost
    ) -> Evaluation:
        """Score ``candidate`` on ``cases``, or read the score back; ``BudgetStop`` when it would not fit."""
        key = self.key(candidate, split, cases)
        logged = self.log.evaluations.get(key)
        stored = self._stored_run(candidate, split, cases) if logged is not None else None
        if logged is not None and stored is not None:
            self.runs[key] = stored
            return logged
        self.ledger.require(self.worst_case(candidate, split, cases), reserve, f"{stage}: {candidate.name}")
        before = self.ledger.now
        run = await run_eval(cases, self._bot(candidate), repeats=self.options.repeats,
                             concurrency=self.options.concurrency, out_dir=self.folder(candidate, split),
                             progress=False)  # fmt: skip
        evaluation = self._score(key, stage, split, candidate, run, self.ledger.now - before)
        self.runs[key] = run
        self.log.add_evaluation(evaluation)
        self._report(evaluation)
        return evaluation

    def run_of(self, evaluation: Evaluation) -> EvalRun:
        return self.runs[evaluation.key]

    def worst_case(self, candidate: Candidate, split: str, cases: Sequence[EscalationCase]) -> Cost:
        """The most this evaluation can cost: every (case, repeat) not yet recorded, at the iteration limit."""
        done = self._finished(candidate, split)
        instructions, tools = self.builder.instructions(candidate), [self.builder.tool(candidate)]
        total = Cost()
        for case in cases:
            missing = sum((case.id, r) not in done for r in range(self.options.repeats))
            if missing:
                total += self.worst.case(instructions, tools, case.messages()) * missing
        return total

    def prompt_tokens(self, candidate: Candidate) -> int:
        text = self.builder.instructions(candidate) + "\n" + self.builder.tool_description(candidate)
        return self.objective.tokens(text)

    def _bot(self, candidate: Candidate) -> EvalBot:
        return EvalBot(
            self.model,
            instructions=self.builder.instructions(candidate),
            tools=[self.builder.tool(candidate)],
            settings=self.options.settings,
            prompt=str(self.builder.space.template),
            handoff_tool=self.options.handoff_tool,
            iterations=self.options.iterations,
            name=candidate.name,
        )

    def _score(self, key: str, stage: str, split: str, candidate: Candidate, run: EvalRun, spent: Cost) -> Evaluation:
        metrics = run.metrics()
        quality, tokens = self.objective.quality(run.outcomes), self.prompt_tokens(candidate)
        return Evaluation(
            key=key, stage=stage, split=split, candidate=candidate, n_cases=len(run.cases),
            metrics={name: metrics.get(name) for name in HEADLINE}, quality=quality, prompt_tokens=tokens,
            objective=quality - self.objective.penalty(tokens), requests=spent.requests, usd=spent.usd,
        )  # fmt: skip

    def _records(self, candidate: Candidate, split: str) -> dict[tuple[str, int], CaseRecord]:
        path = self.folder(candidate, split) / "results.jsonl"
        return {(r.outcome.case_id, r.outcome.repeat): r for r in read_records(path)}

    def _finished(self, candidate: Candidate, split: str) -> set[tuple[str, int]]:
        # The runner runs again a record that ended in an error, so only clean ones count as done.
        return {key for key, r in self._records(candidate, split).items() if r.outcome.error is None}

    def _stored_run(self, candidate: Candidate, split: str, cases: Sequence[EscalationCase]) -> EvalRun | None:
        records = self._records(candidate, split)
        wanted = [(c.id, r) for c in cases for r in range(self.options.repeats)]
        if any(key not in records for key in wanted):
            return None  # the eval folder was removed: evaluate again
        config = {"bot": {"name": candidate.name}}
        return EvalRun(config, list(cases), [records[key] for key in wanted], self.folder(candidate, split))

    def note(self, text: str) -> None:
        """A line on the progress stream (when there is one) about something that did not stop the run."""
        if self.progress is not None:
            print(f"tune: {text}", file=self.progress, flush=True)

    def _report(self, evaluation: Evaluation) -> None:
        if self.on_evaluation is not None:
            self.on_evaluation(evaluation)
        if self.progress is not None:
            total = self.ledger.total
            print(
                f"tune {evaluation.stage:<11} {evaluation.split:<5} {evaluation.n_cases:>4} cases  "
                f"objective {evaluation.objective:7.3f}  spent {total.requests:>5} requests  "
                f"{evaluation.candidate.name[:60]}",
                file=self.progress,
                flush=True,
            )
