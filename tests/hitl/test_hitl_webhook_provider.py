from collections.abc import AsyncIterator, Callable

import pytest

from agentkit.handoff import User
from agentkit.hitl import EscalationRequest, HitlEvent, ProviderError, WebhookProvider, WebhookRejected
from agentkit.hitl._signatures import sign_agentkit
from agentkit.testing import FakeWebhookReceiver

MakeRequest = Callable[..., EscalationRequest]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWebhookReceiver]:
    async with FakeWebhookReceiver() as server:
        yield server


@pytest.fixture
async def webhook(fake: FakeWebhookReceiver) -> AsyncIterator[WebhookProvider]:
    provider = WebhookProvider(fake.url + "/hooks/agentkit", "wh-secret")
    yield provider
    await provider.aclose()


async def test_start_posts_a_signed_hitl_started_event(
    fake: FakeWebhookReceiver, webhook: WebhookProvider, make_request: MakeRequest
) -> None:
    session_id = await webhook.start_hitl(make_request(configuration_overrides={"queue": "billing"}))

    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/hooks/agentkit")
    stamp = request.headers["x-agentkit-timestamp"]
    assert request.headers["x-agentkit-signature"] == sign_agentkit("wh-secret", stamp, request.body)
    assert request.headers["idempotency-key"] == "esc-1"
    envelope = request.json()
    assert envelope["type"] == "hitl.started" and envelope["id"].startswith("evt_")
    assert envelope["data"] == {
        "conversation_id": "conv-1",
        "title": "Refund for order 42",
        "description": "The user was charged twice & wants a refund.",
        "priority": "high",
        "user": {"id": "u-1", "name": "Bob Stone", "email": "bob@example.com"},
        "transcript": [
            {"role": "user", "text": "I was charged twice <again>", "at": 1_700_000_000.0},
            {"role": "bot", "text": "Let me get a person for you.", "at": 1_700_000_005.0},
        ],
        "idempotency_key": "esc-1",
        "configuration_overrides": {"queue": "billing"},
    }
    assert session_id == "ws_1"


async def test_a_retried_start_gets_the_same_session(
    fake: FakeWebhookReceiver, webhook: WebhookProvider, make_request: MakeRequest
) -> None:
    assert await webhook.start_hitl(make_request()) == await webhook.start_hitl(make_request()) == "ws_1"
    assert await webhook.start_hitl(make_request(idempotency_key="esc-2")) == "ws_2"


async def test_without_a_session_id_in_the_answer_the_key_names_the_session(
    make_request: MakeRequest,
) -> None:
    from agentkit.testing import LoopbackServer, Response

    async with LoopbackServer(lambda request: Response(204)) as server:
        provider = WebhookProvider(server.url, "wh-secret")
        try:
            assert await provider.start_hitl(make_request()) == "esc-1"
        finally:
            await provider.aclose()


async def test_relay_and_stop_post_signed_events(fake: FakeWebhookReceiver, webhook: WebhookProvider) -> None:
    await webhook.send_to_agent("ws_1", "Any news?", User("u-1", "Bob Stone"))
    await webhook.stop_hitl("ws_1", "user typed /end")

    user_message, stopped = (r.json() for r in fake.requests)
    assert user_message["type"] == "hitl.user_message"
    assert user_message["data"] == {
        "session_id": "ws_1",
        "text": "Any news?",
        "user": {"id": "u-1", "name": "Bob Stone", "email": None},
    }
    assert (stopped["type"], stopped["data"]) == (
        "hitl.stopped",
        {"session_id": "ws_1", "reason": "user typed /end"},
    )
    assert all("idempotency-key" not in r.headers for r in fake.requests)


async def test_a_receiver_with_another_secret_refuses_with_401(
    fake: FakeWebhookReceiver, make_request: MakeRequest
) -> None:
    provider = WebhookProvider(fake.url, "not-the-secret")
    try:
        with pytest.raises(ProviderError) as caught:
            await provider.start_hitl(make_request())
    finally:
        await provider.aclose()
    assert caught.value.retryable is False and caught.value.status == 401


async def test_callbacks_become_events(fake: FakeWebhookReceiver, webhook: WebhookProvider) -> None:
    now = 1_700_000_000
    single = webhook.verify_webhook(*fake.signed_webhook(fake.assign("ws_1", "Ana"), timestamp=now), now=now)
    batch = {"events": [fake.message("ws_1", "Hello Bob"), fake.close("ws_1")]}
    both = webhook.verify_webhook(*fake.signed_webhook(batch, timestamp=now), now=now + 1)

    assert single == [HitlEvent("agent_assigned", "ws_1", "cb_1", agent_name="Ana", occurred_at=now)]
    assert both == [
        HitlEvent("agent_message", "ws_1", "cb_2", "Ana", "Hello Bob", now),
        HitlEvent("session_stopped", "ws_1", "cb_3", occurred_at=now),
    ]


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"id": "1", "type": "agent_joined", "session_id": "s"}, "type"),
        ({"id": "1", "type": "agent_message", "session_id": "s"}, "text"),
        ({"type": "session_stopped", "session_id": "s"}, "id"),
        ({"id": "1", "type": "session_stopped"}, "session_id"),
    ],
)
async def test_a_signed_but_invalid_event_is_a_400_naming_the_field(
    fake: FakeWebhookReceiver, webhook: WebhookProvider, event: dict[str, str], field: str
) -> None:
    with pytest.raises(WebhookRejected) as caught:
        webhook.verify_webhook(*fake.signed_webhook(event))
    assert caught.value.status == 400 and field in caught.value.reason
