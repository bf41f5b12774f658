"""``execute``: the tool-calling loop.

Each iteration makes one model request. A reply without tool calls ends the run (``responded``). Otherwise every
call is validated and run (concurrently when there are several); the results go back to the model in call order.
A successful ``ends_turn`` tool ends the run without another request (``ended_by_tool``): after a handoff the bot
says nothing more. Running out of iterations returns what was done (``iterations_exhausted``), or raises.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .. import context as _context
from .. import telemetry
from ..exceptions import DuplicateToolError, IterationsExhausted, RunError, ToolRetriesExceeded, UserError
from ..models import Message, Model, ModelResponse, Usage, resolve_model
from ..tools import Tool
from ._deadline import check_timeout, within_deadline
from ._events import claim_sink, emit_tool_calls, emit_tool_results, request_model
from ._hooks import Hooks, call_hook
from ._result import ExecuteResult, Status, ToolCallRecord, Trace
from ._tool_calls import UNKNOWN_TOOL, CallOutcome, OnToolException, ToolRunner

__all__ = ["execute", "execute_sync"]

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


async def execute(
    instructions: str,
    tools: Sequence[Tool[Any]] = (),
    messages: Sequence[Message] = (),
    model: Model | str | None = None,
    iterations: int = 10,
    *,
    settings: Mapping[str, Any] | None = None,
    hooks: Hooks | None = None,
    on_exhausted: Literal["return", "raise"] = "return",
    on_tool_exception: OnToolException = "send",
    max_concurrent_tools: int = 8,
    unknown_tool_retries: int = 2,
    context: Mapping[str, Any] | None = None,
    timeout: float | None = None,  # noqa: ASYNC109 (a deadline the retries see too, which asyncio.timeout is not)
) -> ExecuteResult:
    """Run ``model`` with ``instructions`` (the system message) and ``tools`` on ``messages`` until it answers.

    ``model`` is a ``Model`` or a model string (``"openai:gpt-4o-mini"``, ``"offline"``); None reads
    ``AGENTKIT_MODEL``. ``context`` values are readable by handlers with ``agentkit.context.get``. ``timeout``
    (seconds) bounds the whole run, retries and tools included: past it, ``DeadlineExceeded``.
    """
    timeout = check_timeout(timeout)
    run = _Run(
        resolve_model(model),
        _index_tools(tools),
        hooks,
        on_tool_exception,
        max_concurrent_tools,
        unknown_tool_retries,
    )
    conversation = _start_conversation(instructions, messages)
    if iterations < 1:
        raise UserError(f"iterations must be at least 1, not {iterations}")
    with telemetry.run():
        if context:
            with _context.scope(**context):
                result = await within_deadline(
                    run.loop(conversation, iterations, settings), timeout, run.partial_result
                )
        else:
            result = await within_deadline(run.loop(conversation, iterations, settings), timeout, run.partial_result)
    if result.status == "iterations_exhausted" and on_exhausted == "raise":
        raise IterationsExhausted(f"no answer after {iterations} iterations", result)
    return result


def execute_sync(*args: Any, **kwargs: Any) -> ExecuteResult:
    """``execute`` for synchronous code (scripts, notebooks without a running loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(execute(*args, **kwargs))
    raise UserError("execute_sync was called inside a running event loop; use `await execute(...)` there")


class _Run:
    def __init__(
        self,
        model: Model,
        tools: dict[str, Tool[Any]],
        hooks: Hooks | None,
        on_tool_exception: OnToolException,
        max_concurrent_tools: int,
        unknown_tool_retries: int,
    ) -> None:
        self.model = model
        self.tools = tools
        self.tool_list = list(tools.values())
        self.hooks = hooks
        self.runner = ToolRunner(tools, hooks, on_tool_exception, max_concurrent_tools)
        self.budgets = {name: tool.max_retries for name, tool in tools.items()}
        self.budgets[UNKNOWN_TOOL] = unknown_tool_retries
        self.failures: dict[str, int] = {}
        self.new_messages: list[Message] = []
        self.records: list[ToolCallRecord] = []
        self.usage = Usage()
        self.trace = Trace()
        self.sink = claim_sink()  # set by execute_stream: stream the requests, report each step

    async def loop(
        self, conversation: list[Message], iterations: int, settings: Mapping[str, Any] | None
    ) -> ExecuteResult:
        for iteration in range(1, iterations + 1):
            response = await self._request(conversation, iteration, settings)
            if not response.tool_calls:
                return self._result("responded", response.text, iteration)
            outcomes = await self._run_tools(response, iteration)
            for outcome in outcomes:
                self._add(conversation, outcome.message)
            self._check_budgets(outcomes, iteration)
            if any(o.ended_turn for o in outcomes):
                return self._result("ended_by_tool", None, iteration)
        return self._result("iterations_exhausted", None, iterations)

    async def _request(
        self, conversation: list[Message], iteration: int, settings: Mapping[str, Any] | None
    ) -> ModelResponse:
        started = time.perf_counter()
        try:
            response = await request_model(self.model, conversation, self.tool_list, settings, self.sink, iteration)
        except RunError as error:
            error.result = error.result or self._result("iterations_exhausted", None, iteration - 1)
            raise
        self.usage = self.usage + response.usage
        self._add(conversation, response.to_message())
        self.trace.add(
            "model_request",
            iteration=iteration,
            model=self.model.name,
            duration_s=time.perf_counter() - started,
            text=response.text,
            tool_calls=[c.name for c in response.tool_calls],
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
        )
        if self.hooks is not None and self.hooks.on_iteration is not None:
            await call_hook(self.hooks.on_iteration, iteration, response)
        return response

    async def _run_tools(self, response: ModelResponse, iteration: int) -> list[CallOutcome]:
        emit_tool_calls(self.sink, response, iteration)
        try:
            outcomes = await self.runner.run_all(response.tool_calls, iteration)
        except RunError as error:
            error.result = self._result("iterations_exhausted", None, iteration)
            raise
        for outcome in outcomes:
            record = outcome.record
            self.records.append(record)
            self.trace.add(
                "tool_call",
                iteration=iteration,
                name=record.name,
                call_id=record.call_id,
                arguments=record.arguments,
                output=record.output,
                error=record.error,
                duration_s=record.duration_s,
            )
        emit_tool_results(self.sink, outcomes)
        return outcomes

    def _check_budgets(self, outcomes: list[CallOutcome], iteration: int) -> None:
        for outcome in outcomes:
            if outcome.record.ok:
                continue
            key = outcome.budget_key
            self.failures[key] = self.failures.get(key, 0) + 1
            if self.failures[key] > self.budgets[key]:
                raise ToolRetriesExceeded(
                    f"{key} failed {self.failures[key]} times (max_retries={self.budgets[key]}); "
                    f"last error: {outcome.record.error}",
                    self._result("iterations_exhausted", None, iteration),
                )

    def _add(self, conversation: list[Message], message: Message) -> None:
        conversation.append(message)
        self.new_messages.append(message)

    def partial_result(self) -> ExecuteResult:
        """What the run had done when it was stopped from outside (a deadline)."""
        iterations = max((record.iteration for record in self.records), default=0)
        return self._result("iterations_exhausted", None, iterations)

    def _result(self, status: Status, text: str | None, iterations: int) -> ExecuteResult:
        return ExecuteResult(status, text, self.records, self.new_messages, self.usage, iterations, self.trace)


def _index_tools(tools: Sequence[Tool[Any]]) -> dict[str, Tool[Any]]:
    index: dict[str, Tool[Any]] = {}
    for tool in tools:
        if not isinstance(tool, Tool):
            raise UserError(f"tools must be Tool objects (Autonomous.Tool or @tool), not {type(tool).__name__}")
        if tool.name in index:
            raise DuplicateToolError(f"two tools are named {tool.name!r} in one run; give each tool its own name")
        index[tool.name] = tool
    return index


def _start_conversation(instructions: str, messages: Sequence[Message]) -> list[Message]:
    if not isinstance(instructions, str):
        raise UserError(f"instructions must be a string (render a prompt first), not {type(instructions).__name__}")
    for position, message in enumerate(messages):
        if not isinstance(message, Mapping) or message.get("role") not in _ROLES:
            raise UserError(
                f"messages[{position}] must be a dict with a role in {sorted(_ROLES)}, like "
                f"{{'role': 'user', 'content': 'hello'}}; got {message!r}"
            )
    conversation: list[Message] = [{"role": "system", "content": instructions}] if instructions else []
    conversation.extend(dict(m) for m in messages)
    return conversation
