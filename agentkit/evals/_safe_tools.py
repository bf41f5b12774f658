"""Safe tools for evals: the bot's tools other than the handoff do not run unless the user opts in.

An eval replays hundreds of conversations; a bot's real tools would act on each of them (a refund tool would
refund, a cancel tool would cancel). By default each such tool is replaced by a stand-in with the same name,
description and schema (the model sees exactly the tool it sees in production) that answers from the case itself:
when the case's conversation already holds a call of that tool with the same arguments, its recorded result is
returned; otherwise a stub result says the tool did not run. ``EvalBot(real_tools=True)`` (``--real-tools``) runs
the real tools, with a warning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pydantic import BaseModel

from ..exceptions import UserError
from ..tools import Tool
from ._cases import EscalationCase

__all__ = ["case_in_progress", "recorded_result", "stub_tool", "warn_real_tools"]

logger = logging.getLogger("agentkit.evals")
_CASE: ContextVar[EscalationCase | None] = ContextVar("agentkit_eval_case", default=None)


@contextmanager
def case_in_progress(case: EscalationCase) -> Iterator[None]:
    """Within the block, stand-in tools answer from ``case``'s recorded tool results."""
    token = _CASE.set(case)
    try:
        yield
    finally:
        _CASE.reset(token)


def recorded_result(case: EscalationCase | None, name: str, arguments: dict[str, Any]) -> str | None:
    """The result the case recorded for a call of ``name`` with these ``arguments`` (the last one), or None."""
    if case is None:
        return None
    calls: dict[str, bool] = {}
    found = None
    for message in case.conversation:
        for call in message.tool_calls or []:
            calls[call.id] = call.function.name == name and _same(call.function.arguments, arguments)
        if message.role == "tool" and calls.get(message.tool_call_id or ""):
            found = message.content
    return found


def _same(recorded: str, arguments: dict[str, Any]) -> bool:
    try:
        return bool(json.loads(recorded) == arguments)
    except json.JSONDecodeError:
        return False


def stub_tool(tool: Tool[Any]) -> Tool[Any]:
    """``tool`` with its handler replaced by the case's recorded result or a stub: the spec is unchanged."""

    async def stand_in(args: BaseModel) -> str:
        arguments = args.model_dump(mode="json")
        recorded = recorded_result(_CASE.get(), tool.name, arguments)
        if recorded is not None:
            return recorded
        return json.dumps({
            "status": "not_run",
            "note": f"{tool.name} is stubbed in this eval; no result is available for these arguments",
        })  # fmt: skip

    stand = Tool(
        tool.name, tool.description, tool.input, stand_in,
        ends_turn=tool.ends_turn, max_retries=tool.max_retries, timeout=tool.timeout, strict=tool.strict,
    )  # fmt: skip
    if stand.spec() != tool.spec():
        raise UserError(f"cannot stub {tool.name!r} without changing its spec; run with real_tools=True")
    return stand


def warn_real_tools(names: Sequence[str]) -> str | None:
    """Log (and return) the warning that real tools will run, when there are any."""
    if not names:
        return None
    text = (
        f"agentkit eval runs the bot's real tools ({', '.join(names)}): they act as in production on every case "
        "and repeat (a refund tool refunds); leave out --real-tools / real_tools=True to stub them"
    )
    logger.warning(text)
    return text
