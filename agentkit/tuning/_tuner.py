"""``Tuning``: search the prompt space on train, select on dev, confirm on test, within a budget.

1. **Search** (train only): the strategy scores candidates on seeded minibatches of the train split (minus the
   cases kept as few-shot examples). It stops early when its next step would eat into the budget kept for 2 and 3.
2. **Select** (dev): the start and the best ``finalists`` of the search run on the whole dev split; the best
   objective wins, and the start stays unless a candidate beats it.
3. **Confirm** (test): the start and the winner run on the test split; the report says whether the dev gain holds.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from ..evals import SPLITS, EscalationCase, Split, filter_cases, planned_f1_mde, price_for
from ..exceptions import ConfigError
from ..models import Model
from ._budget import BudgetStop, Cost, Ledger, WorstCase, max_output_tokens
from ._candidate import Candidate, ExamplePool, PromptBuilder, few_shot_of
from ._confirm import confirm, no_gain_verdict
from ._evaluate import Evaluator
from ._log import Evaluation, TuningLog, content_key
from ._opro import Proposer, Scored, meta_prompt
from ._plan import Plan, PlanStep
from ._result import TuneOptions, TuningResult
from ._strategies import Search, halving_rounds, initial_pool, ranked, search_order
from ._test_uses import record_test_use

__all__ = ["Tuning", "split_train"]


def split_train(
    train: Sequence[EscalationCase], share: float, seed: int
) -> tuple[list[EscalationCase], list[EscalationCase]]:
    """(example pool, search cases): ``share`` of each label's train cases, drawn with ``seed``, are examples."""
    rng = random.Random(f"example-pool:{seed}")
    pool: list[EscalationCase] = []
    for label in (True, False):
        group = sorted((c for c in train if c.expected.escalate == label), key=lambda c: c.id)
        rng.shuffle(group)
        pool += group[: round(share * len(group))]
    chosen = {c.id for c in pool}
    return pool, [c for c in train if c.id not in chosen]


class Tuning:
    """One tuning run: the splits, the prompt builder, the model wrapped with the budget, and the phases."""

    def __init__(
        self, options: TuneOptions, cases: Sequence[EscalationCase], model: Model, proposer: Model | None
    ) -> None:
        self.options = o = options
        self.splits = {split: filter_cases(cases, split=split) for split in SPLITS}
        empty = [split for split, found in self.splits.items() if not found]
        if empty:
            raise ConfigError(f"tuning needs cases in train, dev and test; none in: {', '.join(empty)}")
        self.example_pool, self.train = self._split_train()
        examples = ExamplePool(self.example_pool, o.seed, _stratified(o))
        self.builder = PromptBuilder(o.space, o.run.handoff_tool, examples)
        self.minibatch = min(o.minibatch, len(self.train))
        self.pool = initial_pool(o.strategy, self.builder, o.candidates, o.seed, o.opro_block)
        self.start = self.builder.start()
        self.ledger = Ledger(o.budget, None if o.dry_run else o.out_dir / "spend.jsonl")
        self.model = o.wrap(model, self.ledger)
        self.log = TuningLog(o.out_dir / "candidates.jsonl")
        output_cap = max_output_tokens(getattr(model, "settings", None), o.run.settings)
        worst = WorstCase(price_for(model.name, o.prices), o.run.iterations, output_cap, o.objective.tokens)
        self.evaluator = Evaluator(self.builder, self.model, self.ledger, worst, self.log, o.out_dir,
                                   o.objective, o.run, o.on_evaluation, o.progress)  # fmt: skip
        self.proposer = None
        if proposer is not None:
            self.proposer = Proposer(o.wrap(proposer, self.ledger), o.opro_block, o.opro_steps)
            price = price_for(proposer.name, o.prices)
            self.evaluator.proposer_worst = WorstCase(price, 1, output_cap, o.objective.tokens)

    def _split_train(self) -> tuple[list[EscalationCase], list[EscalationCase]]:
        few, train = few_shot_of(self.options.space), self.splits["train"]
        pool, search = split_train(train, few.pool, self.options.seed) if few else ([], list(train))
        if few and len(pool) < max(few.k):
            raise ConfigError(f"few_shot k={max(few.k)} needs that many example cases; the pool has {len(pool)}")
        if not search:
            raise ConfigError("no train cases are left for the search; lower [few_shot] pool in the space file")
        return pool, search_order(search, self.options.seed)

    # --- the plan ---------------------------------------------------------------------------------------------

    def plan(self) -> Plan:
        o = self.options
        biggest = max(self.pool, key=lambda c: len(self.builder.instructions(c)) + len(c.tool_description or ""))
        unit = {split: self._unit_costs(biggest, cases) for split, cases in self.splits.items()}
        steps = self._search_steps(self._unit_costs(biggest, self.train))
        steps.append(PlanStep("dev", "dev", 1 + o.finalists, len(unit["dev"]), _sum(unit["dev"]) * (1 + o.finalists)))
        steps.append(PlanStep("test", "test", 2, len(unit["test"]), _sum(unit["test"]) * 2))
        return Plan(
            o.strategy, o.seed, o.objective.describe(), str(o.space.path or o.space.template), o.space.size,
            {d.name: len(d.choices) for d in o.space.dimensions}, {s: len(c) for s, c in self.splits.items()},
            len(self.example_pool), steps, o.budget, o.run.iterations, o.run.repeats,
            {split: planned_f1_mde([c.expected.escalate for c in self.splits[split]], seed=o.seed)
             for split in ("dev", "test")},
        )  # fmt: skip

    def _unit_costs(self, candidate: Candidate, cases: Sequence[EscalationCase]) -> list[Cost]:
        instructions, tools = self.builder.instructions(candidate), [self.builder.tool(candidate)]
        return [self.evaluator.worst.case(instructions, tools, c.messages()) * self.options.run.repeats for c in cases]

    def _search_steps(self, unit: list[Cost]) -> list[PlanStep]:
        o, n = self.options, len(self.pool)

        def step(stage: str, candidates: int, size: int, done: int = 0) -> PlanStep:
            new = size - done if done else None
            return PlanStep(stage, "train", candidates, size, _sum(unit[done:size]) * candidates, new)

        if o.strategy == "halving":  # survivors ran the smaller minibatch already: a round runs only new cases
            rounds = halving_rounds(n, self.minibatch, len(self.train), o.finalists)
            sizes = [0] + [size for _, size in rounds]
            return [step(f"halving-{i}", k, size, sizes[i - 1]) for i, (k, size) in enumerate(rounds, start=1)]
        if o.strategy != "opro":
            return [step("search", n, self.minibatch)]
        proposals = PlanStep("proposals", "proposer", o.opro_steps, 0, self._proposal_cost() * o.opro_steps)
        return [step("opro-0", n, self.minibatch), proposals, step("opro-1..", o.opro_steps, self.minibatch)]

    def _proposal_cost(self) -> Cost:
        """One proposal's worst case, priced on a full meta-prompt: the longest policy text filling the history."""
        if self.proposer is None or self.evaluator.proposer_worst is None:
            return Cost(1, 0.0)
        texts = [self.builder.block_text(c, self.options.opro_block) for c in self.pool]
        history = [Scored(max(texts, key=len), 0.0)] * self.proposer.history
        tool = self.options.run.handoff_tool
        messages = meta_prompt(self.proposer, history, self.train[: self.proposer.mistakes], tool, "", 0)
        return self.evaluator.proposer_worst.request(messages)

    # --- the run ----------------------------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """What identifies the run in its log: a resumed run must match it (the budget may change)."""
        o = self.options
        dims = [(d.name, [(c.label, c.value) for c in d.choices]) for d in o.space.dimensions]
        return {
            "dataset": content_key([c.to_json_line() for split in SPLITS for c in self.splits[split]]),
            "space": content_key(self.builder.instructions(self.start), dims, o.space.few_shot),
            "strategy": o.strategy, "seed": o.seed, "model": self.model.name,
            "proposer": self.proposer.model.name if self.proposer else None, "objective": o.objective.to_json(),
            "minibatch": self.minibatch, "candidates": o.candidates, "finalists": o.finalists,
            "opro_steps": o.opro_steps, "iterations": o.run.iterations, "repeats": o.run.repeats,
            "settings": dict(o.run.settings or {}), "handoff_tool": o.run.handoff_tool,
        }  # fmt: skip

    async def run(self) -> TuningResult:
        plan = self.plan()
        result = TuningResult(self.options, plan, self.builder, self.start, self.ledger)
        if self.options.dry_run:
            return result
        if self.options.strategy == "opro" and self.proposer is None:
            raise ConfigError("the opro strategy needs a proposer model: pass proposer=, or --proposer")
        self.log.open(self.settings())
        result.resumed = self.log.resumed
        search = Search(self.evaluator, self.builder, self.train, self.minibatch, plan.reserve)
        try:
            await self._search(search)
        except BudgetStop as stop:
            result.stop(str(stop) if search.evaluations else _too_small(plan))
        result.search = list(search.evaluations)
        if search.evaluations:
            try:
                await self._select_and_confirm(result)
            except BudgetStop as stop:  # only when real dollars outran their estimate: the report says so
                result.stop(str(stop))
        return result

    async def _search(self, search: Search) -> None:
        o = self.options
        if o.strategy == "halving":
            await search.halving(self.pool, o.finalists)
        elif o.strategy == "opro":
            assert self.proposer is not None  # checked in run()
            await search.opro(self.pool, self.proposer, o.objective.describe())
        else:
            await search.each(self.pool, "search")

    async def _select_and_confirm(self, result: TuningResult) -> None:
        others = [e.candidate for e in ranked(result.search) if e.candidate.id != self.start.id]
        finalists = others[: self.options.finalists]
        # Test runs the start and, if one wins, a finalist: keep the dearest finalist's share.
        dearest = max((self._cost(c, "test") for c in finalists), default=Cost(), key=lambda c: (c.requests, c.usd))
        test_reserve = self._cost(self.start, "test") + dearest
        lineup = [self.start, *finalists]
        for number, candidate in enumerate(lineup):
            reserve = test_reserve + _sum([self._cost(c, "dev") for c in lineup[number + 1 :]])
            result.dev.append(await self.evaluator.evaluate(candidate, "dev", self.splits["dev"], "dev", reserve))
        winner = max(result.dev, key=lambda e: e.objective)  # the first of equals: the start stays unless beaten
        result.winner = winner.candidate
        changed = winner.candidate.id != self.start.id
        start_test = await self._test(self.start, self._cost(winner.candidate, "test") if changed else Cost())
        start_run = self.evaluator.run_of(start_test)
        if not changed:
            best = max(result.dev[1:], key=lambda e: e.objective, default=None)
            self._record_test_use(result, None)
            result.finish([(start_test, start_run)], no_gain_verdict(result.dev[0], best))
            return
        winner_test = await self._test(winner.candidate, Cost())
        winner_run = self.evaluator.run_of(winner_test)
        dev, test = (result.dev[0], winner), (start_test, winner_test)
        confirmation = confirm(self.options.objective, dev, test, (start_run, winner_run), self.options.seed)
        self._record_test_use(result, confirmation.holds)
        result.finish([(start_test, start_run), (winner_test, winner_run)], confirmation.verdict, confirmation)

    def _record_test_use(self, result: TuningResult, confirmed: bool | None) -> None:
        """Record that this run looked at test (the summary says how many runs have)."""
        key = content_key([c.to_json_line() for c in self.splits["test"]])
        result.test_uses, result.test_uses_log = record_test_use(
            self.options.out_dir, key, len(self.splits["test"]), confirmed
        )

    def _cost(self, candidate: Candidate, split: Split) -> Cost:
        return self.evaluator.worst_case(candidate, split, self.splits[split])

    async def _test(self, candidate: Candidate, reserve: Cost) -> Evaluation:
        return await self.evaluator.evaluate(candidate, "test", self.splits["test"], "test", reserve)


def _too_small(plan: Plan) -> str:
    needed = plan.minimum
    money = f" / ${needed.usd:.4f}" if plan.budget.usd is not None else ""
    return (
        f"the budget of {plan.budget.describe()} is too small to start: one search step plus the dev and test "
        f"confirmation need up to {needed.requests} requests{money}; raise --budget, or lower --minibatch, "
        "--finalists or --iterations (--dry-run shows the plan)"
    )


def _sum(costs: Sequence[Cost]) -> Cost:
    return sum(costs, Cost())


def _stratified(options: TuneOptions) -> bool:
    few = few_shot_of(options.space)
    return few.stratified if few is not None else True
