"""The budget of a tuning run, in model requests and in US dollars, and what it has spent so far.

Every real model request (the bot's and the proposer's; cache hits are free) goes through an
``agentkit.models.MeteredModel`` whose ``BudgetMeter`` appends one line to ``out/spend.jsonl`` at once. The total
over that file is what the run has spent, across interruptions and resumes, so a resumed run can never spend twice
what its budget allows.

Before each step the tuner asks for its worst case: every case not yet recorded, times repeats, times the loop's
iteration limit (requests are exact). Dollars are an estimate: input tokens from the prompt, tools and
conversation (characters / 4 unless a tokenizer is given) with a safety margin, plus the conversation growing by a
full reply and a tool result at each iteration; output tokens at the request's ``max_tokens`` (or
``ASSUMED_MAX_OUTPUT``). So the dollar bound is firm only when ``max_tokens`` caps the replies; without it, a
reply longer than assumed could overrun, and the ``BudgetMeter`` then refuses every further request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..evals import ModelPrice
from ..exceptions import ConfigError, ModelError
from ..models import Message, ToolSpecSource, Usage

__all__ = ["ASSUMED_MAX_OUTPUT", "Budget", "BudgetMeter", "BudgetStop", "Cost", "Ledger", "WorstCase"]

ASSUMED_MAX_OUTPUT = 1024
"""Output tokens a request is assumed to use at most when no ``max_tokens`` setting bounds it."""
_INPUT_MARGIN = 1.5  # characters / 4 undercounts some texts (code, non-Latin scripts): reserve half as much again
_TOOL_RESULT_TOKENS = 256  # what a tool result (or an argument error) can add to the conversation per iteration
_MAX_OUTPUT_KEYS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


class BudgetStop(Exception):  # noqa: N818 - control flow inside tune(), never raised to callers
    """The next step would go over the budget: the run stops there and reports what it spent."""


@dataclass(frozen=True, slots=True)
class Cost:
    """Model requests and US dollars: spent, or the worst case of a step."""

    requests: int = 0
    usd: float = 0.0

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.requests + other.requests, self.usd + other.usd)

    def __sub__(self, other: Cost) -> Cost:
        return Cost(self.requests - other.requests, self.usd - other.usd)

    def __mul__(self, factor: int) -> Cost:
        return Cost(self.requests * factor, self.usd * factor)

    def to_json(self) -> dict[str, Any]:
        return {"requests": self.requests, "usd": round(self.usd, 6)}


@dataclass(frozen=True, slots=True)
class Budget:
    """At most ``requests`` model requests and, when given, ``usd`` dollars (estimated before each step)."""

    requests: int
    usd: float | None = None

    def __post_init__(self) -> None:
        if self.requests < 0 or (self.usd is not None and self.usd < 0):
            raise ConfigError(f"a budget cannot be negative (requests={self.requests}, usd={self.usd})")

    def allows(self, cost: Cost) -> bool:
        return cost.requests <= self.requests and (self.usd is None or cost.usd <= self.usd + 1e-12)

    def describe(self) -> str:
        return f"{self.requests} requests" + (f" / ${self.usd:.2f}" if self.usd is not None else "")


class Ledger:
    """What the run has spent (``out/spend.jsonl``; in memory when ``path`` is None), against its budget."""

    def __init__(self, budget: Budget, path: Path | None) -> None:
        self.budget, self.path = budget, path
        self.before = _read_spend(path) if path is not None else Cost()
        self.now = Cost()
        self.in_flight = 0  # requests sent and not yet answered (cases run concurrently)

    @property
    def total(self) -> Cost:
        return self.before + self.now

    def fits(self, worst: Cost, reserve: Cost = Cost()) -> bool:
        return self.budget.allows(self.total + worst + reserve)

    def require(self, worst: Cost, reserve: Cost, what: str) -> None:
        """Raise ``BudgetStop`` unless ``worst`` (and the ``reserve`` kept for later steps) still fits."""
        if not self.fits(worst, reserve):
            needed = self.total + worst + reserve
            raise BudgetStop(
                f"budget reached before {what}: it would need up to {needed.requests} requests"
                f"{f' / ${needed.usd:.4f}' if self.budget.usd is not None else ''} in all "
                f"(spent {self.total.requests}, this step {worst.requests}, kept for dev and test "
                f"{reserve.requests}), over the budget of {self.budget.describe()}"
            )

    def record(self, model: str, requests: int, usd: float) -> None:
        self.now += Cost(requests, usd)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"model": model, "requests": requests, "usd": usd}) + "\n")


def _read_spend(path: Path) -> Cost:
    total = Cost()
    if not path.exists():
        return total
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            total += Cost(int(entry["requests"]), float(entry["usd"]))
        except (ValueError, KeyError, TypeError):
            continue  # a line torn by a killed run: that request is lost from the count, never added twice
    return total


class BudgetMeter:
    """The budget as a ``RequestMeter`` for ``agentkit.models.MeteredModel``: counts the requests a model really
    makes (and their price) in the ledger, and refuses one over the budget."""

    def __init__(self, ledger: Ledger, price: ModelPrice) -> None:
        self.ledger, self.price = ledger, price

    def admit(self, model_name: str) -> None:
        ledger, budget = self.ledger, self.ledger.budget
        # Never refused while the worst-case checks hold; a last guard: no bug can send a request over the count,
        # and once real dollars reach a dollar budget (replies longer than assumed), nothing more is sent.
        if ledger.total.requests + ledger.in_flight + 1 > budget.requests or (
            budget.usd is not None and ledger.total.usd >= budget.usd
        ):
            raise ModelError(f"the tuning budget of {budget.describe()} is spent; request refused")
        ledger.in_flight += 1

    def settle(self, model_name: str, usage: Usage | None) -> None:
        self.ledger.in_flight -= 1
        if usage is not None:
            self.ledger.record(model_name, 1, self.price.cost(usage.input_tokens, usage.output_tokens))


class WorstCase:
    """Upper bounds of what one run of a case costs (``iterations`` requests, and their dollars), and of one
    proposer request."""

    def __init__(self, price: ModelPrice, iterations: int, max_output: int, tokens: Callable[[str], int]) -> None:
        self.price, self.iterations = price, iterations
        self.max_output, self.tokens = max_output, tokens

    def case(self, instructions: str, tools: Sequence[ToolSpecSource], messages: Sequence[Message]) -> Cost:
        specs = json.dumps([tool.spec() for tool in tools])
        first = self.tokens(instructions + specs + json.dumps(list(messages))) * _INPUT_MARGIN
        growth = self.max_output + _TOOL_RESULT_TOKENS
        usd = sum(self.price.cost(int(first + i * growth), self.max_output) for i in range(self.iterations))
        return Cost(self.iterations, usd)

    def request(self, messages: Sequence[Message]) -> Cost:
        """One request with these messages (a proposer's)."""
        prompt = self.tokens(json.dumps(list(messages))) * _INPUT_MARGIN
        return Cost(1, self.price.cost(int(prompt), self.max_output))


def max_output_tokens(*settings: Mapping[str, Any] | None) -> int:
    """The output cap the settings give a request (the last one that sets it wins), else the assumed one."""
    cap = ASSUMED_MAX_OUTPUT
    for mapping in settings:
        for key in _MAX_OUTPUT_KEYS:
            if mapping and isinstance(mapping.get(key), int):
                cap = int(mapping[key])
    return cap
