"""``MemoryHitl``: an in-memory HITL provider for tests, that also plays the human agent.

```python
memory = MemoryHitl()
agent = Agent("bot", model, plugins={"hitl": HitlPlugin(memory)})
...
session_id = memory.only_session().id
await memory.assign(session_id, "Ana")          # pushed to the plugin, as the desk does
await memory.reply(session_id, "Hi, I'm Ana")
memory.fail_next(ProviderError("down", retryable=True, provider="memory"))   # the next call fails
headers, body = memory.signed_webhook(event)    # or deliver events as signed webhooks (push=False)
```
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field

from agentkit.handoff import User

from ._provider import EscalationRequest, HitlEvent, HitlEventKind, ProviderError, WebhookRejected
from ._signatures import (
    check_body_size,
    check_signature,
    check_timestamp,
    parse_json_object,
    parse_timestamp,
    require_header,
    sign_agentkit,
)

__all__ = ["MemoryHitl", "MemorySession"]

SIGNATURE_HEADER = "X-Agentkit-Signature"
TIMESTAMP_HEADER = "X-Agentkit-Timestamp"

EventCallback = Callable[[HitlEvent], Awaitable[None]]


@dataclass
class MemorySession:
    """One ticket: the request that opened it, the user's relayed messages, and how it was closed."""

    id: str
    request: EscalationRequest
    user_messages: list[str] = field(default_factory=list)
    assignee: str | None = None
    stopped_reason: str | None = None


class _Subscription:
    def __init__(self, owner: MemoryHitl, callback: EventCallback) -> None:
        self.owner, self.callback = owner, callback

    def cancel(self) -> None:
        self.owner._subscriptions.discard(self)


class MemoryHitl:
    """A HITL provider in memory. ``push=True``: the human side's events go to subscribers at once (like the
    desk); ``push=False``: only as webhooks the test sends (``signed_webhook``)."""

    name = "memory"

    def __init__(self, *, push: bool = True, webhook_secret: str = "memory-secret") -> None:
        self.push = push
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, MemorySession] = {}
        self.start_calls: list[EscalationRequest] = []
        self.events: list[HitlEvent] = []
        self.closed = False
        self._by_key: dict[str, str] = {}
        self._failures: list[BaseException] = []
        self._subscriptions: set[_Subscription] = set()

    # -- the provider --

    async def start_hitl(self, request: EscalationRequest) -> str:
        self.start_calls.append(request)
        self._maybe_fail()
        if request.idempotency_key in self._by_key:
            return self._by_key[request.idempotency_key]
        session = MemorySession(f"mem-{len(self.sessions) + 1}", request)
        self.sessions[session.id] = session
        self._by_key[request.idempotency_key] = session.id
        return session.id

    async def send_to_agent(self, session_id: str, text: str, user: User) -> None:
        self._maybe_fail()
        session = self._session(session_id)
        if session.stopped_reason is not None:
            raise ProviderError(f"memory: session {session_id} is closed", retryable=False, provider=self.name)
        session.user_messages.append(text)

    async def stop_hitl(self, session_id: str, reason: str) -> None:
        self._maybe_fail()
        session = self._session(session_id)
        session.stopped_reason = session.stopped_reason or reason

    def subscribe(self, callback: EventCallback, *, after: int | None = None) -> _Subscription:
        subscription = _Subscription(self, callback)
        self._subscriptions.add(subscription)
        return subscription

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> list[HitlEvent]:
        check_body_size(body)
        signature = require_header(headers, SIGNATURE_HEADER)
        timestamp = require_header(headers, TIMESTAMP_HEADER)
        check_signature(sign_agentkit(self.webhook_secret, timestamp, body), signature)
        check_timestamp(parse_timestamp(timestamp), now)
        data = parse_json_object(body)
        try:
            return [HitlEvent(**data)]
        except TypeError as error:
            raise WebhookRejected(400, f"not a HitlEvent: {error}") from None

    async def aclose(self) -> None:
        self.closed = True

    # -- the test's controls --

    def fail_next(self, *errors: BaseException) -> None:
        """The next provider calls raise these, one each, in order."""
        self._failures.extend(errors)

    def only_session(self) -> MemorySession:
        if len(self.sessions) != 1:
            raise AssertionError(f"expected exactly one session, found {len(self.sessions)}")
        return next(iter(self.sessions.values()))

    async def assign(self, session_id: str, agent_name: str = "Ana") -> HitlEvent:
        self._session(session_id).assignee = agent_name
        return await self._emit("agent_assigned", session_id, agent_name=agent_name)

    async def reply(self, session_id: str, text: str, agent_name: str | None = None) -> HitlEvent:
        name = agent_name or self._session(session_id).assignee
        return await self._emit("agent_message", session_id, agent_name=name, text=text)

    async def close(self, session_id: str) -> HitlEvent:
        self._session(session_id).stopped_reason = "closed by the agent"
        return await self._emit("session_stopped", session_id)

    def signed_webhook(
        self, event: HitlEvent, *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """``(headers, body)`` of a webhook carrying ``event``, signed (with ``secret`` to forge one)."""
        body = json.dumps(asdict(event)).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = sign_agentkit(secret or self.webhook_secret, stamp, body)
        return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature, "Content-Type": "application/json"}, body

    def _maybe_fail(self) -> None:
        if self._failures:
            raise self._failures.pop(0)

    def _session(self, session_id: str) -> MemorySession:
        try:
            return self.sessions[session_id]
        except KeyError:
            raise ProviderError(f"memory: no session {session_id!r}", retryable=False, provider=self.name) from None

    async def _emit(self, kind: HitlEventKind, session_id: str, **fields: str | None) -> HitlEvent:
        event = HitlEvent(kind, session_id, str(len(self.events) + 1), occurred_at=time.time(), **fields)
        self.events.append(event)
        if self.push:
            for subscription in list(self._subscriptions):
                await subscription.callback(event)
        return event
