"""Freshdesk: a ticket per escalation, relayed messages as public notes, closed with status 5.

Requests (API v2, basic auth ``{api_key}:X``):

- start: ``GET /api/v2/search/tickets?query="tag:'ak-<hash>'"`` then, if nothing is found,
  ``POST /api/v2/tickets`` (status 2 = open, priority 1..4, HTML-escaped description, the tag). Freshdesk has
  no idempotency key, so the tag ``ak-<hash of the idempotency key>`` stands in for one: a retried start finds
  the ticket the first attempt created (once Freshdesk's search has indexed it, within seconds);
- relay: ``POST /api/v2/tickets/{id}/notes`` with ``private: false, incoming: true`` (the customer's side);
- stop: ``PUT /api/v2/tickets/{id}`` with ``status: 5`` (closed).

Webhooks: an automation rule's "Trigger webhook" action, POST, with the custom header ``X-Agentkit-Secret:
<webhook_secret>`` and a JSON body of one of these shapes (``timestamp`` in epoch seconds or ISO-8601)::

    {"event": "assigned", "ticket_id": 12, "agent": {"id": 5, "name": "Ana"}, "timestamp": 1700000000}
    {"event": "reply", "ticket_id": 12, "agent": {"name": "Ana"},
     "reply": {"id": 77, "body": "Hello", "private": false, "incoming": false}, "timestamp": 1700000000}
    {"event": "closed", "ticket_id": 12, "timestamp": 1700000000}

Private notes and incoming ones (the user messages we relay) are not agent messages and are dropped.

Freshdesk does not sign its webhooks: ``X-Agentkit-Secret`` is a bearer secret, compared in constant time. Anyone
who sees one request (a proxy log, a leaked rule) can send any body with any ``timestamp``, so the replay window
only stops stale copies, not a forger; keep the secret long and out of logs, serve the webhook over HTTPS only, and
rotate the secret if a rule's configuration leaks. Event ids are made from the ticket and the reply (never from
the unsigned timestamp), so a copy re-sent with a fresh timestamp is still recognised as the same event.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping, Sequence
from typing import Any

from agentkit.handoff import User
from agentkit.hitl._provider import EscalationRequest, HitlEvent, ProviderError, WebhookRejected
from agentkit.hitl._signatures import (
    check_body_size,
    check_signature,
    check_timestamp,
    parse_json_object,
    parse_timestamp,
    require_header,
)
from agentkit.hitl.providers._format import base_url_for, ticket_html
from agentkit.hitl.providers._http import HelpdeskClient
from agentkit.hitl.providers._payload import (
    check_path_id,
    flag,
    id_str,
    object_field,
    optional_object,
    optional_str,
    require_settings,
)

__all__ = ["FRESHDESK_PRIORITIES", "FreshdeskProvider", "freshdesk_key_tag"]

FRESHDESK_TICKET_FIELDS = frozenset({  # the fields of Freshdesk's "create a ticket" (API v2)
    "attachments", "cc_emails", "company_id", "custom_fields", "description", "due_by", "email", "email_config_id",
    "facebook_id", "fr_due_by", "group_id", "internal_agent_id", "internal_group_id", "lookup_parameter", "name",
    "parent_id", "phone", "priority", "product_id", "requester_id", "responder_id", "source", "status", "subject",
    "tags", "twitter_id", "type", "unique_external_id",
})  # fmt: skip
"""``configuration_overrides`` keys the Freshdesk provider takes; any other key is refused as a probable typo."""
FRESHDESK_PRIORITIES = {"low": 1, "medium": 2, "high": 3, "urgent": 4}
SECRET_HEADER = "X-Agentkit-Secret"
_OPEN, _CLOSED = 2, 5


def freshdesk_key_tag(idempotency_key: str) -> str:
    """The tag that marks the ticket of one escalation (short: Freshdesk tags are meant for people too)."""
    return "ak-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]


class FreshdeskProvider:
    """Escalate to Freshdesk. ``domain_or_base_url`` is ``acme``, ``acme.freshdesk.com`` or a full URL."""

    name = "freshdesk"
    override_fields = FRESHDESK_TICKET_FIELDS

    def __init__(
        self,
        domain_or_base_url: str,
        api_key: str,
        webhook_secret: str,
        *,
        tags: Sequence[str] = ("agentkit", "hitl"),
        timeout: float = 10.0,
    ) -> None:
        require_settings(
            self.name, domain_or_base_url=domain_or_base_url, api_key=api_key, webhook_secret=webhook_secret
        )
        base_url = base_url_for(domain_or_base_url, "freshdesk.com")
        self._api = HelpdeskClient("freshdesk", base_url, auth=(api_key, "X"), timeout=timeout)
        self._secret = webhook_secret
        self._tags = list(tags)

    async def start_hitl(self, request: EscalationRequest) -> str:
        tag = freshdesk_key_tag(request.idempotency_key)
        existing = await self._find_tagged(tag)
        if existing is not None:
            return existing
        data = await self._api.call("POST", "/api/v2/tickets", json=self._ticket_fields(request, tag))
        if not isinstance(data, Mapping) or data.get("id") is None:
            raise ProviderError(
                f"freshdesk: expected a ticket with an id, got {str(data)[:200]}",
                retryable=False,
                provider=self.name,
            )
        return str(data["id"])

    async def _find_tagged(self, tag: str) -> str | None:
        data = await self._api.call("GET", "/api/v2/search/tickets", params={"query": f"\"tag:'{tag}'\""})
        results = data.get("results") if isinstance(data, Mapping) else None
        if isinstance(results, list) and results and isinstance(results[0], Mapping) and "id" in results[0]:
            return str(results[0]["id"])
        return None

    def _ticket_fields(self, request: EscalationRequest, tag: str) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "subject": request.title,
            "description": ticket_html(request),
            "priority": FRESHDESK_PRIORITIES[request.priority],
            "status": _OPEN,
            "tags": [*self._tags, tag],
        }
        if request.user.name:
            fields["name"] = request.user.name
        if request.user.email:
            fields["email"] = request.user.email
        else:  # Freshdesk needs some requester identity; our user id is the stable one
            fields["unique_external_id"] = request.user.id
        fields.update(request.configuration_overrides)  # e.g. group_id, type, custom_fields, source
        return fields

    async def send_to_agent(self, session_id: str, text: str, user: User) -> None:
        ticket_id = check_path_id(self.name, session_id, numeric=True)
        note = {"body": _html(text), "private": False, "incoming": True}
        await self._api.call("POST", f"/api/v2/tickets/{ticket_id}/notes", json=note)

    async def stop_hitl(self, session_id: str, reason: str) -> None:
        ticket_id = check_path_id(self.name, session_id, numeric=True)
        await self._api.call("PUT", f"/api/v2/tickets/{ticket_id}", json={"status": _CLOSED})

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> list[HitlEvent]:
        check_body_size(body)
        check_signature(self._secret, require_header(headers, SECRET_HEADER))
        data = parse_json_object(body)
        if data.get("timestamp") is None:
            raise WebhookRejected(400, "field 'timestamp' is required (epoch seconds or ISO-8601)")
        at = parse_timestamp(data["timestamp"])
        check_timestamp(at, now)
        return freshdesk_events(data, at)

    async def aclose(self) -> None:
        await self._api.aclose()


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def freshdesk_events(data: Mapping[str, Any], at: float) -> list[HitlEvent]:
    """The events in one verified Freshdesk webhook body (see the module docstring for its shapes)."""
    kind = data.get("event")
    ticket_id = id_str(data.get("ticket_id"), "ticket_id")
    agent = optional_object(data, "agent")
    agent_name = optional_str(agent, "name")
    if kind == "assigned":
        agent_id = optional_str(agent, "id") or agent_name or ""
        return [
            HitlEvent(
                "agent_assigned",
                ticket_id,
                f"assigned:{ticket_id}:{agent_id}",
                agent_name=agent_name,
                occurred_at=at,
            )
        ]
    if kind == "reply":
        return _reply_events(ticket_id, object_field(data, "reply"), agent_name, at)
    if kind == "closed":
        return [HitlEvent("session_stopped", ticket_id, f"closed:{ticket_id}", occurred_at=at)]
    if isinstance(kind, str):
        return []  # another rule's event: accepted and ignored
    raise WebhookRejected(400, "field 'event' must be 'assigned', 'reply' or 'closed'")


def _reply_events(ticket_id: str, reply: Mapping[str, Any], agent_name: str | None, at: float) -> list[HitlEvent]:
    if flag(reply.get("private")) or flag(reply.get("incoming")):
        return []  # internal notes, or the user messages we relayed
    body = optional_str(reply, "body")
    if body is None:
        raise WebhookRejected(400, "field 'reply.body' must be a non-empty string")
    reply_id = optional_str(reply, "id")
    if reply_id is None:  # templates without a reply id: the same reply re-sent gets the same id, whatever its
        # (unsigned) timestamp says; the price: the same words from the same agent twice count once
        reply_id = hashlib.sha256(f"{agent_name}:{body}".encode()).hexdigest()[:16]
    return [
        HitlEvent(
            "agent_message",
            ticket_id,
            f"reply:{ticket_id}:{reply_id}",
            agent_name=agent_name,
            text=body,
            occurred_at=at,
        )
    ]
