"""HITL plugin settings, with the defaults of the Botpress HITL plugin (``plugins/hitl/plugin.definition.ts``).

``SessionConfig`` holds what a single escalation may override (``configuration_overrides`` of ``start_hitl``); it
is stored with the session, so a restart keeps each session's own texts and timeout. ``DeliveryConfig`` is for the
plugin as a whole: retries and background intervals. A message set to None is not sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..exceptions import ConfigError
from ._spelling import closest

__all__ = [
    "BOTPRESS_NAMES",
    "DeliveryConfig",
    "SessionConfig",
    "check_provider_overrides",
    "split_config",
    "split_overrides",
]


@dataclass(frozen=True)
class SessionConfig:
    on_hitl_handoff_message: str | None = (
        "I have escalated this conversation to a human agent. They should be with you shortly."
    )
    agent_assigned_message: str | None = "A human agent has joined the conversation."
    session_ended_message: str | None = "The human agent closed the conversation. I will continue assisting you."
    session_stopped_message: str | None = "The session with the human agent has ended. I will continue assisting you."
    """Sent to the user when the bot ends the session (``stop_hitl``): no person closed anything."""
    agent_assigned_timeout_seconds: float = 0.0
    agent_assigned_timeout_message: str | None = (
        "No human agent is available at the moment. Please try again later. "
        "I will continue assisting you for the time being."
    )
    user_hitl_close_command: str = "/end"
    user_hitl_closed_message: str | None = (
        "You have ended the session with the human agent. I will continue assisting you."
    )
    user_hitl_cancelled_message: str | None = "( The user has ended the session. )"
    """Sent to the human agent (as the reason for closing) when the user ends the session."""
    agent_timeout_cancelled_message: str | None = "( Nobody took this conversation in time; the bot has it back. )"
    """Sent to the human agent (as the reason for closing) when the session times out before anyone took it."""
    delivery_delayed_message: str | None = (
        "We're having trouble reaching our support team right now. Your request is saved, "
        "and a person will get back to you here as soon as possible."
    )
    session_error_message: str | None = (
        "Sorry, we lost the connection to our support team. I will continue assisting you."
    )

    def to_json(self) -> dict[str, Any]:
        # Every field is a plain value: a flat dict is what ``dataclasses.asdict`` gives, without its generic
        # deep copy (stored with every new session; from_json reads it back at each message of the conversation).
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SessionConfig:
        return cls(**{k: v for k, v in data.items() if k in _SESSION_FIELDS})

    def is_close_command(self, text: str) -> bool:
        command = self.user_hitl_close_command.strip().lower()
        return bool(command) and text.strip().lower() == command


@dataclass(frozen=True)
class DeliveryConfig:
    retry_attempts: int = 4
    """Calls to the helpdesk per delivery attempt (the first one included) while it answers retryably."""
    retry_initial_delay: float = 0.5
    retry_max_delay: float = 8.0
    inline_delivery_seconds: float = 10.0
    """How long a turn waits on the helpdesk (retries included) before it tells the user that the escalation is
    saved and will follow; the background deliverer then keeps trying."""
    redeliver_interval: float = 30.0
    """Seconds between background passes over the outbox; a row that failed waits longer each time."""
    redeliver_max_delay: float = 900.0
    max_attempts: int = 50
    """Delivery attempts (passes) before a row that keeps failing becomes a dead letter: never retried again, shown
    by ``agentkit hitl outbox`` and the desk, its session ended with an error. 50 is about half a day of helpdesk
    outage at the default backoff."""
    claim_seconds: float = 6.0
    """How long a deliverer's claim on an outbox row lasts, so two processes never send it at once. It is renewed
    every third of that while the row is being sent, so a dead deliverer's row is taken over within this time."""
    timeout_check_interval: float = 30.0
    """The longest the timeout checker sleeps; it wakes earlier for a session due sooner."""
    webhook_wait_seconds: float = 2.0
    """How long a webhook for a session not known yet waits while a start that may be its is being sent (its helpdesk
    id not recorded yet), to be applied at once; after that the event is kept in the store and applied when the start
    completes, and the webhook is answered 202. A pushed event waits ``inline_delivery_seconds + claim_seconds`` (see
    ``HitlPlugin.handle_event``)."""


BOTPRESS_NAMES = {
    "onHitlHandoffMessage": "on_hitl_handoff_message",
    "onHumanAgentAssignedMessage": "agent_assigned_message",
    "agentAssignedMessage": "agent_assigned_message",
    "onHitlStoppedMessage": "session_ended_message",
    "sessionEndedMessage": "session_ended_message",
    "agentAssignedTimeoutSeconds": "agent_assigned_timeout_seconds",
    "onAgentAssignedTimeoutMessage": "agent_assigned_timeout_message",
    "agentAssignedTimeoutMessage": "agent_assigned_timeout_message",
    "userHitlCloseCommand": "user_hitl_close_command",
    "onUserHitlCloseMessage": "user_hitl_closed_message",
    "userHitlClosedMessage": "user_hitl_closed_message",
    "onUserHitlCancelledMessage": "user_hitl_cancelled_message",
}
_SESSION_FIELDS = frozenset(f.name for f in dataclasses.fields(SessionConfig))
_DELIVERY_FIELDS = frozenset(f.name for f in dataclasses.fields(DeliveryConfig))


def split_config(config: Mapping[str, Any]) -> tuple[SessionConfig, DeliveryConfig]:
    """The plugin's keyword settings, checked; an unknown name is a ``ConfigError`` listing the known ones."""
    session: dict[str, Any] = {}
    delivery: dict[str, Any] = {}
    for key, value in config.items():
        name = BOTPRESS_NAMES.get(key, key)
        if name in _SESSION_FIELDS:
            session[name] = value
        elif name in _DELIVERY_FIELDS:
            delivery[name] = value
        else:
            known = ", ".join(sorted(_SESSION_FIELDS | _DELIVERY_FIELDS))
            raise ConfigError(f"unknown HITL plugin setting {key!r}; the settings are: {known}")
    _check(session, delivery)
    return SessionConfig(**session), DeliveryConfig(**delivery)


def split_overrides(base: SessionConfig, overrides: Mapping[str, Any] | None) -> tuple[SessionConfig, dict[str, Any]]:
    """Apply the plugin settings among ``overrides`` to ``base``; the rest are for the provider (ticket fields).
    Without settings among them, ``base`` itself comes back (not a copy): its stored JSON is made once, by the
    plugin, for every session that does not change it."""
    if not overrides:
        return base, {}
    mine: dict[str, Any] = {}
    provider: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        name = BOTPRESS_NAMES.get(key, key)
        (mine if name in _SESSION_FIELDS else provider)[name if name in _SESSION_FIELDS else key] = value
    _check(mine, {})
    return (dataclasses.replace(base, **mine) if mine else base), provider


def check_provider_overrides(provider: Any, overrides: Mapping[str, Any]) -> None:
    """Refuse the override keys that are neither plugin settings nor fields ``provider`` takes. A provider lists
    its fields in ``override_fields``; None (or no such attribute: a provider of your own) takes any key."""
    accepted: frozenset[str] | None = getattr(provider, "override_fields", None)
    if accepted is None:
        return
    for key in overrides:
        if key not in accepted:
            raise ConfigError(_unknown_override(key, getattr(provider, "name", "the provider"), accepted))


def _unknown_override(key: str, provider: str, accepted: frozenset[str]) -> str:
    known = sorted(_SESSION_FIELDS | set(BOTPRESS_NAMES))
    guess = closest(key, [*known, *accepted])
    hint = f" (did you mean {guess}?)" if guess else ""
    fields = f"{provider}'s ticket fields: {', '.join(sorted(accepted))}" if accepted else f"{provider} takes no fields"
    return (f"configuration_overrides has an unknown key {key!r}{hint}. The plugin settings are: "
            f"{', '.join(sorted(_SESSION_FIELDS))} (or their Botpress names); {fields}")  # fmt: skip


def _check(session: Mapping[str, Any], delivery: Mapping[str, Any]) -> None:
    timeout = session.get("agent_assigned_timeout_seconds", 0)
    if not isinstance(timeout, int | float) or timeout < 0:
        raise ConfigError(f"agent_assigned_timeout_seconds must be 0 (off) or a positive number, not {timeout!r}")
    if delivery.get("retry_attempts", 1) < 1:
        raise ConfigError("retry_attempts must be at least 1 (the first call counts)")
    if delivery.get("max_attempts", 1) < 1:
        raise ConfigError("max_attempts must be at least 1: the attempts before a row becomes a dead letter")
    for key, value in session.items():
        if key.endswith("_message") and value is not None and not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, or None to send nothing; got {value!r}")
