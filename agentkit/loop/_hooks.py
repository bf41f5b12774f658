"""Hooks into a run, like the Botpress ADK's: before a tool, after a tool, after each iteration.

Each hook may be a plain or an async function. ``before_tool`` returns new arguments (a model of the tool's input
type) or None to keep them, and blocks the call by raising ``ToolError`` (the model sees the message).
``after_tool`` returns a new output or None to keep it. ``on_iteration`` sees each model reply; raising there
aborts the run.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..models import ModelResponse, ToolCall


@dataclass(frozen=True, slots=True)
class ToolInvocation:
    """The call a hook is looking at."""

    call: ToolCall
    args: BaseModel
    iteration: int


@dataclass(frozen=True, slots=True)
class Hooks:
    before_tool: Callable[[ToolInvocation], Any] | None = None
    after_tool: Callable[[ToolInvocation, Any], Any] | None = None
    on_iteration: Callable[[int, ModelResponse], Any] | None = None


async def call_hook(hook: Callable[..., Any], *args: Any) -> Any:
    result = hook(*args)
    if inspect.isawaitable(result):
        result = await result
    return result
