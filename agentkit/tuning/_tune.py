"""``tune()``: the Python entry point; ``agentkit tune`` calls it too."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..evals import DEFAULT_PRICES, EscalationCase, ModelPrice, load_cases
from ..exceptions import ConfigError
from ..handoff import HANDOFF_TOOL_NAME
from ..models import (
    Message,
    Model,
    ModelResponse,
    ToolSpecSource,
    model_string_from_environment,
    parse_model_string,
    resolve_model,
)
from ._budget import Budget
from ._evaluate import RunOptions
from ._log import Evaluation
from ._objective import Objective
from ._output import write_outputs
from ._result import TuneOptions, TuningResult
from ._space import SearchSpace, load_space
from ._strategies import Strategy
from ._tuner import Tuning

__all__ = ["tune"]


async def tune(
    dataset: str | Path | Sequence[EscalationCase],
    space: str | Path | SearchSpace,
    model: Model | str,
    *,
    budget: int,
    budget_usd: float | None = None,
    strategy: Strategy = "grid",
    seed: int = 0,
    out_dir: str | Path = "runs/tune",
    prompt: str | Path | None = None,
    proposer: Model | str | None = None,
    objective: Objective | str = "f1",
    token_penalty: float = 0.0,
    minibatch: int = 16,
    candidates: int = 8,
    finalists: int = 2,
    opro_steps: int = 4,
    opro_block: str = "escalation_policy",
    iterations: int = 2,
    repeats: int = 1,
    concurrency: int = 8,
    settings: Mapping[str, Any] | None = None,
    handoff_tool: str = HANDOFF_TOOL_NAME,
    cache_dir: str | Path | None = None,
    rpm: float | None = None,
    prices: Mapping[str, ModelPrice] = DEFAULT_PRICES,
    dry_run: bool = False,
    progress: TextIO | None = None,
    on_evaluation: Callable[[Evaluation], None] | None = None,
) -> TuningResult:
    """Tune the prompt of ``space`` for ``model`` on ``dataset`` (train, dev and test splits), within ``budget``.

    - ``budget`` / ``budget_usd``: at most that many model requests / dollars in ``out_dir``, resumes included
      (the bot's and the proposer's; a cache hit is free). Checked before each step against its worst case.
    - ``strategy``: ``grid`` (every prompt), ``random`` (``candidates`` of them, seeded), ``halving`` (successive
      halving from ``candidates`` prompts on minibatches doubling from ``minibatch``) or ``opro`` (``opro_steps``
      texts for ``opro_block`` proposed by ``proposer``, default ``model``).
    - ``objective``: an ``Objective`` or its text (``"f1"``, ``"f1=1,priority_kappa=0.5"``) with
      ``token_penalty`` per prompt token.
    - ``finalists``: the best of the search that run on dev next to the start; the dev winner and the start run
      on test. ``iterations`` is the loop's limit per case, hence the worst case of a case in requests.
    - ``out_dir`` receives ``candidates.jsonl`` as evaluations finish: run again to resume. ``cache_dir`` replays
      model answers seen before. ``dry_run`` returns the plan (``result.plan.lines()``) and makes no request.
    """
    cases = load_cases(dataset) if isinstance(dataset, str | Path) else list(dataset)
    loaded = space if isinstance(space, SearchSpace) else load_space(space, prompt)
    the_model = _planned(model) if dry_run else resolve_model(model, shared=False)  # closed when the run ends
    if proposer is None and strategy == "opro":
        proposer = the_model  # OPRO's usual set-up: the model proposes its own instructions
    options = TuneOptions(
        space=loaded,
        budget=Budget(budget, budget_usd),
        out_dir=Path(out_dir),
        strategy=strategy,
        seed=seed,
        objective=Objective.parse(objective, token_penalty) if isinstance(objective, str) else objective,
        minibatch=minibatch,
        candidates=candidates,
        finalists=finalists,
        opro_steps=opro_steps,
        opro_block=opro_block,
        run=RunOptions(iterations, repeats, concurrency, settings, handoff_tool),
        cache_dir=Path(cache_dir) if cache_dir is not None else None,
        rpm=rpm,
        prices=prices,
        dry_run=dry_run,
        progress=progress,
        on_evaluation=on_evaluation,
    )
    the_proposer = None
    if proposer is not None:
        the_proposer = _planned(proposer) if dry_run else resolve_model(proposer, shared=False)
    tuning = Tuning(options, cases, the_model, the_proposer)
    try:
        result = await tuning.run()
    finally:  # the models built here from strings are this run's: their connections end with it
        pairs = ((the_model, model), (the_proposer, proposer))
        built = {id(m): m for m, given in pairs if m is not None and m is not given}
        for owned in built.values():
            await _aclose(owned)
    if not dry_run:
        write_outputs(result)
    return result


async def _aclose(model: Model) -> None:
    close = getattr(model, "aclose", None)
    if close is not None:
        await close()


class _PlannedModel:
    """A model named by a string, in a dry run: the plan needs its name (for the price table), never a request,
    so no client is built and no API key is needed."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    async def request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        raise ConfigError("a dry run makes no model request")


def _planned(model: Model | str | None) -> Model:
    if model is None:
        model = model_string_from_environment()
    if isinstance(model, str):
        provider, name = parse_model_string(model)  # a dry run checks the string as a real run would
        return _PlannedModel(name or provider)
    return resolve_model(model)
