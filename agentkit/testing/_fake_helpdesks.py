"""Fake helpdesks on loopback: Zendesk, Freshdesk, Intercom, and a receiver for the generic webhook provider.

Each keeps its tickets in memory, checks credentials (401 when wrong), records every request
(``fake.requests``), takes injected faults (``fake.inject(Fault.status(503))``), and plays the human agent:
``assign``, ``comment``/``reply`` and ``solve``/``close`` change the fake's state and return the webhook
payload the real helpdesk would send, which ``fake.signed_webhook(payload)`` turns into signed
``(headers, body)`` for ``provider.verify_webhook``. Only the fake Zendesk honours ``Idempotency-Key``: a
repeated key returns the first ticket, as Zendesk does; Freshdesk and Intercom ignore the header.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Self

from agentkit.hitl import hmac_base64, hmac_hex, sign_agentkit
from agentkit.testing._loopback import Fault, LoopbackServer, RecordedRequest, Response

__all__ = ["FakeFreshdesk", "FakeIntercom", "FakeWebhookReceiver", "FakeZendesk"]

Handler = Callable[[RecordedRequest, re.Match[str]], Response]


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _body(request: RecordedRequest) -> dict[str, Any] | None:
    try:
        data = request.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class _FakeHelpdesk:
    """A loopback server dispatching ``(method, path regex)`` routes under one lock, after an auth check."""

    routes: tuple[tuple[str, str, str], ...] = ()  # (method, path pattern, handler method name)

    def __init__(self) -> None:
        self.server = LoopbackServer(self._route)
        self.lock = threading.RLock()  # routes run on the server's threads, helpers on the test's

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.server.requests

    def inject(self, *faults: Fault) -> None:
        self.server.inject(*faults)

    def clear_faults(self) -> int:
        """Drop the injected faults not consumed yet: the helpdesk is back."""
        return self.server.clear_faults()

    def start(self) -> Self:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    def authorized(self, request: RecordedRequest) -> bool:
        raise NotImplementedError

    def unauthorized(self) -> Response:
        return Response(401, json={"error": "Couldn't authenticate you"})

    def _route(self, request: RecordedRequest) -> Response:
        if not self.authorized(request):
            return self.unauthorized()
        for method, pattern, name in self.routes:
            match = re.fullmatch(pattern, request.path)
            if match and request.method == method:
                with self.lock:
                    handler: Handler = getattr(self, name)
                    return handler(request, match)
        return Response(
            404, json={"error": "InvalidEndpoint", "description": f"{request.method} {request.path}"}
        )


class FakeZendesk(_FakeHelpdesk):
    """Zendesk's Tickets API v2: create (with ``Idempotency-Key``), show, update with comments and status."""

    routes = (
        ("POST", r"/api/v2/tickets\.json", "_create"),
        ("GET", r"/api/v2/tickets/(\d+)\.json", "_show"),
        ("PUT", r"/api/v2/tickets/(\d+)\.json", "_update"),
    )

    def __init__(
        self, email: str = "bot@example.com", api_token: str = "zd-token", webhook_secret: str = "zd-secret"
    ) -> None:
        super().__init__()
        self.auth = _basic(f"{email}/token", api_token)
        self.webhook_secret = webhook_secret
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.users: dict[str, int] = {}
        self._keys: dict[str, tuple[str, dict[str, Any]]] = {}
        self._next_id = 100

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("authorization") == self.auth

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _create(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        key, body = request.headers.get("idempotency-key"), request.body.decode()
        if key is not None and key in self._keys:
            first_body, answer = self._keys[key]
            if first_body != body:  # Zendesk refuses a reused key with another payload
                return Response(400, json={"error": "IdempotentRequestError", "description": "key reused"})
            return Response(201, json=answer, headers={"x-idempotency-lookup": "hit"})
        fields = (_body(request) or {}).get("ticket")
        if not isinstance(fields, dict) or not isinstance(fields.get("comment"), dict):
            return Response(422, json={"error": "RecordInvalid", "details": {"comment": "is required"}})
        answer = {"ticket": self._new_ticket(fields)}
        if key is not None:
            self._keys[key] = (body, answer)
        return Response(201, json=answer, headers={"x-idempotency-lookup": "miss"})

    def _new_ticket(self, fields: dict[str, Any]) -> dict[str, Any]:
        requester = fields.get("requester") or {}
        name = requester.get("email") or requester.get("name") or "anonymous"
        requester_id = self.users.setdefault(name, 9000 + len(self.users))
        ticket_id = self._id()
        ticket = {k: v for k, v in fields.items() if k not in ("comment", "requester")}
        ticket.update(id=ticket_id, status="new", requester_id=requester_id, assignee_id=None)
        ticket["description"] = fields["comment"].get("body", "")
        self.tickets[ticket_id] = ticket
        self.comments[ticket_id] = []
        self._add_comment(ticket_id, fields["comment"], requester_id, via="api")
        return dict(ticket)

    def _add_comment(
        self, ticket_id: int, comment: dict[str, Any], author_id: Any, via: str
    ) -> dict[str, Any]:
        stored = {
            "id": self._id(),
            "body": comment.get("body", ""),
            "public": comment.get("public", True),
            "author_id": comment.get("author_id", author_id),
            "via": via,
        }
        self.comments[ticket_id].append(stored)
        return stored

    def _show(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        ticket = self.tickets.get(int(match[1]))
        if ticket is None:
            return Response(404, json={"error": "RecordNotFound", "description": "Not found"})
        return Response(200, json={"ticket": dict(ticket)})

    def _update(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        ticket_id = int(match[1])
        fields = (_body(request) or {}).get("ticket")
        if ticket_id not in self.tickets:
            return Response(404, json={"error": "RecordNotFound", "description": "Not found"})
        if not isinstance(fields, dict):
            return Response(
                400, json={"error": "InvalidValue", "description": "a 'ticket' object is required"}
            )
        if isinstance(fields.get("comment"), dict):
            self._add_comment(ticket_id, fields["comment"], None, via="api")
        if "status" in fields:
            self.tickets[ticket_id]["status"] = fields["status"]
        return Response(200, json={"ticket": dict(self.tickets[ticket_id])})

    # -- the human agent --

    def assign(self, ticket_id: int | str, agent_name: str = "Ana", agent_id: int = 7) -> dict[str, Any]:
        with self.lock:
            self.tickets[int(ticket_id)].update(assignee_id=agent_id, status="open")
        return {
            "event": "assigned",
            "ticket_id": int(ticket_id),
            "assignee": {"id": agent_id, "name": agent_name},
        }

    def comment(
        self,
        ticket_id: int | str,
        body: str,
        agent_name: str = "Ana",
        *,
        public: bool = True,
        agent_id: int = 7,
    ) -> dict[str, Any]:
        with self.lock:
            stored = self._add_comment(int(ticket_id), {"body": body, "public": public}, agent_id, via="web")
        return self.comment_webhook(ticket_id, stored["id"], author_name=agent_name)

    def comment_webhook(
        self, ticket_id: int | str, comment_id: int, author_name: str = "Ana"
    ) -> dict[str, Any]:
        """The trigger payload for a stored comment, including ones made through the API."""
        with self.lock:
            stored = next(c for c in self.comments[int(ticket_id)] if c["id"] == comment_id)
            role = (
                "end-user" if stored["author_id"] == self.tickets[int(ticket_id)]["requester_id"] else "agent"
            )
            author = {"id": stored["author_id"], "name": author_name, "role": role}
            comment = {k: stored[k] for k in ("id", "body", "public", "via")} | {"author": author}
        return {"event": "comment", "ticket_id": int(ticket_id), "comment": comment}

    def solve(self, ticket_id: int | str) -> dict[str, Any]:
        with self.lock:
            self.tickets[int(ticket_id)]["status"] = "solved"
        return {"event": "solved", "ticket_id": int(ticket_id)}

    def signed_webhook(
        self, event: Any, secret: str | None = None, timestamp: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Zendesk's signature: base64 HMAC-SHA256 over the ISO-8601 timestamp followed by the body."""
        body = json.dumps(event).encode()
        stamp = timestamp or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        signature = hmac_base64(secret or self.webhook_secret, stamp.encode() + body)
        return {
            "X-Zendesk-Webhook-Signature": signature,
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "Content-Type": "application/json",
        }, body


class FakeFreshdesk(_FakeHelpdesk):
    """Freshdesk's API v2: create, search by tag, notes, update; validates priority, status and requester."""

    routes = (
        ("POST", r"/api/v2/tickets", "_create"),
        ("GET", r"/api/v2/search/tickets", "_search"),
        ("POST", r"/api/v2/tickets/(\d+)/notes", "_note"),
        ("PUT", r"/api/v2/tickets/(\d+)", "_update"),
    )

    def __init__(self, api_key: str = "fd-key", webhook_secret: str = "fd-secret") -> None:
        super().__init__()
        self.auth = _basic(api_key, "X")
        self.webhook_secret = webhook_secret
        self.tickets: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self._next_id = 0

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("authorization") == self.auth

    def unauthorized(self) -> Response:
        return Response(401, json={"code": "invalid_credentials", "message": "You have to be logged in."})

    def _invalid(self, field: str, message: str) -> Response:
        error = {"field": field, "message": message, "code": "invalid_value"}
        return Response(400, json={"description": "Validation failed", "errors": [error]})

    def _create(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        fields = _body(request)
        if fields is None:
            return self._invalid("body", "must be a JSON object")
        if fields.get("priority") not in (1, 2, 3, 4):
            return self._invalid("priority", "It should be one of these values: '1,2,3,4'")
        if fields.get("status") not in (2, 3, 4, 5):
            return self._invalid("status", "It should be one of these values: '2,3,4,5'")
        if not any(fields.get(k) for k in ("email", "requester_id", "phone", "unique_external_id")):
            return self._invalid("requester_id", "Please fill at least 1 of email, phone, unique_external_id")
        self._next_id += 1
        ticket = dict(fields, id=self._next_id, responder_id=None, tags=list(fields.get("tags", [])))
        self.tickets[self._next_id] = ticket
        self.notes[self._next_id] = []
        return Response(201, json=ticket)

    def _search(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        found = re.fullmatch(r"\"tag:'([^']+)'\"", request.query.get("query", ""))
        if found is None:
            return self._invalid("query", "only \"tag:'...'\" queries are faked")
        results = [t for t in self.tickets.values() if found[1] in t["tags"]]
        return Response(200, json={"results": results, "total": len(results)})

    def _note(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        ticket_id, fields = int(match[1]), _body(request)
        if ticket_id not in self.tickets:
            return Response(404, json={"code": "not_found"})
        if not fields or not fields.get("body"):
            return self._invalid("body", "It should not be blank")
        self._next_id += 1
        note = dict(fields, id=self._next_id, ticket_id=ticket_id)
        self.notes[ticket_id].append(note)
        return Response(201, json=note)

    def _update(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        ticket_id, fields = int(match[1]), _body(request)
        if ticket_id not in self.tickets:
            return Response(404, json={"code": "not_found"})
        if fields is None or fields.get("status", 2) not in (2, 3, 4, 5):
            return self._invalid("status", "It should be one of these values: '2,3,4,5'")
        self.tickets[ticket_id].update(fields)
        return Response(200, json=self.tickets[ticket_id])

    # -- the human agent --

    def assign(self, ticket_id: int | str, agent_name: str = "Ana", agent_id: int = 5) -> dict[str, Any]:
        with self.lock:
            self.tickets[int(ticket_id)]["responder_id"] = agent_id
        return {
            "event": "assigned",
            "ticket_id": int(ticket_id),
            "agent": {"id": agent_id, "name": agent_name},
        }

    def reply(
        self, ticket_id: int | str, body: str, agent_name: str = "Ana", *, private: bool = False
    ) -> dict[str, Any]:
        with self.lock:
            self._next_id += 1
            reply = {"id": self._next_id, "body": body, "private": private, "incoming": False}
            self.notes[int(ticket_id)].append(dict(reply, ticket_id=int(ticket_id)))
        return {"event": "reply", "ticket_id": int(ticket_id), "agent": {"name": agent_name}, "reply": reply}

    def note_webhook(self, ticket_id: int | str, note_id: int) -> dict[str, Any]:
        """The rule payload for a stored note, including the ones our provider relayed."""
        with self.lock:
            note = next(n for n in self.notes[int(ticket_id)] if n["id"] == note_id)
            reply = {k: note.get(k) for k in ("id", "body", "private", "incoming")}
        return {"event": "reply", "ticket_id": int(ticket_id), "reply": reply}

    def close(self, ticket_id: int | str) -> dict[str, Any]:
        with self.lock:
            self.tickets[int(ticket_id)]["status"] = 5
        return {"event": "closed", "ticket_id": int(ticket_id)}

    def signed_webhook(
        self, event: dict[str, Any], secret: str | None = None, timestamp: float | str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """The rule's request: the shared secret header, the timestamp inside the body."""
        body = json.dumps(
            dict(event, timestamp=int(time.time()) if timestamp is None else timestamp)
        ).encode()
        return {"X-Agentkit-Secret": secret or self.webhook_secret, "Content-Type": "application/json"}, body


class FakeIntercom(_FakeHelpdesk):
    """Intercom's REST API: contacts (search, create), conversations (create, reply, close)."""

    routes = (
        ("POST", r"/contacts/search", "_search_contacts"),
        ("POST", r"/contacts", "_create_contact"),
        ("POST", r"/conversations", "_create_conversation"),
        ("POST", r"/conversations/(\w+)/reply", "_reply"),
        ("POST", r"/conversations/(\w+)/parts", "_part"),
    )

    def __init__(
        self,
        access_token: str = "ic-token",
        client_secret: str = "ic-secret",
        admin_ids: tuple[str, ...] = ("814860",),
    ) -> None:
        super().__init__()
        self.access_token = access_token
        self.client_secret = client_secret
        self.admin_ids = admin_ids
        self.contacts: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, dict[str, Any]] = {}
        self._next_id = 5000

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.access_token}"

    def unauthorized(self) -> Response:
        error = {"code": "unauthorized", "message": "Access Token Invalid"}
        return Response(401, json={"type": "error.list", "errors": [error]})

    def _error(self, status: int, code: str, message: str) -> Response:
        return Response(status, json={"type": "error.list", "errors": [{"code": code, "message": message}]})

    def _id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _search_contacts(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        query = (_body(request) or {}).get("query") or {}
        if query.get("field") != "external_id" or query.get("operator") != "=":
            return self._error(400, "parameter_invalid", "only external_id = ... searches are faked")
        data = [c for c in self.contacts.values() if c.get("external_id") == query.get("value")]
        return Response(200, json={"type": "list", "data": data, "total_count": len(data)})

    def _create_contact(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        fields = _body(request) or {}
        if any(c.get("external_id") == fields.get("external_id") for c in self.contacts.values()):
            return self._error(409, "conflict", "A contact matching those details already exists")
        contact = {"type": "contact", "id": f"c{self._id()}", "role": fields.get("role", "user")} | fields
        self.contacts[contact["id"]] = contact
        return Response(200, json=contact)

    def _create_conversation(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        fields = _body(request) or {}
        sender = fields.get("from") or {}
        if sender.get("id") not in self.contacts or not fields.get("body"):
            return self._error(404, "not_found", "User Not Found")
        conversation_id, message_id = self._id(), self._id()
        self.conversations[conversation_id] = {
            "id": conversation_id,
            "contact_id": sender["id"],
            "state": "open",
            "source": {"body": fields["body"]},
            "parts": [],
            "assignee": None,
        }
        return Response(
            200,
            json={
                "type": "user_message",
                "id": message_id,
                "created_at": int(time.time()),
                "body": fields["body"],
                "message_type": "inapp",
                "conversation_id": conversation_id,
            },
        )

    def _reply(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        conversation, fields = self.conversations.get(match[1]), _body(request) or {}
        if conversation is None:
            return self._error(404, "not_found", "Resource Not Found")
        known = [c for c in self.contacts.values() if c.get("external_id") == fields.get("user_id")]
        if fields.get("type") != "user" or not known or fields.get("message_type") != "comment":
            return self._error(400, "parameter_invalid", "a user reply needs a known user_id and a comment")
        author = {"type": "user", "id": known[0]["id"], "name": known[0].get("name")}
        conversation["parts"].append(self._part_of("comment", fields.get("body", ""), author))
        return Response(200, json=self._conversation_json(conversation))

    def _part(self, request: RecordedRequest, match: re.Match[str]) -> Response:
        conversation, fields = self.conversations.get(match[1]), _body(request) or {}
        if conversation is None:
            return self._error(404, "not_found", "Resource Not Found")
        if fields.get("message_type") != "close" or fields.get("admin_id") not in self.admin_ids:
            return self._error(
                400, "parameter_invalid", "close needs message_type close and a known admin_id"
            )
        conversation["state"] = "closed"
        author = {"type": "admin", "id": fields["admin_id"], "name": "Bot admin"}
        conversation["parts"].append(self._part_of("close", fields.get("body", ""), author))
        return Response(200, json=self._conversation_json(conversation))

    def _part_of(self, part_type: str, body: str, author: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "conversation_part",
            "id": self._id(),
            "part_type": part_type,
            "body": body,
            "created_at": int(time.time()),
            "author": author,
        }

    def _conversation_json(
        self, conversation: dict[str, Any], parts: list[Any] | None = None
    ) -> dict[str, Any]:
        shown = conversation["parts"] if parts is None else parts
        return {
            "type": "conversation",
            "id": conversation["id"],
            "state": conversation["state"],
            "assignee": conversation["assignee"],
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": shown},
        }

    def _notification(self, topic: str, conversation: dict[str, Any], parts: list[Any]) -> dict[str, Any]:
        item = self._conversation_json(conversation, parts)
        return {
            "type": "notification_event",
            "topic": topic,
            "id": f"notif_{self._id()}",
            "created_at": int(time.time()),
            "data": {"type": "notification_event_data", "item": item},
        }

    # -- the human agent --

    def assign(self, conversation_id: str, admin_name: str = "Ana", admin_id: str = "991") -> dict[str, Any]:
        with self.lock:
            conversation = self.conversations[conversation_id]
            conversation["assignee"] = {"type": "admin", "id": admin_id, "name": admin_name}
            part = self._part_of("assignment", "", {"type": "admin", "id": admin_id, "name": admin_name})
            return self._notification("conversation.admin.assigned", conversation, [part])

    def reply(
        self, conversation_id: str, body: str, admin_name: str = "Ana", admin_id: str = "991"
    ) -> dict[str, Any]:
        with self.lock:
            conversation = self.conversations[conversation_id]
            part = self._part_of("comment", body, {"type": "admin", "id": admin_id, "name": admin_name})
            conversation["parts"].append(part)
            return self._notification("conversation.admin.replied", conversation, [part])

    def close(self, conversation_id: str, admin_name: str = "Ana", admin_id: str = "991") -> dict[str, Any]:
        with self.lock:
            conversation = self.conversations[conversation_id]
            conversation["state"] = "closed"
            part = self._part_of("close", "", {"type": "admin", "id": admin_id, "name": admin_name})
            return self._notification("conversation.admin.closed", conversation, [part])

    def signed_webhook(
        self, event: dict[str, Any], secret: str | None = None, timestamp: float | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Intercom signs the body alone (HMAC-SHA1, hex); ``timestamp`` replaces ``created_at``."""
        payload = event if timestamp is None else dict(event, created_at=timestamp)
        body = json.dumps(payload).encode()
        signature = "sha1=" + hmac_hex(secret or self.client_secret, body, "sha1")
        return {"X-Hub-Signature": signature, "Content-Type": "application/json"}, body


class FakeWebhookReceiver(_FakeHelpdesk):
    """The other end of ``WebhookProvider``: verifies signatures, keeps the events, names sessions.

    A repeated ``Idempotency-Key`` on ``hitl.started`` gets the first session id back.
    """

    def __init__(self, secret: str = "wh-secret") -> None:
        super().__init__()
        self.secret = secret
        self.events: list[dict[str, Any]] = []
        self.sessions: dict[str, str] = {}
        self._callbacks = 0

    def authorized(self, request: RecordedRequest) -> bool:
        stamp = request.headers.get("x-agentkit-timestamp", "")
        expected = sign_agentkit(self.secret, stamp, request.body)
        return bool(stamp) and request.headers.get("x-agentkit-signature") == expected

    def unauthorized(self) -> Response:
        return Response(401, json={"error": "bad signature"})

    def _route(self, request: RecordedRequest) -> Response:
        if not self.authorized(request):
            return self.unauthorized()
        envelope = _body(request)
        if request.method != "POST" or envelope is None or not isinstance(envelope.get("data"), dict):
            return Response(400, json={"error": "expected a POSTed JSON envelope"})
        with self.lock:
            self.events.append(envelope)
            if envelope.get("type") != "hitl.started":
                return Response(200, json={"ok": True})
            key = request.headers.get("idempotency-key") or envelope["id"]
            session_id = self.sessions.setdefault(key, f"ws_{len(self.sessions) + 1}")
        return Response(200, json={"session_id": session_id})

    # -- the human agent --

    def assign(self, session_id: str, agent_name: str = "Ana") -> dict[str, Any]:
        return self._event("agent_assigned", session_id, agent_name=agent_name)

    def message(self, session_id: str, text: str, agent_name: str = "Ana") -> dict[str, Any]:
        return self._event("agent_message", session_id, agent_name=agent_name, text=text)

    def close(self, session_id: str) -> dict[str, Any]:
        return self._event("session_stopped", session_id)

    def _event(self, kind: str, session_id: str, **fields: str) -> dict[str, Any]:
        with self.lock:
            self._callbacks += 1
            return {"id": f"cb_{self._callbacks}", "type": kind, "session_id": session_id, **fields}

    def signed_webhook(
        self, event: Any, secret: str | None = None, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        body = json.dumps(event).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "X-Agentkit-Timestamp": stamp,
            "X-Agentkit-Signature": sign_agentkit(secret or self.secret, stamp, body),
            "Content-Type": "application/json",
        }, body
