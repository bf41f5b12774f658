"""The whole handoff on the embedded desk, with a scripted model, on SQLite and on PostgreSQL: escalate, relay,
assign, reply, close by command; and the assignment timeout, also across a restart."""

from __future__ import annotations

import asyncio

from agentkit.desk import LocalDesk
from agentkit.models import ScriptedModel, call
from agentkit.testing import eventually

from .lifecycle_helpers import ASSIGNED, CLOSED, HANDOFF, TIMED_OUT, USER, desk_agent, next_messages, texts


async def test_a_person_takes_over_and_hands_back(store_url: str) -> None:
    model = ScriptedModel(
        [call("handToSupport", reason="Customer asks for a person", priority="high"), "Welcome back!"]
    )
    async with desk_agent(store_url, model) as agent:
        desk = agent.plugins["desk-hitl"].desk

        # The model escalates: one ticket, the handoff message, and no model text.
        replies = await agent.receive("c1", "I want to talk to a person", user=USER)
        assert texts(replies) == [("system", HANDOFF)]
        (ticket,) = await desk.tickets()
        assert (ticket.title, ticket.priority, ticket.conversation_id) == ("Customer asks for a person", "high", "c1")
        assert (ticket.user.name, ticket.user.email, ticket.user.id) == ("Jo Doe", "jo@example.com", "u1")
        assert [(t.role, t.text) for t in ticket.transcript] == [("user", "I want to talk to a person")]
        assert "Customer asks for a person" in ticket.description and "I want to talk to a person" in ticket.description
        assert ticket.idempotency_key == "c1:1"
        assert len(model.requests) == 1

        # While the session is pending the user's messages land on the ticket; the model is not called.
        assert await agent.receive("c1", "Hello? My parcel never came.") == []
        assert [m.text for m in (await desk.ticket(ticket.id)).messages] == ["Hello? My parcel never came."]
        assert len(model.requests) == 1

        # A person takes the ticket and writes: the user gets both.
        updates = agent.subscribe("c1")
        await desk.assign(ticket.id, "Ana")
        await desk.reply(ticket.id, "Hi Jo, Ana here. Let me check.")
        assert texts(await next_messages(updates, 2)) == [
            ("system", ASSIGNED),
            ("agent", "Hi Jo, Ana here. Let me check."),
        ]
        assert await agent.plugins["desk-hitl"].state("c1") == "assigned"

        # The user closes the session with the command, however it is typed.
        replies = await agent.receive("c1", " /END ")
        assert texts(replies) == [("system", CLOSED)]
        closed = await desk.ticket(ticket.id)
        assert closed.status == "closed" and closed.closed_reason is not None
        session = await agent.plugins["desk-hitl"].session("c1")
        assert session is not None and (session.state, session.end_reason) == ("ended", "user_closed")

        # The bot has the conversation again.
        replies = await agent.receive("c1", "Thanks. One more question.")
        assert texts(replies) == [("bot", "Welcome back!")]
        assert len(model.requests) == 2
        updates.close()
        history = await agent.history("c1")

    assert texts(history) == [
        ("user", "I want to talk to a person"),
        ("system", HANDOFF),
        ("user", "Hello? My parcel never came."),
        ("system", ASSIGNED),
        ("agent", "Hi Jo, Ana here. Let me check."),
        ("user", " /END "),
        ("system", CLOSED),
        ("user", "Thanks. One more question."),
        ("bot", "Welcome back!"),
    ]
    # The model, back in charge, knows what happened while it was away.
    notes = [m["content"] for m in model.requests[1].messages if m["role"] == "system"][1:]
    assert any("Ana" in note and "Let me check" in note for note in notes)
    assert any("ended the session" in note for note in notes)


async def test_nobody_takes_the_ticket_in_time(store_url: str) -> None:
    model = ScriptedModel([call("handToSupport", reason="Wants a person"), "I'm still here to help."])
    async with desk_agent(store_url, model, agent_assigned_timeout_seconds=1) as agent:
        updates = agent.subscribe("c1")
        assert texts(await agent.receive("c1", "Get me a human", user=USER)) == [("system", HANDOFF)]
        await next_messages(updates, 2)  # the user's message and the handoff notice
        # Nobody assigns: the background checker ends the session after a second and tells the user.
        assert texts(await next_messages(updates, 1, wait=5)) == [("system", TIMED_OUT)]
        session = await agent.plugins["desk-hitl"].session("c1")
        assert session is not None and session.end_reason == "timeout"
        desk = agent.plugins["desk-hitl"].desk
        # The human side is told too, through the outbox, just after the user (on PostgreSQL, the two run at once).
        await eventually(lambda: _only_ticket_is(desk, "closed"))
        assert texts(await agent.receive("c1", "OK then")) == [("bot", "I'm still here to help.")]
        updates.close()


async def test_the_timeout_holds_across_a_restart(store_url: str) -> None:
    async with desk_agent(
        store_url, ScriptedModel([call("handToSupport", reason="Wants a person")]), agent_assigned_timeout_seconds=1
    ) as first:
        await first.receive("c1", "Get me a human", user=USER)
    await asyncio.sleep(1.1)  # the process is down when the timeout passes

    # A new process, with the timeout not even configured: the session keeps its own settings. Its background
    # checker is not started here, so the incoming message is what finds the session overdue.
    model = ScriptedModel(["How can I help?"])
    second = desk_agent(store_url, model)
    try:
        replies = await second.receive("c1", "Hello?")
    finally:
        await second.aclose()
    assert texts(replies) == [("system", TIMED_OUT), ("bot", "How can I help?")]


async def test_after_a_restart_the_background_checker_ends_an_overdue_session(store_url: str) -> None:
    async with desk_agent(
        store_url, ScriptedModel([call("handToSupport", reason="Wants a person")]), agent_assigned_timeout_seconds=0.2
    ) as first:
        await first.receive("c1", "Get me a human", user=USER)
    await asyncio.sleep(0.3)
    second = desk_agent(store_url, ScriptedModel([]))
    updates = second.subscribe("c1")
    async with second:  # a generous wait: the background checker's first pass comes after the start
        assert texts(await next_messages(updates, 1, wait=30)) == [("system", TIMED_OUT)]


async def test_agent_messages_after_the_end_are_dropped_and_the_bot_answers(store_url: str) -> None:
    model = ScriptedModel([call("handToSupport", reason="Wants a person"), "Back with you."])
    async with desk_agent(store_url, model) as agent:
        await agent.receive("c1", "Get me a human", user=USER)
        desk = agent.plugins["desk-hitl"].desk
        (ticket,) = await desk.tickets()
        updates = agent.subscribe("c1")
        await desk.reply(ticket.id, "Hi, Ana here", agent_name="Ana")  # writes without taking it first
        await desk.close(ticket.id, reason="solved")
        got = await next_messages(updates, 3)
        assert texts(got) == [
            ("system", ASSIGNED),
            ("agent", "Hi, Ana here"),
            ("system", "The human agent closed the conversation. I will continue assisting you."),
        ]
        assert texts(await agent.receive("c1", "Thanks")) == [("bot", "Back with you.")]
        updates.close()


async def test_what_a_person_did_while_the_bot_was_down_reaches_the_user_after_a_restart(store_url: str) -> None:
    async with desk_agent(store_url, ScriptedModel([call("handToSupport", reason="Wants a person")])) as first:
        await first.receive("c1", "Get me a human", user=USER)
    # The bot is down; the desk (its web app, say) goes on.
    desk = LocalDesk(store_url)
    (ticket,) = await desk.tickets()
    await desk.assign(ticket.id, "Ana")
    await desk.reply(ticket.id, "Hi Jo, sorry for the wait.")
    await desk.aclose()

    second = desk_agent(store_url, ScriptedModel([]))
    updates = second.subscribe("c1")
    async with second:
        assert texts(await next_messages(updates, 2)) == [("system", ASSIGNED), ("agent", "Hi Jo, sorry for the wait.")]
    async with desk_agent(store_url, ScriptedModel([])) as third:  # applied once: a third start replays nothing
        await asyncio.sleep(0.2)
        assert len(await third.history("c1")) == 4


async def _only_ticket_is(desk: LocalDesk, status: str) -> bool:
    (ticket,) = await desk.tickets()
    return ticket.status == status
