"""Search strategies over the train split: grid, random, successive halving, and OPRO proposals.

Every strategy scores candidates on a prefix of one seeded ordering of the train cases (a minibatch), so their
scores compare like with like, and a larger minibatch contains the smaller one (only new cases are run). The
ordering alternates escalating and non-escalating cases, so even a small minibatch has both.

Which candidates go on to dev is decided the same way for all: each candidate's score on the largest minibatch
it reached, best first (successive halving's survivors reached the largest).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..evals import EscalationCase
from ..exceptions import ModelError
from ._budget import Cost
from ._candidate import Candidate, PromptBuilder, literal_fragment
from ._evaluate import Evaluator
from ._log import Evaluation, content_key
from ._opro import Proposer, Scored, meta_prompt, parse_proposal

__all__ = ["STRATEGIES", "Search", "Strategy", "halving_rounds", "initial_pool", "ranked", "search_order"]

Strategy = Literal["grid", "random", "halving", "opro"]
STRATEGIES: tuple[Strategy, ...] = ("grid", "random", "halving", "opro")


def search_order(cases: Sequence[EscalationCase], seed: int) -> list[EscalationCase]:
    """``cases`` shuffled with ``seed``, alternating escalating and non-escalating ones."""
    rng = random.Random(f"minibatch:{seed}")
    positive = sorted((c for c in cases if c.expected.escalate), key=lambda c: c.id)
    negative = sorted((c for c in cases if not c.expected.escalate), key=lambda c: c.id)
    rng.shuffle(positive)
    rng.shuffle(negative)
    mixed = itertools.chain.from_iterable(itertools.zip_longest(positive, negative))
    return [case for case in mixed if case is not None]


def initial_pool(
    strategy: Strategy, builder: PromptBuilder, n: int, seed: int, block: str = "escalation_policy"
) -> list[Candidate]:
    """The candidates a strategy starts from, the start first. OPRO varies only ``block``: the start and the
    space's own texts for it seed the history."""
    sizes = [len(d.choices) for d in builder.space.dimensions]
    if strategy == "grid":
        indexes = list(itertools.product(*(range(s) for s in sizes)))
    elif strategy == "opro":
        indexes = _one_dimension(builder, f"block:{block}", sizes)
    else:
        total = math.prod(sizes)
        picks = range(total) if total <= n else [0, *random.Random(f"pool:{seed}").sample(range(1, total), n - 1)]
        indexes = [_decode(i, sizes) for i in picks]
    unique = {c.id: c for c in (builder.candidate(i) for i in indexes)}
    return list(unique.values())


def _one_dimension(builder: PromptBuilder, name: str, sizes: Sequence[int]) -> list[tuple[int, ...]]:
    """The start, then each other choice of the dimension ``name`` alone."""
    start = tuple(0 for _ in sizes)
    position = next((p for p, d in enumerate(builder.space.dimensions) if d.name == name), None)
    if position is None:
        return [start]
    return [start, *(start[:position] + (i,) + start[position + 1 :] for i in range(1, sizes[position]))]


def _decode(number: int, sizes: Sequence[int]) -> tuple[int, ...]:
    """The ``number``-th grid point in ``itertools.product`` order."""
    digits = []
    for size in reversed(sizes):
        number, digit = divmod(number, size)
        digits.append(digit)
    return tuple(reversed(digits))


def halving_rounds(n_candidates: int, minibatch: int, n_train: int, finalists: int) -> list[tuple[int, int]]:
    """(candidates, cases) per round: keep the better half, double the minibatch, until few remain or train
    runs out."""
    rounds, size, pool = [], min(minibatch, n_train), n_candidates
    while True:
        rounds.append((pool, size))
        if pool <= finalists or size >= n_train:
            return rounds
        pool, size = max(finalists, math.ceil(pool / 2)), min(2 * size, n_train)


@dataclass
class Search:
    """One search: its evaluator and prompt builder, the ordered train cases, and the budget kept for later."""

    evaluator: Evaluator
    builder: PromptBuilder
    train: list[EscalationCase]
    minibatch: int
    reserve: Cost
    evaluations: list[Evaluation] = field(default_factory=list)

    async def score(self, candidate: Candidate, size: int, stage: str) -> Evaluation:
        cases = self.train[:size]
        evaluation = await self.evaluator.evaluate(candidate, "train", cases, stage, self.reserve)
        self.evaluations.append(evaluation)
        return evaluation

    async def each(self, pool: Sequence[Candidate], stage: str) -> None:
        for candidate in pool:
            await self.score(candidate, self.minibatch, stage)

    async def halving(self, pool: Sequence[Candidate], finalists: int) -> None:
        rounds = halving_rounds(len(pool), self.minibatch, len(self.train), finalists)
        survivors = list(pool)
        for number, (keep, size) in enumerate(rounds, start=1):
            survivors = survivors[:keep]
            scored = [await self.score(c, size, f"halving-{number}") for c in survivors]
            order = sorted(range(len(scored)), key=lambda i: -scored[i].objective)  # stable: earlier wins ties
            survivors = [survivors[i] for i in order]

    async def opro(self, pool: Sequence[Candidate], proposer: Proposer, objective: str) -> None:
        await self.each(pool, "opro-0")
        for step in range(1, proposer.steps + 1):
            text = await self._propose(proposer, step, objective)
            tried = {e.candidate.block(proposer.block) for e in self.evaluations}
            if text is None or literal_fragment(text) in tried:
                continue  # an empty or repeated proposal costs its request but needs no evaluation
            start = pool[0]
            candidate = start.with_block(proposer.block, literal_fragment(text), f"opro-{step}")
            await self.score(candidate, self.minibatch, f"opro-{step}")

    async def _propose(self, proposer: Proposer, step: int, objective: str) -> str | None:
        best = ranked(self.evaluations)[0]
        run = self.evaluator.run_of(best)
        wrong = [c for c, o in zip(run.cases, run.outcomes, strict=True) if o.predicted_escalate != o.expected_escalate]
        scored = [Scored(self.builder.block_text(e.candidate, proposer.block), e.objective) for e in self.evaluations]
        messages = meta_prompt(proposer, _best_per_text(scored), wrong, self.evaluator.options.handoff_tool,
                               objective, best.n_cases)  # fmt: skip
        key = content_key(proposer.model.name, step, messages)  # a new step asks anew, a resumed one replays
        if key not in self.evaluator.log.proposals:
            assert self.evaluator.proposer_worst is not None  # the tuner sets it whenever a proposer runs
            worst = self.evaluator.proposer_worst.request(messages)
            self.evaluator.ledger.require(worst, self.reserve, f"proposal {step}")
            try:
                response = await proposer.model.request(messages)
            except ModelError as error:  # after the model's own retries: skip this step, a resume asks again
                self.evaluator.note(f"proposal {step} failed, skipped: {error}")
                return None
            self.evaluator.log.add_proposal(key, step, response.text or "")
        return parse_proposal(self.evaluator.log.proposals[key])


def _best_per_text(scored: Sequence[Scored]) -> list[Scored]:
    best: dict[str, Scored] = {}
    for item in scored:
        if item.text not in best or item.score > best[item.text].score:
            best[item.text] = item
    return list(best.values())


def ranked(evaluations: Sequence[Evaluation]) -> list[Evaluation]:
    """One evaluation per candidate (its largest minibatch), best first; earlier candidates win ties."""
    latest: dict[str, Evaluation] = {}
    order: dict[str, int] = {}
    for evaluation in evaluations:
        cid = evaluation.candidate.id
        order.setdefault(cid, len(order))
        if cid not in latest or evaluation.n_cases >= latest[cid].n_cases:
            latest[cid] = evaluation
    return sorted(latest.values(), key=lambda e: (-e.n_cases, -e.objective, order[e.candidate.id]))
