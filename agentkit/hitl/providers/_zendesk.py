"""Zendesk Support: a ticket per escalation, relayed messages as public comments by the requester.

Requests (Tickets API v2, basic auth ``{email}/token:{api_token}``):

- start: ``POST /api/v2/tickets.json`` with ``Idempotency-Key``, so a retried create returns the first ticket;
- relay: ``PUT /api/v2/tickets/{id}.json`` with a public comment whose ``author_id`` is the requester;
- stop: ``PUT /api/v2/tickets/{id}.json`` with ``status: solved`` and a private note giving the reason.

Webhooks: a Zendesk webhook (signing secret = ``webhook_secret``) fired by triggers on tickets tagged
``agentkit``, with a JSON body of one of these shapes (ids may be numbers or strings)::

    {"event": "assigned", "ticket_id": 35, "assignee": {"id": 7, "name": "Ana"}}
    {"event": "comment", "ticket_id": 35,
     "comment": {"id": 901, "body": "Hello", "public": true, "via": "web",
                 "author": {"id": 7, "name": "Ana", "role": "agent"}}}
    {"event": "solved", "ticket_id": 35}

An optional ``occurred_at`` (epoch seconds or ISO-8601) dates the event; otherwise the signed timestamp does.
Comments made through the API (``via: "api"``, which includes the user messages we relay), private notes and
comments by end users are not agent messages and are dropped, so nothing echoes back to the user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agentkit.handoff import User
from agentkit.hitl._provider import EscalationRequest, HitlEvent, ProviderError, WebhookRejected
from agentkit.hitl._signatures import (
    check_body_size,
    check_signature,
    check_timestamp,
    hmac_base64,
    parse_json_object,
    parse_timestamp,
    require_header,
)
from agentkit.hitl.providers._format import base_url_for, ticket_text
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

__all__ = ["ZENDESK_PRIORITIES", "ZendeskProvider"]

ZENDESK_TICKET_FIELDS = frozenset({  # the writable fields of a Zendesk ticket (Support API, Tickets)
    "assignee_email", "assignee_id", "attribute_value_ids", "brand_id", "collaborator_ids", "collaborators",
    "comment", "custom_fields", "custom_status_id", "due_at", "email_cc_ids", "email_ccs", "external_id",
    "follower_ids", "followers", "group_id", "macro_id", "macro_ids", "metadata", "organization_id", "priority",
    "problem_id", "raw_subject", "recipient", "requester", "requester_id", "safe_update", "sharing_agreement_ids",
    "status", "subject", "submitter_id", "tags", "ticket_form_id", "type", "updated_stamp", "via_followup_source_id",
})  # fmt: skip
"""``configuration_overrides`` keys the Zendesk provider takes; any other key is refused as a probable typo."""
ZENDESK_PRIORITIES = {"low": "low", "medium": "normal", "high": "high", "urgent": "urgent"}
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"


class ZendeskProvider:
    """Escalate to Zendesk Support. ``subdomain_or_base_url`` is ``acme`` or a full URL."""

    name = "zendesk"
    override_fields = ZENDESK_TICKET_FIELDS

    def __init__(
        self,
        subdomain_or_base_url: str,
        email: str,
        api_token: str,
        webhook_secret: str,
        *,
        tags: Sequence[str] = ("agentkit", "hitl"),
        timeout: float = 10.0,
    ) -> None:
        require_settings(
            self.name,
            subdomain_or_base_url=subdomain_or_base_url,
            email=email,
            api_token=api_token,
            webhook_secret=webhook_secret,
        )
        base_url = base_url_for(subdomain_or_base_url, "zendesk.com")
        self._api = HelpdeskClient("zendesk", base_url, auth=(f"{email}/token", api_token), timeout=timeout)
        self._secret = webhook_secret
        self._tags = list(tags)
        # A cache of what Zendesk already knows (ticket -> requester), refilled with a GET after a restart.
        self._requesters: dict[str, int | str] = {}

    async def start_hitl(self, request: EscalationRequest) -> str:
        data = await self._api.call(
            "POST",
            "/api/v2/tickets.json",
            json={"ticket": self._ticket_fields(request)},
            headers={"Idempotency-Key": request.idempotency_key},
        )
        ticket = _ticket_of(data)
        ticket_id = str(ticket["id"])
        if ticket.get("requester_id") is not None:
            self._requesters[ticket_id] = ticket["requester_id"]
        return ticket_id

    def _ticket_fields(self, request: EscalationRequest) -> dict[str, Any]:
        requester: dict[str, str] = {"name": request.user.name or request.user.id}
        if request.user.email:
            requester["email"] = request.user.email
        fields: dict[str, Any] = {
            "subject": request.title,
            "comment": {"body": ticket_text(request)},
            "requester": requester,
            "priority": ZENDESK_PRIORITIES[request.priority],
            "tags": list(self._tags),
            "external_id": request.conversation_id,
        }
        fields.update(request.configuration_overrides)  # e.g. group_id, type, custom_fields, tags
        return fields

    async def send_to_agent(self, session_id: str, text: str, user: User) -> None:
        ticket_id = check_path_id(self.name, session_id, numeric=True)
        comment = {"body": text, "public": True, "author_id": await self._requester_of(ticket_id)}
        await self._api.call(
            "PUT", f"/api/v2/tickets/{ticket_id}.json", json={"ticket": {"comment": comment}}
        )

    async def _requester_of(self, ticket_id: str) -> int | str:
        if ticket_id not in self._requesters:
            ticket = _ticket_of(await self._api.call("GET", f"/api/v2/tickets/{ticket_id}.json"))
            self._requesters[ticket_id] = ticket["requester_id"]
        return self._requesters[ticket_id]

    async def stop_hitl(self, session_id: str, reason: str) -> None:
        ticket_id = check_path_id(self.name, session_id, numeric=True)
        note = {"body": f"Conversation handed back to the bot: {reason}", "public": False}
        await self._api.call(
            "PUT", f"/api/v2/tickets/{ticket_id}.json", json={"ticket": {"status": "solved", "comment": note}}
        )

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> list[HitlEvent]:
        check_body_size(body)
        signature = require_header(headers, SIGNATURE_HEADER)
        timestamp = require_header(headers, TIMESTAMP_HEADER)
        check_signature(hmac_base64(self._secret, timestamp.encode() + body), signature)
        signed_at = parse_timestamp(timestamp)
        check_timestamp(signed_at, now)
        return zendesk_events(parse_json_object(body), signed_at)

    async def aclose(self) -> None:
        await self._api.aclose()


def _ticket_of(data: Any) -> Mapping[str, Any]:
    ticket = data.get("ticket") if isinstance(data, Mapping) else None
    if not isinstance(ticket, Mapping) or ticket.get("id") is None:
        raise ProviderError(
            f"zendesk: expected a {{'ticket': {{'id': ...}}}} answer, got {str(data)[:200]}",
            retryable=False,
            provider="zendesk",
        )
    return ticket


def zendesk_events(data: Mapping[str, Any], signed_at: float) -> list[HitlEvent]:
    """The events in one verified Zendesk webhook body (see the module docstring for its shapes)."""
    kind = data.get("event")
    ticket_id = id_str(data.get("ticket_id"), "ticket_id")
    at = parse_timestamp(data["occurred_at"]) if data.get("occurred_at") is not None else signed_at
    if kind == "assigned":
        assignee = object_field(data, "assignee")
        agent_id = id_str(assignee.get("id"), "assignee.id")
        return [
            HitlEvent(
                "agent_assigned",
                ticket_id,
                f"assigned:{ticket_id}:{agent_id}",
                agent_name=optional_str(assignee, "name"),
                occurred_at=at,
            )
        ]
    if kind == "comment":
        return _comment_events(ticket_id, object_field(data, "comment"), at)
    if kind == "solved":
        return [HitlEvent("session_stopped", ticket_id, f"solved:{ticket_id}", occurred_at=at)]
    if isinstance(kind, str):
        return []  # another trigger's event: accepted, so Zendesk does not retry it, and ignored
    raise WebhookRejected(400, "field 'event' must be 'assigned', 'comment' or 'solved'")


def _comment_events(ticket_id: str, comment: Mapping[str, Any], at: float) -> list[HitlEvent]:
    comment_id = id_str(comment.get("id"), "comment.id")
    author = optional_object(comment, "author")
    private = flag(comment.get("public")) is False
    if comment.get("via") == "api" or private or author.get("role") == "end-user":
        return []  # our own relayed messages, internal notes, or the requester writing in Zendesk
    body = optional_str(comment, "body")
    if body is None:
        raise WebhookRejected(400, "field 'comment.body' must be a non-empty string")
    return [
        HitlEvent(
            "agent_message",
            ticket_id,
            f"comment:{comment_id}",
            agent_name=optional_str(author, "name"),
            text=body,
            occurred_at=at,
        )
    ]
