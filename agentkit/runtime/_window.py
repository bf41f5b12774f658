"""The history window: the model sees the most recent messages that fit a token budget; the store keeps them all.

Tokens are estimated cheaply (about four characters a token, plus a few per message): the window only has to stay
clear of the model's limit, not hit it exactly, and a tokenizer would be a download. Messages are kept or cut in
units that the API accepts: an assistant message with tool calls goes with all of its tool results, so the model
never sees a tool result without its call. Where earlier messages were cut, a short system note says so and quotes
the user's first and last cut messages. A single message larger than half the budget is cut in the middle with a
marker, so one pasted log cannot break a conversation. If the endpoint still answers that the context is too long
(HTTP 400), the window shrinks to half, for this turn and the later ones, and the request is made once more.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..exceptions import ConfigError, ModelHTTPError
from ..loop import ExecuteResult
from ..models import Message

__all__ = ["HistoryWindow", "estimate_tokens", "fit_history", "is_context_length_error"]

logger = logging.getLogger("agentkit.runtime")

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4  # role and separators, per message
MIN_BUDGET = 256
_QUOTE = 150
_CONTEXT_HINTS = ("context_length_exceeded", "context length", "context window", "maximum context", "too many tokens")


def estimate_tokens(message: Message) -> int:
    """About how many tokens ``message`` costs the model."""
    size = len(_text(message.get("content")))
    if message.get("tool_calls"):
        size += len(json.dumps(message["tool_calls"]))
    return MESSAGE_OVERHEAD + size // CHARS_PER_TOKEN


def fit_history(history: Sequence[Message], budget: int | None) -> list[Message]:
    """The most recent messages of ``history`` that fit ``budget`` tokens, with a note for what was left out.

    The latest unit (usually the user's new message) is always kept, cut to fit if it must be."""
    if budget is None:
        return list(history)
    budget = max(budget, MIN_BUDGET)
    if _fits_whole(history, budget):
        return list(history)  # nearly every turn: sized once, nothing grouped, cut or dropped
    units = _units(history)
    kept: list[Message] = []
    used = 0
    first_kept = len(units)
    for unit in reversed(units):  # newest first; what comes before the first unit that does not fit is not read
        sized = [_cut(m, budget // 2) for m in unit]
        cost = sum(tokens for _, tokens in sized)
        if kept and used + cost > budget:
            break
        kept[:0] = [m for m, _ in sized]
        used += cost
        first_kept -= 1
    dropped = [m for unit in units[:first_kept] for m in unit]
    return [_note(dropped), *kept] if dropped else kept


def is_context_length_error(error: BaseException) -> bool:
    """Whether the endpoint refused the request for being longer than the model's context window."""
    if not isinstance(error, ModelHTTPError) or error.status_code not in (400, 413):
        return False
    said = f"{error} {error.body}".lower()
    return any(hint in said for hint in _CONTEXT_HINTS)


class HistoryWindow:
    """An agent's window: ``budget`` tokens (None: no limit), made smaller for good when the endpoint answers that
    the context is too long, so that later turns do not pay that 400 again."""

    def __init__(self, budget: int | None) -> None:
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < MIN_BUDGET):
            raise ConfigError(
                f"max_history_tokens must be a whole number of at least {MIN_BUDGET}, or None for no limit; "
                f"got {budget!r}"
            )
        self.budget = budget

    async def run(
        self, history: Sequence[Message], run: Callable[[list[Message]], Awaitable[ExecuteResult]]
    ) -> ExecuteResult:
        """``run`` on the window of ``history``; on a context-length 400 before anything was done, once more on a
        window half as large as what was sent."""
        window = fit_history(history, self.budget)
        try:
            return await run(window)
        except ModelHTTPError as error:
            result: Any = error.result
            if not is_context_length_error(error) or (result is not None and result.messages):
                raise
            sent = sum(estimate_tokens(m) for m in window)
            self.budget = max(MIN_BUDGET, sent // 2)
            logger.warning("the model's context window is smaller than the history sent (~%d tokens); "
                           "trying once more with ~%d tokens of history: %s", sent, self.budget, error)  # fmt: skip
            return await run(fit_history(history, self.budget))


def _units(history: Sequence[Message]) -> list[list[Message]]:
    """Messages grouped so that a tool call and its results are never separated; results without a call dropped."""
    units: list[list[Message]] = []
    open_calls: set[str] = set()
    for message in history:
        if message.get("role") == "tool":
            if message.get("tool_call_id") in open_calls and units:
                units[-1].append(message)
            continue  # a result whose call is gone: the API would refuse it
        units.append([message])
        open_calls = {call.get("id") for call in message.get("tool_calls") or ()}
    return units


def _fits_whole(history: Sequence[Message], budget: int) -> bool:
    """Whether ``history`` is its own window: no tool result (those go with their call), none to cut, all fits."""
    used = 0
    for message in history:
        tokens = estimate_tokens(message)
        used += tokens
        if used > budget or tokens > budget // 2 or message.get("role") == "tool":
            return False
    return True


def _cut(message: Message, budget: int) -> tuple[Message, int]:
    """``message`` with its text cut in the middle to about ``budget`` tokens, and a marker where it was cut; with
    what it costs (estimated once: each turn sizes every message it keeps)."""
    tokens = estimate_tokens(message)
    content = message.get("content")
    if not isinstance(content, str) or tokens <= budget:
        return message, tokens
    keep = max(budget - MESSAGE_OVERHEAD, 1) * CHARS_PER_TOKEN
    head, tail = content[: keep * 2 // 3], content[len(content) - keep // 3 :]
    marker = f"\n[... {len(content) - len(head) - len(tail)} characters cut here to fit the context window ...]\n"
    cut = {**message, "content": head + marker + tail}
    return cut, estimate_tokens(cut)


def _note(dropped: list[Message]) -> Message:
    said = [_text(m.get("content")) for m in dropped if m.get("role") == "user"]
    note = f"[{len(dropped)} earlier messages of this conversation are left out to fit the context window."
    if said:
        note += f' The user\'s first of them began: "{said[0][:_QUOTE]}"'
        if len(said) > 1:
            note += f'; the last: "{said[-1][:_QUOTE]}"'
        note += "."
    return {"role": "system", "content": note + "]"}


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)
