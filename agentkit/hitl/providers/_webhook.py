"""A generic signed-webhook helpdesk: we POST events to your URL, you POST agent events back.

Outbound, one JSON envelope per request, ``{"id", "type", "created_at", "data"}``, of type:

- ``hitl.started``: ``data`` = the escalation (conversation_id, title, description, priority, user,
  transcript, configuration_overrides) plus ``idempotency_key``, also sent as the ``Idempotency-Key``
  header. Answer ``{"session_id": "..."}`` to name the session; otherwise the idempotency key names it;
- ``hitl.user_message``: ``data`` = ``{"session_id", "text", "user"}``;
- ``hitl.stopped``: ``data`` = ``{"session_id", "reason"}``.

Both directions carry ``X-Agentkit-Timestamp: <epoch seconds>`` and
``X-Agentkit-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>``. Inbound bodies are one
event or ``{"events": [...]}``, each ``{"id", "type", "session_id", "agent_name"?, "text"?, "created_at"?}``
with ``type`` one of ``agent_assigned``, ``agent_message`` (``text`` required) and ``session_stopped``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, get_args

from agentkit.handoff import User
from agentkit.hitl._provider import EscalationRequest, HitlEvent, HitlEventKind, WebhookRejected
from agentkit.hitl._signatures import (
    check_body_size,
    check_signature,
    check_timestamp,
    parse_json_object,
    parse_timestamp,
    require_header,
    sign_agentkit,
)
from agentkit.hitl.providers._http import HelpdeskClient
from agentkit.hitl.providers._payload import id_str, optional_str, require_settings, required_str

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookProvider", "signed_request"]

SIGNATURE_HEADER = "X-Agentkit-Signature"
TIMESTAMP_HEADER = "X-Agentkit-Timestamp"
_KINDS: tuple[str, ...] = get_args(HitlEventKind)


def signed_request(secret: str, payload: Any, timestamp: int | None = None) -> tuple[dict[str, str], bytes]:
    """The headers and body of a signed agentkit webhook request carrying ``payload`` (both directions)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign_agentkit(secret, stamp, body),
    }
    return headers, body


def _user_json(user: User) -> dict[str, Any]:
    return asdict(user)


class WebhookProvider:
    """Escalate by POSTing signed events to ``url``; verify the agent events posted back with ``secret``."""

    name = "webhook"

    def __init__(self, url: str, secret: str, *, timeout: float = 10.0) -> None:
        require_settings(self.name, url=url, secret=secret)
        self._url = url
        self._secret = secret
        self._api = HelpdeskClient("webhook", "", timeout=timeout)

    async def _post(self, kind: str, data: Mapping[str, Any], extra: Mapping[str, str] | None = None) -> Any:
        envelope = {"id": f"evt_{uuid.uuid4().hex}", "type": kind, "created_at": time.time(), "data": data}
        headers, body = signed_request(self._secret, envelope)
        return await self._api.call("POST", self._url, content=body, headers={**headers, **(extra or {})})

    async def start_hitl(self, request: EscalationRequest) -> str:
        data = {
            "conversation_id": request.conversation_id,
            "title": request.title,
            "description": request.description,
            "priority": request.priority,
            "user": _user_json(request.user),
            "transcript": [asdict(line) for line in request.transcript],
            "idempotency_key": request.idempotency_key,
            "configuration_overrides": dict(request.configuration_overrides),
        }
        answer = await self._post("hitl.started", data, {"Idempotency-Key": request.idempotency_key})
        session_id = answer.get("session_id") if isinstance(answer, Mapping) else None
        return str(session_id) if session_id not in (None, "") else request.idempotency_key

    async def send_to_agent(self, session_id: str, text: str, user: User) -> None:
        await self._post(
            "hitl.user_message", {"session_id": session_id, "text": text, "user": _user_json(user)}
        )

    async def stop_hitl(self, session_id: str, reason: str) -> None:
        await self._post("hitl.stopped", {"session_id": session_id, "reason": reason})

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> list[HitlEvent]:
        check_body_size(body)
        signature = require_header(headers, SIGNATURE_HEADER)
        timestamp = require_header(headers, TIMESTAMP_HEADER)
        check_signature(sign_agentkit(self._secret, timestamp, body), signature)
        signed_at = parse_timestamp(timestamp)
        check_timestamp(signed_at, now)
        data = parse_json_object(body)
        items = data["events"] if "events" in data else [data]
        if not isinstance(items, list):
            raise WebhookRejected(400, "field 'events' must be a list of events")
        return [_event(item, signed_at) for item in items]

    async def aclose(self) -> None:
        await self._api.aclose()


def _event(item: object, signed_at: float) -> HitlEvent:
    if not isinstance(item, Mapping):
        raise WebhookRejected(400, "each event must be a JSON object")
    kind = item.get("type")
    if kind not in _KINDS:
        raise WebhookRejected(400, f"field 'type' must be one of {', '.join(_KINDS)}, got {kind!r}")
    text = optional_str(item, "text")
    if kind == "agent_message" and text is None:
        raise WebhookRejected(400, "an agent_message event needs a non-empty 'text'")
    at = parse_timestamp(item["created_at"]) if item.get("created_at") is not None else signed_at
    return HitlEvent(
        kind,
        required_str(item, "session_id"),
        id_str(item.get("id"), "id"),
        agent_name=optional_str(item, "agent_name"),
        text=text,
        occurred_at=at,
    )
