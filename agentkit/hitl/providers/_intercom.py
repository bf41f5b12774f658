"""Intercom: a conversation started by the user's contact, relayed messages as the user's replies.

Requests (REST API, ``Authorization: Bearer <access_token>``, ``Intercom-Version``):

- start: ``POST /contacts/search`` for the contact whose ``external_id`` is our user id, ``POST /contacts``
  when there is none, then ``POST /conversations`` from that contact. Intercom has no idempotency key: a start
  retried after a timeout that Intercom had in fact served opens a second conversation (the escalation's key
  is written at the end of the first message, so agents can tell the two apart);
- relay: ``POST /conversations/{id}/reply`` with ``type: user`` and ``user_id`` (the contact's external id);
- stop: ``POST /conversations/{id}/parts`` with ``message_type: close`` by the admin ``admin_id``.

Webhooks: topics ``conversation.admin.assigned``, ``conversation.admin.replied`` and
``conversation.admin.closed`` signed ``X-Hub-Signature: sha1=<hex HMAC-SHA1(client_secret, body)>``; the
notification's ``created_at`` is checked against the replay window.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from agentkit.handoff import User
from agentkit.hitl._provider import EscalationRequest, HitlEvent, ProviderError, WebhookRejected
from agentkit.hitl._signatures import (
    check_body_size,
    check_signature,
    check_timestamp,
    hmac_hex,
    parse_json_object,
    parse_timestamp,
    require_header,
)
from agentkit.hitl.providers._format import ticket_text
from agentkit.hitl.providers._http import HelpdeskClient
from agentkit.hitl.providers._payload import (
    check_path_id,
    id_str,
    object_field,
    optional_object,
    optional_str,
    require_settings,
    required_str,
)

__all__ = ["IntercomProvider", "html_to_text"]

SIGNATURE_HEADER = "X-Hub-Signature"
_ASSIGNED, _REPLIED, _CLOSED = (
    "conversation.admin.assigned",
    "conversation.admin.replied",
    "conversation.admin.closed",
)


class IntercomProvider:
    """Escalate to Intercom. ``admin_id`` is the teammate that closes conversations on the bot's behalf."""

    name = "intercom"
    override_fields: frozenset[str] = frozenset()  # the conversation is opened from the user's message alone

    def __init__(
        self,
        access_token: str,
        client_secret: str,
        *,
        admin_id: str,
        base_url: str = "https://api.intercom.io",
        api_version: str = "2.11",
        timeout: float = 10.0,
    ) -> None:
        require_settings(self.name, access_token=access_token, client_secret=client_secret, admin_id=admin_id)
        headers = {
            "Authorization": f"Bearer {access_token}",
            "Intercom-Version": api_version,
            "Accept": "application/json",
        }
        self._api = HelpdeskClient("intercom", base_url, headers=headers, timeout=timeout)
        self._secret = client_secret
        self._admin_id = admin_id

    async def start_hitl(self, request: EscalationRequest) -> str:
        contact_id = await self._contact_for(request.user)
        body = f"{request.title} (priority: {request.priority})\n\n{ticket_text(request)}"
        body += f"\n\nEscalation {request.idempotency_key}"
        data = await self._api.call(
            "POST", "/conversations", json={"from": {"type": "user", "id": contact_id}, "body": body}
        )
        return _field_of(data, "conversation_id", "a message with a conversation_id")

    async def _contact_for(self, user: User) -> str:
        query = {"query": {"field": "external_id", "operator": "=", "value": user.id}}
        found = await self._api.call("POST", "/contacts/search", json=query)
        contacts = found.get("data") if isinstance(found, Mapping) else None
        if isinstance(contacts, list) and contacts:
            return _field_of(contacts[0], "id", "a contact with an id")
        contact: dict[str, str] = {"role": "user", "external_id": user.id}
        contact.update({k: v for k, v in (("email", user.email), ("name", user.name)) if v})
        return _field_of(
            await self._api.call("POST", "/contacts", json=contact), "id", "a contact with an id"
        )

    async def send_to_agent(self, session_id: str, text: str, user: User) -> None:
        conversation_id = check_path_id(self.name, session_id, numeric=False)
        reply = {"message_type": "comment", "type": "user", "user_id": user.id, "body": text}
        await self._api.call("POST", f"/conversations/{conversation_id}/reply", json=reply)

    async def stop_hitl(self, session_id: str, reason: str) -> None:
        conversation_id = check_path_id(self.name, session_id, numeric=False)
        close = {"message_type": "close", "type": "admin", "admin_id": self._admin_id, "body": reason}
        await self._api.call("POST", f"/conversations/{conversation_id}/parts", json=close)

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> list[HitlEvent]:
        check_body_size(body)
        signature = require_header(headers, SIGNATURE_HEADER)
        check_signature("sha1=" + hmac_hex(self._secret, body, "sha1"), signature)
        data = parse_json_object(body)
        if data.get("created_at") is None:
            raise WebhookRejected(400, "field 'created_at' is required in an Intercom notification")
        created_at = parse_timestamp(data["created_at"])
        check_timestamp(created_at, now)
        return intercom_events(data, created_at)

    async def aclose(self) -> None:
        await self._api.aclose()


def _field_of(data: Any, key: str, expected: str) -> str:
    if not isinstance(data, Mapping) or data.get(key) in (None, ""):
        raise ProviderError(
            f"intercom: expected {expected}, got {str(data)[:200]}", retryable=False, provider="intercom"
        )
    return str(data[key])


def html_to_text(body: str) -> str:
    """Intercom part bodies are HTML; the user gets plain text, paragraphs and breaks kept as newlines."""
    text = re.sub(r"<br\s*/?>|</p>\s*<p[^>]*>", "\n", body, flags=re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def intercom_events(data: Mapping[str, Any], created_at: float) -> list[HitlEvent]:
    """The events in one verified Intercom notification."""
    topic = data.get("topic")
    if topic not in (_ASSIGNED, _REPLIED, _CLOSED):
        return []  # ping or a topic we do not subscribe to: accepted and ignored
    notification_id = required_str(data, "id")
    item = object_field(object_field(data, "data"), "item")
    conversation_id = id_str(item.get("id"), "data.item.id")
    if topic == _REPLIED:
        return _reply_events(conversation_id, _parts(item), created_at)
    if topic == _CLOSED:
        return [HitlEvent("session_stopped", conversation_id, notification_id, occurred_at=created_at)]
    assignee = optional_object(item, "assignee")
    return [
        HitlEvent(
            "agent_assigned",
            conversation_id,
            notification_id,
            agent_name=optional_str(assignee, "name"),
            occurred_at=created_at,
        )
    ]


def _parts(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    wrapper = item.get("conversation_parts")
    parts = wrapper.get("conversation_parts") if isinstance(wrapper, Mapping) else None
    if not isinstance(parts, list):
        raise WebhookRejected(400, "field 'data.item.conversation_parts.conversation_parts' must be a list")
    return [part for part in parts if isinstance(part, Mapping)]


def _reply_events(conversation_id: str, parts: list[Mapping[str, Any]], created_at: float) -> list[HitlEvent]:
    events = []
    for part in parts:
        author = optional_object(part, "author")
        if part.get("part_type") != "comment" or author.get("type") != "admin" or not part.get("body"):
            continue  # notes, assignments, and anything the user wrote
        at = parse_timestamp(part["created_at"]) if part.get("created_at") is not None else created_at
        events.append(
            HitlEvent(
                "agent_message",
                conversation_id,
                f"part:{id_str(part.get('id'), 'part.id')}",
                agent_name=optional_str(author, "name"),
                text=html_to_text(str(part["body"])),
                occurred_at=at,
            )
        )
    return events
