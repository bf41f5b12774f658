from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from agentkit.desk import LocalDesk
from agentkit.handoff import TranscriptLine, User
from agentkit.hitl import EscalationRequest, HitlEvent, LocalDeskProvider, ProviderError

MakeRequest = Callable[..., EscalationRequest]


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[LocalDesk]:
    async with LocalDesk(tmp_path / "desk.db") as opened:
        yield opened


@pytest.fixture
def provider(desk: LocalDesk) -> LocalDeskProvider:
    return LocalDeskProvider(desk)


async def test_start_opens_one_ticket_with_everything_the_agent_needs(
    desk: LocalDesk, provider: LocalDeskProvider, make_request: MakeRequest
) -> None:
    session_id = await provider.start_hitl(make_request())
    assert await provider.start_hitl(make_request()) == session_id  # a retried start

    ticket = await desk.ticket(session_id)
    assert (ticket.title, ticket.priority, ticket.status) == ("Refund for order 42", "high", "open")
    assert ticket.description == "The user was charged twice & wants a refund."
    assert (ticket.conversation_id, ticket.idempotency_key) == ("conv-1", "esc-1")
    assert ticket.user == User("u-1", "Bob Stone", "bob@example.com")
    assert ticket.transcript[0] == TranscriptLine("user", "I was charged twice <again>", 1_700_000_000.0)
    assert len(await desk.tickets()) == 1


async def test_relay_and_stop(
    desk: LocalDesk, provider: LocalDeskProvider, make_request: MakeRequest
) -> None:
    session_id = await provider.start_hitl(make_request())
    await provider.send_to_agent(session_id, "Are you there?", User("u-1", "Bob Stone"))
    await provider.stop_hitl(session_id, "the user typed /end")
    await provider.stop_hitl(session_id, "retried by the outbox")  # closing twice is fine

    ticket = await desk.ticket(session_id)
    assert (ticket.status, ticket.closed_reason) == ("closed", "the user typed /end")
    assert ("user", "Bob Stone", "Are you there?") in [
        (m.author, m.author_name, m.text) for m in ticket.messages
    ]
    received: list[HitlEvent] = []

    async def on_event(event: HitlEvent) -> None:
        received.append(event)

    provider.subscribe(on_event, after=0)
    await desk.deliver_pending()
    assert received == []  # the bot's own doings (ticket, message, close) are not echoed back to it
    kinds = [e.kind for e in await desk.events_since(0)]
    assert kinds == ["ticket_created", "user_message", "ticket_closed"]  # they are in the log, for the inbox


async def test_relay_to_a_closed_or_unknown_session_is_final(
    desk: LocalDesk, provider: LocalDeskProvider, make_request: MakeRequest
) -> None:
    session_id = await provider.start_hitl(make_request())
    await desk.close(session_id)
    for session in (session_id, "404"):
        with pytest.raises(ProviderError) as caught:
            await provider.send_to_agent(session, "hello?", User("u-1"))
        assert caught.value.retryable is False


async def test_agent_actions_arrive_as_hitl_events(
    desk: LocalDesk, provider: LocalDeskProvider, make_request: MakeRequest
) -> None:
    received: list[HitlEvent] = []

    async def on_event(event: HitlEvent) -> None:
        received.append(event)

    provider.subscribe(on_event)
    session_id = await provider.start_hitl(make_request())
    await desk.assign(session_id, "Ana")
    await desk.reply(session_id, "Hi Bob")
    await desk.close(session_id, reason="refund issued")

    assert [(e.kind, e.session_id, e.event_id, e.agent_name, e.text) for e in received] == [
        ("agent_assigned", session_id, "2", "Ana", None),  # event 1: the ticket opened (not the agent's doing)
        ("agent_message", session_id, "3", "Ana", "Hi Bob"),
        ("session_stopped", session_id, "4", "Ana", "refund issued"),
    ]
    assert all(e.occurred_at is not None for e in received)


async def test_a_provider_given_a_path_owns_and_closes_its_desk(
    tmp_path: Path, make_request: MakeRequest
) -> None:
    provider = LocalDeskProvider(tmp_path / "own.db")
    session_id = await provider.start_hitl(make_request())
    await provider.aclose()
    async with LocalDesk(tmp_path / "own.db") as reopened:
        assert (await reopened.ticket(session_id)).status == "open"
