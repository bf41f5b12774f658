import base64
from collections.abc import AsyncIterator, Callable

import httpx2
import pytest

from agentkit.handoff import User
from agentkit.hitl import EscalationRequest, HitlEvent, ProviderError, ZendeskProvider
from agentkit.testing import FakeZendesk

BASIC = "Basic " + base64.b64encode(b"bot@example.com/token:zd-token").decode()
TICKET_TEXT = (
    "The user was charged twice & wants a refund.\n"
    "\n"
    "User: Bob Stone <bob@example.com> (id u-1)\n"
    "\n"
    "--- Conversation so far ---\n"
    "[2023-11-14 22:13:20 UTC] User: I was charged twice <again>\n"
    "[2023-11-14 22:13:25 UTC] Bot: Let me get a person for you."
)

MakeRequest = Callable[..., EscalationRequest]


@pytest.fixture
async def fake() -> AsyncIterator[FakeZendesk]:
    async with FakeZendesk() as server:
        yield server


@pytest.fixture
async def zendesk(fake: FakeZendesk) -> AsyncIterator[ZendeskProvider]:
    provider = ZendeskProvider(fake.url, "bot@example.com", "zd-token", "zd-secret")
    yield provider
    await provider.aclose()


async def test_start_creates_one_ticket_with_the_exact_request(
    fake: FakeZendesk, zendesk: ZendeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await zendesk.start_hitl(make_request())

    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/api/v2/tickets.json")
    assert request.headers["authorization"] == BASIC
    assert request.headers["idempotency-key"] == "esc-1"
    assert request.json() == {
        "ticket": {
            "subject": "Refund for order 42",
            "comment": {"body": TICKET_TEXT},
            "requester": {"name": "Bob Stone", "email": "bob@example.com"},
            "priority": "high",
            "tags": ["agentkit", "hitl"],
            "external_id": "conv-1",
        }
    }
    assert ticket_id == "101" and fake.tickets[101]["subject"] == "Refund for order 42"


@pytest.mark.parametrize(
    ("ours", "theirs"), [("low", "low"), ("medium", "normal"), ("high", "high"), ("urgent", "urgent")]
)
async def test_priorities_map_to_zendesk_names(
    fake: FakeZendesk, zendesk: ZendeskProvider, ours: str, theirs: str, make_request: MakeRequest
) -> None:
    await zendesk.start_hitl(make_request(priority=ours))
    assert fake.requests[0].json()["ticket"]["priority"] == theirs


async def test_configuration_overrides_are_merged_into_the_ticket(
    fake: FakeZendesk, zendesk: ZendeskProvider, make_request: MakeRequest
) -> None:
    await zendesk.start_hitl(make_request(configuration_overrides={"group_id": 55, "tags": ["vip"]}))
    ticket = fake.requests[0].json()["ticket"]
    assert ticket["group_id"] == 55 and ticket["tags"] == ["vip"]


async def test_a_requester_without_email_is_named_by_id(
    fake: FakeZendesk, zendesk: ZendeskProvider, make_request: MakeRequest
) -> None:
    await zendesk.start_hitl(make_request(user=User("u-9")))
    assert fake.requests[0].json()["ticket"]["requester"] == {"name": "u-9"}


async def test_same_idempotency_key_twice_gives_one_ticket(
    fake: FakeZendesk, zendesk: ZendeskProvider, make_request: MakeRequest
) -> None:
    first = await zendesk.start_hitl(make_request())
    second = await zendesk.start_hitl(make_request())

    assert first == second == "101"
    assert list(fake.tickets) == [101]
    assert [r.headers["idempotency-key"] for r in fake.requests] == ["esc-1", "esc-1"]


async def test_fake_zendesk_answers_a_repeated_key_with_the_first_ticket(fake: FakeZendesk) -> None:
    body = {"ticket": {"subject": "s", "comment": {"body": "b"}}}
    async with httpx2.AsyncClient(base_url=fake.url, headers={"Authorization": BASIC}) as client:
        answers = [
            await client.post("/api/v2/tickets.json", json=body, headers={"Idempotency-Key": "k"})
            for _ in range(2)
        ]
        other = await client.post("/api/v2/tickets.json", json=body, headers={"Idempotency-Key": "k2"})

    assert [a.json()["ticket"]["id"] for a in answers] == [101, 101]
    assert [a.headers["x-idempotency-lookup"] for a in answers] == ["miss", "hit"]
    assert other.json()["ticket"]["id"] == 103  # 102 is the first ticket's first comment
    assert len(fake.tickets) == 2


async def test_relay_is_a_public_comment_by_the_requester(
    fake: FakeZendesk, zendesk: ZendeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await zendesk.start_hitl(make_request())
    await zendesk.send_to_agent(ticket_id, "Are you still there?", User("u-1"))

    request = fake.requests[-1]
    assert (request.method, request.path) == ("PUT", f"/api/v2/tickets/{ticket_id}.json")
    assert request.headers["authorization"] == BASIC
    requester_id = fake.tickets[101]["requester_id"]
    assert request.json() == {
        "ticket": {"comment": {"body": "Are you still there?", "public": True, "author_id": requester_id}}
    }


async def test_relay_after_a_restart_looks_the_requester_up(
    fake: FakeZendesk, zendesk: ZendeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await zendesk.start_hitl(make_request())
    restarted = ZendeskProvider(fake.url, "bot@example.com", "zd-token", "zd-secret")
    try:
        await restarted.send_to_agent(ticket_id, "hello?", User("u-1"))
    finally:
        await restarted.aclose()

    get, put = fake.requests[-2:]
    assert (get.method, get.path, put.method) == ("GET", f"/api/v2/tickets/{ticket_id}.json", "PUT")
    assert put.json()["ticket"]["comment"]["author_id"] == fake.tickets[101]["requester_id"]


async def test_stop_solves_the_ticket_with_a_private_note(
    fake: FakeZendesk, zendesk: ZendeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await zendesk.start_hitl(make_request())
    await zendesk.stop_hitl(ticket_id, "the user typed /end")

    request = fake.requests[-1]
    assert (request.method, request.path) == ("PUT", f"/api/v2/tickets/{ticket_id}.json")
    assert request.json() == {
        "ticket": {
            "status": "solved",
            "comment": {"body": "Conversation handed back to the bot: the user typed /end", "public": False},
        }
    }
    assert fake.tickets[101]["status"] == "solved"


async def test_a_session_id_that_is_not_a_ticket_number_is_refused(zendesk: ZendeskProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        await zendesk.send_to_agent("../users/1", "x", User("u-1"))
    assert caught.value.retryable is False


async def test_wrong_token_is_a_non_retryable_error_with_zendesks_answer(
    fake: FakeZendesk, make_request: MakeRequest
) -> None:
    provider = ZendeskProvider(fake.url, "bot@example.com", "wrong", "zd-secret")
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.start_hitl(make_request())
    finally:
        await provider.aclose()
    assert caught.value.retryable is False and caught.value.status == 401
    assert "Couldn't authenticate you" in str(caught.value)


async def test_webhooks_for_assignment_agent_comment_and_solve(
    fake: FakeZendesk, zendesk: ZendeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await zendesk.start_hitl(make_request())
    now = 1_700_000_000.0
    stamp = "2023-11-14T22:13:20Z"

    events = [
        zendesk.verify_webhook(*fake.signed_webhook(payload, timestamp=stamp), now=now)
        for payload in (
            fake.assign(ticket_id, "Ana"),
            fake.comment(ticket_id, "Hi Bob, I'm Ana.", "Ana"),
            fake.solve(ticket_id),
        )
    ]

    comment_id = fake.comments[101][-1]["id"]
    assert events == [
        [HitlEvent("agent_assigned", "101", "assigned:101:7", agent_name="Ana", occurred_at=now)],
        [HitlEvent("agent_message", "101", f"comment:{comment_id}", "Ana", "Hi Bob, I'm Ana.", now)],
        [HitlEvent("session_stopped", "101", "solved:101", occurred_at=now)],
    ]


async def test_comments_made_through_the_api_are_not_agent_messages(
    fake: FakeZendesk, zendesk: ZendeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await zendesk.start_hitl(make_request())
    await zendesk.send_to_agent(ticket_id, "my relayed message", User("u-1"))
    relayed = fake.comments[101][-1]
    assert relayed["via"] == "api"

    payload = fake.comment_webhook(ticket_id, relayed["id"])
    assert zendesk.verify_webhook(*fake.signed_webhook(payload)) == []
    # even when an agent's API integration wrote it: anything via the API is not a human reply
    payload["comment"]["author"]["role"] = "agent"
    assert zendesk.verify_webhook(*fake.signed_webhook(payload)) == []


async def test_internal_notes_never_reach_the_user(
    fake: FakeZendesk, zendesk: ZendeskProvider, make_request: MakeRequest
) -> None:
    ticket_id = await zendesk.start_hitl(make_request())
    payload = fake.comment(ticket_id, "note to self: refund approved", public=False)
    assert zendesk.verify_webhook(*fake.signed_webhook(payload)) == []


async def test_a_webhook_for_another_trigger_is_accepted_and_ignored(
    fake: FakeZendesk, zendesk: ZendeskProvider
) -> None:
    assert zendesk.verify_webhook(*fake.signed_webhook({"event": "priority_changed", "ticket_id": 1})) == []


async def test_booleans_rendered_as_strings_by_a_trigger_are_understood(
    fake: FakeZendesk, zendesk: ZendeskProvider
) -> None:
    comment = {"id": 5, "body": "private", "public": "false", "via": "web", "author": {"name": "Ana"}}
    assert (
        zendesk.verify_webhook(*fake.signed_webhook({"event": "comment", "ticket_id": 1, "comment": comment}))
        == []
    )
    comment["public"] = "true"
    [event] = zendesk.verify_webhook(
        *fake.signed_webhook({"event": "comment", "ticket_id": 1, "comment": comment})
    )
    assert (event.kind, event.text) == ("agent_message", "private")
