import base64
from collections.abc import AsyncIterator, Callable

import pytest

from agentkit.handoff import User
from agentkit.hitl import EscalationRequest, FreshdeskProvider, HitlEvent, ProviderError
from agentkit.hitl.providers import freshdesk_key_tag
from agentkit.testing import FakeFreshdesk

BASIC = "Basic " + base64.b64encode(b"fd-key:X").decode()
DESCRIPTION = (
    "<p>The user was charged twice &amp; wants a refund.</p>\n"
    "<p><b>User:</b> Bob Stone &lt;bob@example.com&gt; (id u-1)</p>\n"
    "<h4>Conversation so far</h4>\n"
    "<p><small>2023-11-14 22:13:20 UTC</small> <b>User:</b> I was charged twice &lt;again&gt;</p>\n"
    "<p><small>2023-11-14 22:13:25 UTC</small> <b>Bot:</b> Let me get a person for you.</p>"
)

MakeRequest = Callable[..., EscalationRequest]


@pytest.fixture
async def fake() -> AsyncIterator[FakeFreshdesk]:
    async with FakeFreshdesk() as server:
        yield server


@pytest.fixture
async def freshdesk(fake: FakeFreshdesk) -> AsyncIterator[FreshdeskProvider]:
    provider = FreshdeskProvider(fake.url, "fd-key", "fd-secret")
    yield provider
    await provider.aclose()


async def test_start_searches_for_the_escalation_then_creates_the_ticket(
    fake: FakeFreshdesk, freshdesk: FreshdeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await freshdesk.start_hitl(make_request())

    search, create = fake.requests
    tag = freshdesk_key_tag("esc-1")
    assert (search.method, search.path, search.query) == (
        "GET",
        "/api/v2/search/tickets",
        {"query": f"\"tag:'{tag}'\""},
    )
    assert (create.method, create.path) == ("POST", "/api/v2/tickets")
    assert search.headers["authorization"] == create.headers["authorization"] == BASIC
    assert create.json() == {
        "subject": "Refund for order 42",
        "description": DESCRIPTION,
        "priority": 3,
        "status": 2,
        "tags": ["agentkit", "hitl", tag],
        "name": "Bob Stone",
        "email": "bob@example.com",
    }
    assert ticket_id == "1"


@pytest.mark.parametrize(("ours", "theirs"), [("low", 1), ("medium", 2), ("high", 3), ("urgent", 4)])
async def test_priorities_map_to_1_to_4(
    fake: FakeFreshdesk, freshdesk: FreshdeskProvider, ours: str, theirs: int, make_request: MakeRequest
) -> None:
    await freshdesk.start_hitl(make_request(priority=ours))
    assert fake.requests[-1].json()["priority"] == theirs


async def test_a_retried_start_finds_the_first_ticket(
    fake: FakeFreshdesk, freshdesk: FreshdeskProvider, make_request: MakeRequest
) -> None:
    first = await freshdesk.start_hitl(make_request())
    second = await freshdesk.start_hitl(make_request())
    other = await freshdesk.start_hitl(make_request(idempotency_key="esc-2"))

    assert first == second == "1" and other == "2"
    assert len(fake.tickets) == 2
    assert [r.method for r in fake.requests] == ["GET", "POST", "GET", "GET", "POST"]


async def test_a_user_without_email_is_identified_by_external_id(
    fake: FakeFreshdesk, freshdesk: FreshdeskProvider, make_request: MakeRequest
) -> None:
    await freshdesk.start_hitl(make_request(user=User("u-7")))
    body = fake.requests[-1].json()
    assert body["unique_external_id"] == "u-7" and "email" not in body and "name" not in body


async def test_relay_is_a_public_incoming_note(
    fake: FakeFreshdesk, freshdesk: FreshdeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await freshdesk.start_hitl(make_request())
    await freshdesk.send_to_agent(ticket_id, "Any news?\n<b>please</b>", User("u-1"))

    request = fake.requests[-1]
    assert (request.method, request.path) == ("POST", f"/api/v2/tickets/{ticket_id}/notes")
    assert request.headers["authorization"] == BASIC
    assert request.json() == {
        "body": "Any news?<br>&lt;b&gt;please&lt;/b&gt;",
        "private": False,
        "incoming": True,
    }


async def test_stop_closes_the_ticket(
    fake: FakeFreshdesk, freshdesk: FreshdeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await freshdesk.start_hitl(make_request())
    await freshdesk.stop_hitl(ticket_id, "resolved by the bot")

    request = fake.requests[-1]
    assert (request.method, request.path, request.json()) == (
        "PUT",
        f"/api/v2/tickets/{ticket_id}",
        {"status": 5},
    )
    assert fake.tickets[1]["status"] == 5


async def test_a_validation_error_is_not_retryable_and_says_what_freshdesk_said(
    fake: FakeFreshdesk, make_request: MakeRequest
) -> None:
    provider = FreshdeskProvider(fake.url, "fd-key", "fd-secret")
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.start_hitl(make_request(configuration_overrides={"priority": 9}))
    finally:
        await provider.aclose()
    assert caught.value.retryable is False and caught.value.status == 400
    assert "It should be one of these values: '1,2,3,4'" in str(caught.value)


async def test_webhooks_for_assignment_reply_and_close(
    fake: FakeFreshdesk, freshdesk: FreshdeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await freshdesk.start_hitl(make_request())
    now = 1_700_000_000.0

    events = [
        freshdesk.verify_webhook(*fake.signed_webhook(payload, timestamp=now - 10), now=now)
        for payload in (fake.assign(ticket_id, "Ana"), fake.reply(ticket_id, "Hi Bob"), fake.close(ticket_id))
    ]

    reply_id = fake.notes[1][-1]["id"]
    assert events == [
        [HitlEvent("agent_assigned", "1", "assigned:1:5", agent_name="Ana", occurred_at=now - 10)],
        [HitlEvent("agent_message", "1", f"reply:1:{reply_id}", "Ana", "Hi Bob", now - 10)],
        [HitlEvent("session_stopped", "1", "closed:1", occurred_at=now - 10)],
    ]


async def test_relayed_notes_and_private_notes_are_not_agent_messages(
    fake: FakeFreshdesk, freshdesk: FreshdeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await freshdesk.start_hitl(make_request())
    await freshdesk.send_to_agent(ticket_id, "relayed", User("u-1"))
    relayed = fake.note_webhook(ticket_id, fake.notes[1][-1]["id"])
    private = fake.reply(ticket_id, "internal only", private=True)

    assert freshdesk.verify_webhook(*fake.signed_webhook(relayed)) == []
    assert freshdesk.verify_webhook(*fake.signed_webhook(private)) == []


async def test_an_iso_timestamp_in_the_body_is_accepted(
    fake: FakeFreshdesk, freshdesk: FreshdeskProvider
) -> None:
    headers, body = fake.signed_webhook({"event": "closed", "ticket_id": 3}, timestamp="2023-11-14T22:13:20Z")
    [event] = freshdesk.verify_webhook(headers, body, now=1_700_000_100.0)
    assert event.occurred_at == 1_700_000_000.0


async def test_booleans_rendered_as_strings_by_a_rule_are_understood(
    fake: FakeFreshdesk, freshdesk: FreshdeskProvider
) -> None:
    reply = {"id": 9, "body": "internal", "private": "true", "incoming": "false"}
    payload = {"event": "reply", "ticket_id": 1, "reply": reply}
    assert freshdesk.verify_webhook(*fake.signed_webhook(payload)) == []


def test_a_reply_without_an_id_keeps_its_event_id_when_the_timestamp_changes() -> None:
    """The timestamp is not signed (the secret is a bearer token): re-sending a captured reply with a fresh
    timestamp must not make it a new message for the user."""
    from agentkit.hitl.providers._freshdesk import freshdesk_events

    body = {"event": "reply", "ticket_id": 12, "agent": {"name": "Ana"}, "reply": {"body": "Hello"}}
    [first] = freshdesk_events(body, 1_700_000_000.0)
    [again] = freshdesk_events(body, 1_700_000_123.0)
    assert first.event_id == again.event_id
    [other] = freshdesk_events({**body, "reply": {"body": "Hello again"}}, 1_700_000_000.0)
    assert other.event_id != first.event_id
