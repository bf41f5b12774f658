from collections.abc import AsyncIterator, Callable

import pytest

from agentkit.handoff import User
from agentkit.hitl import EscalationRequest, HitlEvent, IntercomProvider, ProviderError
from agentkit.hitl.providers import html_to_text
from agentkit.testing import FakeIntercom

MakeRequest = Callable[..., EscalationRequest]


@pytest.fixture
async def fake() -> AsyncIterator[FakeIntercom]:
    async with FakeIntercom() as server:
        yield server


@pytest.fixture
async def intercom(fake: FakeIntercom) -> AsyncIterator[IntercomProvider]:
    provider = IntercomProvider("ic-token", "ic-secret", admin_id="814860", base_url=fake.url)
    yield provider
    await provider.aclose()


async def test_start_finds_or_creates_the_contact_then_opens_a_conversation(
    fake: FakeIntercom, intercom: IntercomProvider, make_request: MakeRequest
) -> None:
    conversation_id = await intercom.start_hitl(make_request())

    search, create_contact, create_conversation = fake.requests
    for request in fake.requests:
        assert request.headers["authorization"] == "Bearer ic-token"
        assert request.headers["intercom-version"] == "2.11"
    assert (search.method, search.path) == ("POST", "/contacts/search")
    assert search.json() == {"query": {"field": "external_id", "operator": "=", "value": "u-1"}}
    assert (create_contact.path, create_contact.json()) == (
        "/contacts",
        {"role": "user", "external_id": "u-1", "email": "bob@example.com", "name": "Bob Stone"},
    )
    contact_id = next(iter(fake.contacts))
    body = create_conversation.json()
    assert create_conversation.path == "/conversations"
    assert body["from"] == {"type": "user", "id": contact_id}
    assert body["body"].startswith("Refund for order 42 (priority: high)\n\nThe user was charged twice")
    assert body["body"].endswith("\n\nEscalation esc-1")
    assert conversation_id in fake.conversations


async def test_a_known_contact_is_reused(
    fake: FakeIntercom, intercom: IntercomProvider, make_request: MakeRequest
) -> None:
    await intercom.start_hitl(make_request())
    await intercom.start_hitl(make_request(idempotency_key="esc-2"))
    assert [r.path for r in fake.requests[3:]] == ["/contacts/search", "/conversations"]
    assert len(fake.contacts) == 1 and len(fake.conversations) == 2


async def test_relay_is_a_reply_by_the_user(
    fake: FakeIntercom, intercom: IntercomProvider, make_request: MakeRequest
) -> None:
    conversation_id = await intercom.start_hitl(make_request())
    await intercom.send_to_agent(conversation_id, "Any news?", User("u-1", "Bob Stone"))

    request = fake.requests[-1]
    assert (request.method, request.path) == ("POST", f"/conversations/{conversation_id}/reply")
    assert request.json() == {
        "message_type": "comment",
        "type": "user",
        "user_id": "u-1",
        "body": "Any news?",
    }
    assert fake.conversations[conversation_id]["parts"][-1]["body"] == "Any news?"


async def test_stop_closes_the_conversation_as_the_admin(
    fake: FakeIntercom, intercom: IntercomProvider, make_request: MakeRequest
) -> None:
    conversation_id = await intercom.start_hitl(make_request())
    await intercom.stop_hitl(conversation_id, "Handed back to the bot")

    request = fake.requests[-1]
    assert (request.method, request.path) == ("POST", f"/conversations/{conversation_id}/parts")
    assert request.json() == {
        "message_type": "close",
        "type": "admin",
        "admin_id": "814860",
        "body": "Handed back to the bot",
    }
    assert fake.conversations[conversation_id]["state"] == "closed"


async def test_an_unknown_admin_is_a_non_retryable_error(
    fake: FakeIntercom, make_request: MakeRequest
) -> None:
    provider = IntercomProvider("ic-token", "ic-secret", admin_id="nobody", base_url=fake.url)
    try:
        conversation_id = await provider.start_hitl(make_request())
        with pytest.raises(ProviderError) as caught:
            await provider.stop_hitl(conversation_id, "bye")
    finally:
        await provider.aclose()
    assert caught.value.retryable is False and caught.value.status == 400
    assert "known admin_id" in str(caught.value)


async def test_webhooks_for_assignment_reply_and_close(
    fake: FakeIntercom, intercom: IntercomProvider, make_request: MakeRequest
) -> None:
    conversation_id = await intercom.start_hitl(make_request())
    now = 1_700_000_000.0

    assigned = fake.assign(conversation_id, "Ana")
    replied = fake.reply(conversation_id, "<p>Hi Bob,</p><p>I&#39;m Ana &amp; I can help.</p>", "Ana")
    closed = fake.close(conversation_id)
    events = [
        intercom.verify_webhook(*fake.signed_webhook(n, timestamp=now), now=now) for n in (assigned, replied)
    ]
    events.append(intercom.verify_webhook(*fake.signed_webhook(closed, timestamp=now - 300), now=now))

    part_id = replied["data"]["item"]["conversation_parts"]["conversation_parts"][0]["id"]
    part_at = replied["data"]["item"]["conversation_parts"]["conversation_parts"][0]["created_at"]
    assert events == [
        [HitlEvent("agent_assigned", conversation_id, assigned["id"], agent_name="Ana", occurred_at=now)],
        [
            HitlEvent(
                "agent_message",
                conversation_id,
                f"part:{part_id}",
                "Ana",
                "Hi Bob,\nI'm Ana & I can help.",
                part_at,
            )
        ],
        [HitlEvent("session_stopped", conversation_id, closed["id"], occurred_at=now - 300)],
    ]


async def test_user_replies_and_other_topics_are_not_agent_events(
    fake: FakeIntercom, intercom: IntercomProvider, make_request: MakeRequest
) -> None:
    conversation_id = await intercom.start_hitl(make_request())
    replied = fake.reply(conversation_id, "hi")
    replied["data"]["item"]["conversation_parts"]["conversation_parts"][0]["author"]["type"] = "user"
    assert intercom.verify_webhook(*fake.signed_webhook(replied)) == []
    ping = {"type": "notification_event", "topic": "ping", "id": "notif_x", "created_at": 0, "data": {}}
    assert intercom.verify_webhook(*fake.signed_webhook(ping, timestamp=1.0), now=1.0) == []


def test_html_to_text_keeps_paragraphs_and_breaks() -> None:
    assert html_to_text("<p>one<br/>two</p><p>three &lt;3</p>") == "one\ntwo\nthree <3"
