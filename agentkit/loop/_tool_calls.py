"""Running the tool calls of one model reply: parse, validate, hooks, handler, and the message back."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from .. import telemetry
from ..exceptions import ToolError, ToolExecutionError, UserError
from ..models import Message, ToolCall
from ..tools import Tool, render_output
from ._hooks import Hooks, ToolInvocation, call_hook
from ._result import ToolCallRecord

OnToolException = Literal["send", "raise"]
UNKNOWN_TOOL = "<unknown tool>"

_ending_turn: ContextVar[bool] = ContextVar("agentkit_ending_turn", default=False)


def ending_turn() -> bool:
    """True while the handler of a tool that ends the turn (``Tool.ends_turn``) runs: if it succeeds, the run
    ends right after it, without another model request. Code it calls may leave work to the end of the run (the
    HITL plugin's handoff completes with the run's own write)."""
    return _ending_turn.get()


@dataclass(slots=True)
class CallOutcome:
    record: ToolCallRecord
    message: Message
    tool: Tool[Any] | None

    @property
    def ended_turn(self) -> bool:
        return self.tool is not None and self.tool.ends_turn and self.record.ok

    @property
    def budget_key(self) -> str:
        return self.tool.name if self.tool is not None else UNKNOWN_TOOL


class ToolRunner:
    """Runs calls against a fixed set of tools; several calls of one reply run concurrently, at most ``limit``."""

    def __init__(
        self, tools: Mapping[str, Tool[Any]], hooks: Hooks | None, on_exception: OnToolException, limit: int
    ) -> None:
        self.tools = tools
        self.hooks = hooks
        self.on_exception = on_exception
        self._slots = asyncio.Semaphore(limit)

    async def run_all(self, calls: Sequence[ToolCall], iteration: int) -> list[CallOutcome]:
        if len(calls) == 1:  # the common case: no gather, no semaphore
            return [await self.run_one(calls[0], iteration)]
        return list(await asyncio.gather(*(self._run_limited(c, iteration) for c in calls)))

    async def _run_limited(self, call: ToolCall, iteration: int) -> CallOutcome:
        async with self._slots:
            return await self.run_one(call, iteration)

    async def run_one(self, call: ToolCall, iteration: int) -> CallOutcome:
        started = time.perf_counter()
        tool = self.tools.get(call.name)
        record = ToolCallRecord(call.name, _loose_json(call.arguments), call_id=call.id, iteration=iteration)
        with telemetry.tool_call(call.name, call.id) as span:
            if tool is None:
                record.error = _unknown_tool_message(call.name, self.tools)
            else:
                await self._invoke(tool, call, record, iteration)
            if record.error is not None:  # told to the model, not raised: the span says it failed
                span.set_attribute("error.type", "tool_error")
        record.duration_s = time.perf_counter() - started
        content = f"Error: {record.error}" if record.error is not None else render_output(record.output)
        return CallOutcome(record, {"role": "tool", "tool_call_id": call.id, "content": content}, tool)

    async def _invoke(self, tool: Tool[Any], call: ToolCall, record: ToolCallRecord, iteration: int) -> None:
        try:
            args = tool.parse_arguments(call.arguments)
        except ValidationError as error:
            record.error = _validation_message(tool.name, error)
            return
        invocation = ToolInvocation(call, args, iteration)
        try:
            if self.hooks is not None and self.hooks.before_tool is not None:
                args = await call_hook(self.hooks.before_tool, invocation) or args
                invocation = ToolInvocation(call, args, iteration)
            record.arguments = args.model_dump(mode="json")
            if tool.ends_turn:
                ending = _ending_turn.set(True)
                try:
                    output = await tool.invoke(args)
                finally:
                    _ending_turn.reset(ending)
            else:
                output = await tool.invoke(args)
            if self.hooks is not None and self.hooks.after_tool is not None:
                patched = await call_hook(self.hooks.after_tool, invocation, output)
                output = output if patched is None else patched
            record.output = output
        except ToolError as error:
            record.error = error.message
        except TimeoutError:
            record.error = f"{tool.name} did not finish within {tool.timeout} seconds"
        except UserError:  # the bot's code is wrong (a misspelt plugin alias): its developer must hear, not the model
            raise
        except Exception as error:
            if self.on_exception == "raise":
                raise ToolExecutionError(f"tool {tool.name!r} raised {type(error).__name__}: {error}") from error
            record.error = f"{tool.name} failed: {type(error).__name__}: {error}"


def _loose_json(text: str) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text


def _unknown_tool_message(name: str, tools: Mapping[str, Tool[Any]]) -> str:
    available = ", ".join(tools) or "none"
    return f"there is no tool named {name!r}. Available tools: {available}. Call one of those."


def _validation_message(name: str, error: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(arguments)'}: {e['msg']}" for e in error.errors(include_url=False)
    )
    return f"invalid arguments for {name}: {problems}. Fix the arguments and call {name} again."
