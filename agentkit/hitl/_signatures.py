"""Webhook verification shared by the providers: HMAC in constant time, a replay window, a size cap.

Each check raises ``WebhookRejected`` with the HTTP status to answer: 413 for a body over the cap, 401 for a
missing or wrong signature or a timestamp outside the window, 400 for a malformed timestamp or body (a NaN or
infinite timestamp, JSON nested too deep), 422 for a NUL character in any string of the body (PostgreSQL cannot
store one, so a message carrying it could never be delivered).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from agentkit.hitl._provider import WebhookRejected
from agentkit.storage import contains_nul

__all__ = [
    "MAX_WEBHOOK_BODY",
    "TIMESTAMP_TOLERANCE",
    "check_body_size",
    "check_signature",
    "check_timestamp",
    "get_header",
    "hmac_base64",
    "hmac_hex",
    "parse_json_object",
    "parse_timestamp",
    "require_header",
    "sign_agentkit",
]

MAX_WEBHOOK_BODY = 1024 * 1024
"""Bodies above 1 MiB are refused before any HMAC is computed over them."""

TIMESTAMP_TOLERANCE = 300.0
"""Seconds a signed timestamp may differ from our clock, either way, before the request counts as a replay."""


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def hmac_hex(secret: str | bytes, message: bytes, algorithm: str = "sha256") -> str:
    """Lower-case hex HMAC of ``message`` (``algorithm`` is a hashlib name: ``sha256``, ``sha1``)."""
    return hmac.new(_key(secret), message, algorithm).hexdigest()


def hmac_base64(secret: str | bytes, message: bytes) -> str:
    """Base64 of the raw HMAC-SHA256 of ``message`` (Zendesk's format)."""
    return base64.b64encode(hmac.new(_key(secret), message, hashlib.sha256).digest()).decode()


def sign_agentkit(secret: str | bytes, timestamp: str | int, body: bytes) -> str:
    """The ``X-Agentkit-Signature`` value: ``sha256=`` + hex HMAC-SHA256 of ``f"{timestamp}.{body}"``."""
    return "sha256=" + hmac_hex(secret, f"{timestamp}.".encode() + body)


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """The header's value whatever the case of its name in ``headers``, or None."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def require_header(headers: Mapping[str, str], name: str) -> str:
    """The header's value; a missing or empty one is a 401, since it carries the proof of origin."""
    value = get_header(headers, name)
    if not value:
        raise WebhookRejected(401, f"missing {name} header")
    return value


def check_body_size(body: bytes, limit: int = MAX_WEBHOOK_BODY) -> None:
    if len(body) > limit:
        raise WebhookRejected(413, f"body of {len(body)} bytes is over the {limit}-byte limit")


def check_signature(expected: str, given: str) -> None:
    """Compare in constant time, so response timing tells a forger nothing about the right value."""
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise WebhookRejected(401, "signature does not match; check the webhook secret configured on both sides")


def parse_timestamp(value: object) -> float:
    """Seconds since the epoch from a number, a numeric string, or an ISO-8601 string (``...Z`` allowed)."""
    if isinstance(value, bool):
        raise WebhookRejected(400, f"timestamp {value!r} is not a time")
    if isinstance(value, int | float):
        return _finite(float(value), value)
    if isinstance(value, str):
        try:
            return _finite(float(value), value)
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:  # a zone-less time is taken as UTC, never as this machine's local time
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    raise WebhookRejected(400, f"timestamp {value!r} is neither epoch seconds nor ISO-8601")


def _finite(seconds: float, given: object) -> float:
    # NaN compares false with everything: "outside the window" would never be true, so a NaN would pass it.
    if not math.isfinite(seconds):
        raise WebhookRejected(400, f"timestamp {given!r} is not a finite number of seconds")
    return seconds


def check_timestamp(timestamp: float, now: float | None = None, tolerance: float = TIMESTAMP_TOLERANCE) -> None:
    current = time.time() if now is None else now
    if not math.isfinite(timestamp) or not abs(current - timestamp) <= tolerance:
        raise WebhookRejected(
            401, f"timestamp is {current - timestamp:.0f} s from now, outside the +-{tolerance:.0f} s window"
        )


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookRejected(400, f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise WebhookRejected(400, "body is JSON nested too deep") from None
    if not isinstance(data, dict):
        raise WebhookRejected(400, f"body must be a JSON object, got {type(data).__name__}")
    if contains_nul(data):
        raise WebhookRejected(422, "body has a NUL character (\\u0000) in a string; send text without it")
    return data

