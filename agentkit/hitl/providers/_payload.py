"""Reading fields out of a verified webhook body; a missing or mistyped field is a 400 that names it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentkit.exceptions import ConfigError
from agentkit.hitl._provider import ProviderError, WebhookRejected

__all__ = [
    "check_path_id",
    "flag",
    "id_str",
    "object_field",
    "optional_object",
    "optional_str",
    "require_settings",
    "required_str",
]


def object_field(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise WebhookRejected(400, f"field {key!r} must be a JSON object")
    return value


def optional_object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The field if it is an object, else an empty one: for parts a template may leave out."""
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def flag(value: object) -> bool | None:
    """A boolean field; templates often render booleans as the strings "true" and "false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def id_str(value: object, key: str) -> str:
    """Ids arrive as numbers or strings depending on the template; both become the same string."""
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise WebhookRejected(400, f"field {key!r} must be a non-empty string or integer id")
    return str(value)


def required_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise WebhookRejected(400, f"field {key!r} must be a non-empty string")
    return value


def optional_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise WebhookRejected(400, f"field {key!r} must be a string")
    return str(value)


def check_path_id(provider: str, session_id: str, *, numeric: bool) -> str:
    """A session id goes into a URL path: refuse anything that could change the path."""
    valid = session_id.isdigit() if numeric else session_id.replace("_", "").replace("-", "").isalnum()
    if not valid:
        raise ProviderError(
            f"{provider}: {session_id!r} is not a session id this provider returned from start_hitl",
            retryable=False,
            provider=provider,
        )
    return session_id


def require_settings(provider: str, **settings: str) -> None:
    """Refuse to build a provider with an empty credential: it would fail on the first call, or worse, accept
    webhooks signed with an empty secret."""
    for name, value in settings.items():
        if not value:
            raise ConfigError(f"{provider}: {name} is empty; set it from the helpdesk's admin settings")
