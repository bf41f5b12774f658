"""``run_eval``: run a bot on escalation cases and record, per case and repeat, what it decided.

The bot runs through the real loop (``execute``) with its real instructions and tool specs. What would act on the
world is swapped out: the handler of the handoff tool is replaced by one that records the call and returns
"escalated", and the bot's other tools answer from the case's recorded results or a stub (``_safe_tools``) unless
``EvalBot(real_tools=True)``. Same names, descriptions, schemas and ``ends_turn``, so the model sees exactly the
tools it sees in production, and no ticket is opened anywhere.

Cases run on a pool of ``concurrency`` workers. Each finished (case, repeat) is appended to
``out_dir/results.jsonl`` at once, so an interrupted run resumes where it stopped (records with an error are
run again). A failing case is recorded with its error; it never stops the run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..exceptions import UserError
from ..handoff import HANDOFF_TOOL_NAME
from ..hitl import hand_to_support
from ..loop import ExecuteResult, execute
from ..models import CachingModel, Model, RateLimitedModel, resolve_model
from ..prompts import render
from ..tools import Tool
from ._cache import CaseRecord, ResultsFile
from ._cases import EscalationCase, dump_cases
from ._metrics import DEFAULT_PREVALENCE, PRIORITY_LEVELS, CaseOutcome, check_prevalence
from ._promises import promises_a_human
from ._report import EvalRun, ProgressBar
from ._safe_tools import case_in_progress, stub_tool, warn_real_tools

__all__ = [
    "DEFAULT_PRICES",
    "EvalBot",
    "ModelPrice",
    "default_handoff_tool",
    "recording_handoff_tool",
    "run_eval",
]


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """US dollars per million input and output tokens."""

    input_per_million: float
    output_per_million: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1e6


FREE = ModelPrice(0.0, 0.0)
DEFAULT_PRICES: Mapping[str, ModelPrice] = {
    # OpenAI list prices, standard tier, USD per million tokens, as public price tables showed them in November 2026.
    # Prices change: pass prices= to run_eval for your contract or provider.
    "gpt-4o": ModelPrice(2.50, 10.00),
    "gpt-4o-mini": ModelPrice(0.15, 0.60),
    "gpt-4.1": ModelPrice(2.00, 8.00),
    "gpt-4.1-mini": ModelPrice(0.40, 1.60),
    "gpt-4.1-nano": ModelPrice(0.10, 0.40),
}


def price_for(model_name: str, prices: Mapping[str, ModelPrice]) -> ModelPrice:
    """The price of ``model_name`` (with or without an ``openai:`` prefix); free when unknown."""
    return prices.get(model_name) or prices.get(model_name.partition(":")[2]) or FREE


async def _record_handoff(args: BaseModel) -> str:
    return "escalated"  # the arguments are in the run's ToolCallRecord; nothing else happens


def default_handoff_tool(name: str = HANDOFF_TOOL_NAME) -> Tool[Any]:
    """The handoff tool a bot gets when it brings none: the shipped ``hand_to_support()``, so an eval measures
    the tool description production bots use (its handler is replaced by a recorder when the eval runs)."""
    return hand_to_support(name=name)


def recording_handoff_tool(tool: Tool[Any]) -> Tool[Any]:
    """``tool`` with its handler replaced by a recorder: the spec the model sees is unchanged."""
    recorder = Tool(
        tool.name, tool.description, tool.input, _record_handoff,
        ends_turn=tool.ends_turn, max_retries=tool.max_retries, timeout=tool.timeout, strict=tool.strict,
    )  # fmt: skip
    if recorder.spec() != tool.spec():
        raise UserError(f"cannot record calls of {tool.name!r} without changing its spec; file a bug with the tool")
    return recorder


@dataclass(slots=True)
class EvalBot:
    """What is evaluated: a model, instructions (default: the shipped ``support_assistant.j2``), tools (default:
    a handoff tool), settings for each model request, and the name of the handoff tool. ``real_tools``: run the
    tools other than the handoff for real (by default they answer from the case's recorded results or a stub)."""

    model: Model | str
    instructions: str | None = None
    tools: Sequence[Tool[Any]] | None = None
    settings: Mapping[str, Any] | None = None
    prompt: str = "support_assistant.j2"
    prompt_variables: Mapping[str, Any] = field(default_factory=dict)
    handoff_tool: str = HANDOFF_TOOL_NAME
    iterations: int = 10
    name: str | None = None
    real_tools: bool = False

    def resolved_instructions(self) -> str:
        if self.instructions is not None:
            return self.instructions
        return render(self.prompt, **{"handoff_tool": self.handoff_tool, **self.prompt_variables})

    def eval_tools(self) -> list[Tool[Any]]:
        """The bot's tools with the handoff tool recording instead of escalating, the others stubbed unless
        ``real_tools``."""
        tools = list(self.tools) if self.tools is not None else [default_handoff_tool(self.handoff_tool)]
        if self.handoff_tool not in {t.name for t in tools}:
            names = ", ".join(t.name for t in tools) or "none"
            raise UserError(
                f"the bot has no tool named {self.handoff_tool!r} (its tools: {names}); add your handoff tool "
                "to tools, or set handoff_tool= to its name"
            )
        return [
            recording_handoff_tool(t) if t.name == self.handoff_tool else t if self.real_tools else stub_tool(t)
            for t in tools
        ]

    def real_tool_names(self) -> list[str]:
        """The tools that act for real in an eval of this bot (none unless ``real_tools``)."""
        if not self.real_tools:
            return []
        return [t.name for t in self.tools or () if t.name != self.handoff_tool]


class _Plan:
    """One eval run: the fixed parts (model, instructions, tools) and the records as they come in."""

    def __init__(self, bot: EvalBot, model: Model, prices: Mapping[str, ModelPrice]) -> None:
        self.bot, self.model = bot, model
        self.instructions = bot.resolved_instructions()
        self.tools = bot.eval_tools()
        self.price = price_for(model.name, prices)
        self.fingerprint = _fingerprint(self)
        self.records: dict[tuple[str, int], CaseRecord] = {}

    async def run_case(self, case: EscalationCase, repeat: int) -> CaseRecord:
        model = self.model.for_repeat(repeat) if isinstance(self.model, CachingModel) else self.model
        started = time.perf_counter()
        result: ExecuteResult | None = None
        error: str | None = None
        try:
            with case_in_progress(case):
                result = await execute(
                    self.instructions, self.tools, case.messages(), model, self.bot.iterations,
                    settings=self.bot.settings,
                )  # fmt: skip
        except Exception as exc:  # one case failing must not end the run: it is recorded and reported
            error = f"{type(exc).__name__}: {exc}"
            partial = getattr(exc, "result", None)
            result = partial if isinstance(partial, ExecuteResult) else None
        return self.record(case, repeat, result, error, time.perf_counter() - started)

    def record(
        self, case: EscalationCase, repeat: int, result: ExecuteResult | None, error: str | None, latency: float
    ) -> CaseRecord:
        handoff = _successful_handoff(result, self.bot.handoff_tool)
        usage = result.usage if result is not None else None
        outcome = CaseOutcome(
            case_id=case.id,
            repeat=repeat,
            tags=tuple(case.tags),
            expected_escalate=case.expected.escalate,
            expected_priority=case.expected.priority,
            acceptable_priorities=tuple(case.expected.acceptable_priorities or ()),
            predicted_escalate=handoff is not None,
            predicted_priority=_priority(handoff),
            reason=_reason(handoff),
            text_after_handoff=_text_after_handoff(result, handoff),
            latency_s=latency,
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            error=error,
            replied=_replied(result),
            promised_human=handoff is None and promises_a_human(_reply_text(result)),
        )
        return CaseRecord(
            outcome=outcome,
            cost_usd=self.price.cost(outcome.input_tokens, outcome.output_tokens),
            status="error" if error is not None or result is None else result.status,
            model_requests=usage.requests if usage else 0,
            bot_messages=list(result.messages) if result is not None else [],
            bot_fingerprint=self.fingerprint,
        )

    def describe(self, cases: Sequence[EscalationCase], dataset: Mapping[str, Any] | None) -> dict[str, Any]:
        """The bot, dataset, cache and price parts of the report's ``config``."""
        bot, cache = self.bot, self.model.stats if isinstance(self.model, CachingModel) else None
        return {
            "bot": {
                "name": bot.name or self.model.name,
                "model": self.model.name,
                "prompt": None if bot.instructions is not None else bot.prompt,
                "instructions_sha256": hashlib.sha256(self.instructions.encode()).hexdigest(),
                "tools": [t.name for t in self.tools],
                "handoff_tool": bot.handoff_tool,
                "settings": dict(bot.settings or {}),
                "iterations": bot.iterations,
                "fingerprint": self.fingerprint,
                "real_tools": bot.real_tool_names(),
            },
            "dataset": {
                "n_cases": len(cases), "splits": dict(Counter(c.split or "none" for c in cases)), **(dataset or {}),
            },  # fmt: skip
            "cache": {"hits": cache.hits, "misses": cache.misses} if cache is not None else None,
            "price_per_million": {"input": self.price.input_per_million, "output": self.price.output_per_million},
        }


def _fingerprint(plan: _Plan) -> str:
    material = {
        "model": plan.model.name,
        "model_settings": getattr(plan.model, "settings", None) or {},
        "settings": plan.bot.settings or {},
        "instructions": plan.instructions,
        "tools": [t.spec() for t in plan.tools],
        "iterations": plan.bot.iterations,
    }
    canonical = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _successful_handoff(result: ExecuteResult | None, name: str) -> dict[str, Any] | None:
    if result is None:
        return None
    call = next((c for c in result.tool_calls if c.name == name and c.ok), None)
    if call is None:
        return None
    return {"call_id": call.call_id, **(call.arguments if isinstance(call.arguments, dict) else {})}


def _priority(handoff: dict[str, Any] | None) -> str | None:
    priority = (handoff or {}).get("priority")
    return priority if priority in PRIORITY_LEVELS else None  # a custom tool's other values are not graded


def _reason(handoff: dict[str, Any] | None) -> str | None:
    reason = (handoff or {}).get("reason")
    return reason if isinstance(reason, str) else None


def _reply_text(result: ExecuteResult | None) -> str:
    """Everything the bot wrote to the user in this run (its assistant texts, in order)."""
    if result is None:
        return ""
    texts = (str(m.get("content") or "") for m in result.messages if m.get("role") == "assistant")
    return "\n".join(text for text in texts if text.strip())


def _replied(result: ExecuteResult | None) -> bool:
    return bool(_reply_text(result).strip())


def _text_after_handoff(result: ExecuteResult | None, handoff: dict[str, Any] | None) -> bool:
    """Whether the bot wrote to the user in the reply that called the handoff tool, or in any reply after it."""
    if result is None or handoff is None:
        return False
    seen = False
    for message in result.messages:
        if message.get("role") != "assistant":
            continue
        calls = message.get("tool_calls") or []
        seen = seen or any(c.get("id") == handoff["call_id"] for c in calls)
        if seen and str(message.get("content") or "").strip():
            return True
    return False


def _wrap_model(model: Model, rpm: float | None, tpm: float | None, cache_dir: str | Path | None) -> Model:
    # The cache goes outside the rate limiter: a replayed answer spends no quota.
    if rpm or tpm:
        model = RateLimitedModel(model, rpm=rpm, tpm=tpm)
    return CachingModel(model, cache_dir) if cache_dir is not None else model


def _check_arguments(cases: Sequence[EscalationCase], repeats: int, concurrency: int) -> None:
    if repeats < 1:
        raise UserError(f"repeats must be at least 1, not {repeats}")
    if concurrency < 1:
        raise UserError(f"concurrency must be at least 1, not {concurrency}")
    if not cases:
        raise UserError("no cases to run: check the dataset path and the --split / tag filters")
    duplicates = [case_id for case_id, n in Counter(c.id for c in cases).items() if n > 1]
    if duplicates:
        raise UserError(f"case ids must be unique; repeated: {duplicates[:5]}")


async def run_eval(
    cases: Sequence[EscalationCase],
    bot: EvalBot,
    *,
    repeats: int = 1,
    concurrency: int = 16,
    rpm: float | None = None,
    tpm: float | None = None,
    cache_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    progress: bool = True,
    prices: Mapping[str, ModelPrice] = DEFAULT_PRICES,
    dataset: Mapping[str, Any] | None = None,
    prevalence: float = DEFAULT_PREVALENCE,
) -> EvalRun:
    """Run ``bot`` on every case ``repeats`` times and return the ``EvalRun``.

    ``rpm`` / ``tpm`` cap requests and tokens per minute; ``cache_dir`` replays answers seen before (see
    ``CachingModel``); ``out_dir`` receives ``results.jsonl`` as cases finish and resumes a run stopped
    before its end. ``dataset`` describes the cases for the report (path, split). ``prevalence`` is the real
    share of conversations needing a person, for the re-weighted precision and F1. Write the reports with
    ``run.write_reports()``.
    """
    _check_arguments(cases, repeats, concurrency)
    check_prevalence(prevalence)
    warn_real_tools(bot.real_tool_names())
    model = resolve_model(bot.model, shared=False)  # built from a string: this run's own, closed when it ends
    try:
        return await _run(plan=_Plan(bot, _wrap_model(model, rpm, tpm, cache_dir), prices), cases=cases,
                          repeats=repeats, concurrency=concurrency, out_dir=out_dir, progress=progress,
                          dataset=dataset, prevalence=prevalence, limits={"rpm": rpm, "tpm": tpm},
                          cache_dir=cache_dir)  # fmt: skip
    finally:
        if model is not bot.model:
            await _aclose(model)


async def _aclose(model: Model) -> None:
    close = getattr(model, "aclose", None)
    if close is not None:
        await close()


async def _run(
    *,
    plan: _Plan,
    cases: Sequence[EscalationCase],
    repeats: int,
    concurrency: int,
    out_dir: str | Path | None,
    progress: bool,
    dataset: Mapping[str, Any] | None,
    prevalence: float,
    limits: Mapping[str, float | None],
    cache_dir: str | Path | None,
) -> EvalRun:
    store = ResultsFile(Path(out_dir), plan.fingerprint) if out_dir is not None else None
    wanted = {(c.id, r) for c in cases for r in range(repeats)}
    if store is not None:
        plan.records = {key: r for key, r in store.load().items() if key in wanted and r.outcome.error is None}
        dump_cases(cases, store.folder / "cases.jsonl")
    resumed = len(plan.records)
    jobs = deque((c, r) for r in range(repeats) for c in cases if (c.id, r) not in plan.records)
    bar = ProgressBar(len(wanted), done=resumed, enabled=progress)
    started, clock = datetime.now(UTC), time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(min(concurrency, len(jobs))):
            group.create_task(_work(plan, jobs, store, bar))
    bar.close()
    options = {"repeats": repeats, "concurrency": concurrency, **limits}
    config = (
        plan.describe(cases, dataset)
        | options
        | {
            "cache_dir": str(cache_dir) if cache_dir is not None else None,
            "started_at": started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "wall_time_s": time.perf_counter() - clock,
            "resumed": resumed,
        }
    )
    records = [plan.records[c.id, r] for c in cases for r in range(repeats)]
    folder = Path(out_dir) if out_dir is not None else None
    return EvalRun(config, list(cases), records, folder, prevalence=prevalence)


async def _work(
    plan: _Plan, jobs: deque[tuple[EscalationCase, int]], store: ResultsFile | None, bar: ProgressBar
) -> None:
    while jobs:
        case, repeat = jobs.popleft()
        record = await plan.run_case(case, repeat)
        plan.records[case.id, repeat] = record
        if store is not None:
            store.append(record)
        bar.advance(failed=record.outcome.error is not None)
