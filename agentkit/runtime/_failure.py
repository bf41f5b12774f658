"""What a turn does when the model fails: the turn's deadline, and then an apology or a person.

A turn runs within ``turn_timeout`` seconds (``agentkit.loop.within_deadline``: requests, retries, backoff and
tools). When it fails for the model's sake (a ``ModelError``: endpoint down, retries used up, an unusable answer;
or ``DeadlineExceeded``), ``on_model_failure`` decides:

- ``"apologize"`` (default): the user gets ``error_message``, in plain words, and the turn ends.
- ``"handoff"``: the conversation goes to a person through the agent's HITL plugin (``start_hitl``: one ticket,
  the usual handoff messages, a reason that says the assistant was unavailable and why, ``failure_priority``).
  While the person has the conversation the plugin takes the user's messages, so the model is not asked again.
  If the handoff itself fails, the user gets ``error_message`` after all.

Either way the log gets one WARNING line per failure and the traceback at DEBUG; ``receive`` does not raise.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from ..exceptions import ConfigError, DeadlineExceeded, ModelError, ModelHTTPError, RunError
from ..handoff import PRIORITIES, Priority
from ..hitl import HitlPlugin
from ..loop import check_timeout, within_deadline

__all__ = ["FailurePolicy", "OnModelFailure", "failure_policy"]

logger = logging.getLogger("agentkit.runtime")

OnModelFailure = Literal["apologize", "handoff"]
_MODES: tuple[str, ...] = get_args(OnModelFailure)

HANDOFF_TITLE = "The assistant was unavailable"


@dataclass(frozen=True)
class FailurePolicy:
    """The turn's deadline and what the user gets when the model fails (see the module's docstring)."""

    turn_timeout: float | None
    mode: OnModelFailure
    error_message: str | None
    priority: Priority
    plugin: HitlPlugin | None  # the agent's first HITL plugin, for "handoff"

    async def run_turn(
        self, agent_name: str, conversation_id: str, handler: Awaitable[None], say: Callable[[str], Awaitable[Any]]
    ) -> None:
        """Run ``handler`` within the deadline; on a failure, tell the user (``say``) or hand off to a person."""
        try:
            await within_deadline(handler, self.turn_timeout, what="the turn")
        except RunError as error:
            model_failed = isinstance(error, ModelError | DeadlineExceeded)
            why = describe(error, self.turn_timeout)
            logger.warning("agent %r: conversation %r: %s: %s", agent_name, conversation_id, why, error)
            logger.debug("agent %r: the failure's traceback", agent_name, exc_info=error)
            if model_failed and self.mode == "handoff" and await self._hand_off(agent_name, conversation_id, why):
                return
            if self.error_message is None:
                raise  # the developer asked for the error (error_message=None)
            await say(self.error_message)

    async def _hand_off(self, agent_name: str, conversation_id: str, why: str) -> bool:
        """Hand the conversation to a person; False when that failed too (the caller apologizes instead)."""
        assert self.plugin is not None  # failure_policy() checked it
        description = (
            f"The AI assistant could not answer this user ({why}), so the conversation was handed to a person. "
            "The user is waiting for a reply here."
        )
        try:
            # A fresh deadline: the turn's has passed, and the helpdesk deserves its own bounded time.
            await within_deadline(
                self.plugin.actions.start_hitl(
                    conversation_id, f"{HANDOFF_TITLE}: {why}", description, priority=self.priority
                ),
                self.turn_timeout,
                what="the handoff",
            )
        except Exception as error:  # the helpdesk refused or failed: the user still gets an answer
            logger.warning("agent %r: conversation %r: the handoff on model failure failed too: %s",
                           agent_name, conversation_id, error)  # fmt: skip
            logger.debug("agent %r: the handoff's traceback", agent_name, exc_info=error)
            return False
        return True


def describe(error: RunError, turn_timeout: float | None) -> str:
    """Why the model failed, in words a support agent understands (no exception text)."""
    if isinstance(error, DeadlineExceeded) or "deadline" in str(error) or "timed out" in str(error):
        limit = f" within {turn_timeout:g} s" if turn_timeout is not None else " in time"
        return f"the language model did not answer{limit}"
    if isinstance(error, ModelHTTPError):
        return f"the language model's endpoint answered HTTP {error.status_code}"
    if isinstance(error, ModelError) and "connect" in str(error):
        return "the language model's endpoint could not be reached"
    if isinstance(error, ModelError):
        return "the language model's answer could not be used"
    return f"the run failed ({type(error).__name__})"


def failure_policy(
    plugins: Mapping[str, Any],
    *,
    turn_timeout: float | None,
    on_model_failure: str,
    error_message: str | None,
    failure_priority: str,
) -> FailurePolicy:
    """The agent's settings, checked: a wrong one is a ``ConfigError`` that says the fix."""
    timeout = check_timeout(turn_timeout, "turn_timeout")
    if on_model_failure not in _MODES:
        raise ConfigError(f"on_model_failure must be one of {', '.join(map(repr, _MODES))}, not {on_model_failure!r}")
    if failure_priority not in PRIORITIES:
        raise ConfigError(f"failure_priority must be one of {', '.join(PRIORITIES)}, not {failure_priority!r}")
    plugin = next((p for p in plugins.values() if isinstance(p, HitlPlugin)), None)
    if on_model_failure == "handoff" and plugin is None:
        raise ConfigError(
            "on_model_failure='handoff' hands the conversation to a person through a HITL plugin, and this agent "
            "has none: add plugins={'desk-hitl': DeskHitl('desk.sqlite3')} (or another HitlPlugin), "
            "or use on_model_failure='apologize'"
        )
    return FailurePolicy(timeout, on_model_failure, error_message, failure_priority, plugin)  # type: ignore[arg-type]
