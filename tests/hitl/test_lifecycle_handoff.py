"""handToSupport and start_hitl: one ticket per escalation, what the ticket carries, what the model is told."""

from __future__ import annotations

import time
from typing import Any

import pytest

from agentkit import context, execute
from agentkit.exceptions import ConfigError, UserError
from agentkit.hitl._handoff import hand_to_support
from agentkit.hitl._memory import MemoryHitl
from agentkit.hitl._plugin import HitlPlugin
from agentkit.hitl._provider import ProviderError
from agentkit.models import ScriptedModel, call, calls
from agentkit.runtime import Agent, Conversation, ConversationInfo, HandlerContext, plugins
from agentkit.runtime._messages import load_model_history

from .lifecycle_helpers import BROKEN, CLOSED, DELAYED, FAST, HANDOFF, TIMED_OUT, USER, texts


def memory_agent(
    model: ScriptedModel, memory: MemoryHitl | None = None, *, store: str = "sqlite://:memory:", **config: Any
) -> Agent:
    plugin = HitlPlugin(memory or MemoryHitl(), **FAST, **config)
    return Agent("support", model, plugins={"desk-hitl": plugin}, store=store)


def memory_of(agent: Agent) -> MemoryHitl:
    provider = agent.plugins["desk-hitl"].provider
    assert isinstance(provider, MemoryHitl)
    return provider


async def test_the_ticket_carries_reason_priority_transcript_user_and_conversation(store_url: str) -> None:
    model = ScriptedModel(
        ["Which order?", call("handToSupport", reason="Charged twice for order 42", priority="urgent")]
    )
    async with memory_agent(model, store=store_url) as agent:
        await agent.receive("c1", "I was charged twice", user=USER)
        await agent.receive("c1", "Order 42. I want a person now.")
        request = memory_of(agent).only_session().request
    assert (request.title, request.priority, request.conversation_id) == ("Charged twice for order 42", "urgent", "c1")
    assert (request.user.id, request.user.name, request.user.email) == ("u1", "Jo Doe", "jo@example.com")
    assert [(line.role, line.text) for line in request.transcript] == [
        ("user", "I was charged twice"),
        ("bot", "Which order?"),
        ("user", "Order 42. I want a person now."),
    ]
    assert request.description.splitlines()[:2] == [
        "Reason for the handoff: Charged twice for order 42",
        "Priority: urgent",
    ]
    assert '"Order 42. I want a person now."' in request.description
    assert request.idempotency_key == "c1:1"


async def test_two_handoffs_in_one_reply_open_one_ticket_and_the_second_is_told_already_escalated(
    store_url: str,
) -> None:
    both = calls(("handToSupport", {"reason": "Wants a person"}), ("handToSupport", {"reason": "Angry"}))
    model = ScriptedModel([both, "unused"])
    async with memory_agent(model, store=store_url) as agent:
        replies = await agent.receive("c1", "PERSON. NOW.", user=USER)
        memory = memory_of(agent)
        assert len(memory.sessions) == 1 and len(memory.start_calls) == 1
        stored = await agent.store.run(lambda c: load_model_history(c, "c1"))
    assert texts(replies) == [("system", HANDOFF)]
    outputs = sorted(m["content"].split(":")[0] for m in stored if m["role"] == "tool")
    assert outputs == ["already escalated", "escalated"]
    assert model.remaining == 1  # the turn ended after the handoff: no text from the model


async def test_start_hitl_twice_during_a_session_opens_nothing_new(store_url: str) -> None:
    statuses: list[str] = []

    async def handler(ctx: HandlerContext) -> None:
        for _ in range(2):
            started = await plugins["desk-hitl"].actions.start_hitl(
                conversation_id=ctx.conversation.id, title="Needs a person"
            )
            statuses.append(started.status)

    memory = MemoryHitl()
    agent = Agent(
        "support",
        ScriptedModel([]),
        plugins={"desk-hitl": HitlPlugin(memory)},
        conversation=Conversation(handler=handler),
        store=store_url,
    )
    async with agent:
        await agent.receive("c1", "help", user=USER)
    assert statuses == ["opened", "already_escalated"]
    assert len(memory.sessions) == 1 and len(memory.start_calls) == 1


async def test_the_tool_tells_the_model_already_escalated(store_url: str) -> None:
    tool = hand_to_support()
    first = ScriptedModel([call("handToSupport", reason="Wants a person")])
    async with memory_agent(first, store=store_url) as agent:
        await agent.receive("c1", "Get me a human", user=USER)
        # A second run of the tool while the session is open, as a handler could do it:
        second = ScriptedModel([call("handToSupport", reason="Again")])
        with context.scope(agent=agent, conversation=ConversationInfo("c1")):
            result = await execute("sys", [tool], [{"role": "user", "content": "hello?"}], second)
        assert result.tool_calls[0].output.startswith("already escalated")
        assert len(memory_of(agent).sessions) == 1


async def test_each_escalation_gets_its_own_key_and_ticket(store_url: str) -> None:
    model = ScriptedModel([call("handToSupport", reason="First"), call("handToSupport", reason="Second")])
    async with memory_agent(model, store=store_url) as agent:
        await agent.receive("c1", "person please", user=USER)
        assert texts(await agent.receive("c1", "/end")) == [("system", CLOSED)]
        await agent.receive("c1", "person again please")
        memory = memory_of(agent)
    assert [s.request.idempotency_key for s in memory.sessions.values()] == ["c1:1", "c1:2"]
    assert [s.request.title for s in memory.sessions.values()] == ["First", "Second"]


async def test_a_refused_escalation_goes_back_to_the_model_which_tells_the_user(store_url: str) -> None:
    memory = MemoryHitl()
    memory.fail_next(ProviderError("memory: 401 bad credentials", retryable=False, provider="memory"))
    model = ScriptedModel([call("handToSupport", reason="Wants a person"), "Sorry, I can't reach our team right now."])
    async with memory_agent(model, memory, store=store_url) as agent:
        replies = await agent.receive("c1", "Get me a human", user=USER)
        assert await agent.plugins["desk-hitl"].state("c1") == "ended"
    assert texts(replies) == [("bot", "Sorry, I can't reach our team right now.")]
    tool_message = model.requests[1].messages[-1]
    assert tool_message["role"] == "tool" and "the handoff failed" in tool_message["content"]
    assert "401 bad credentials" in tool_message["content"]


async def test_a_refused_relay_ends_the_session_and_the_bot_answers_the_message(store_url: str) -> None:
    memory = MemoryHitl()
    model = ScriptedModel([call("handToSupport", reason="Wants a person"), "I'm here, how can I help?"])
    async with memory_agent(model, memory, store=store_url) as agent:
        await agent.receive("c1", "Get me a human", user=USER)
        memory.fail_next(ProviderError("memory: ticket deleted", retryable=False, provider="memory"))
        replies = await agent.receive("c1", "Hello?")
        session = await agent.plugins["desk-hitl"].session("c1")
    assert texts(replies) == [("system", BROKEN), ("bot", "I'm here, how can I help?")]
    assert session is not None and session.end_reason == "error"


async def test_overrides_change_this_sessions_texts_and_none_sends_nothing(store_url: str) -> None:
    async def handler(ctx: HandlerContext) -> None:
        await plugins["desk-hitl"].actions.start_hitl(
            ctx.conversation.id, "VIP", configuration_overrides={
                "onHitlHandoffMessage": "A VIP agent is coming.", "userHitlCloseCommand": "/bye",
                "user_hitl_closed_message": None, "group_id": 77,
            },
        )  # fmt: skip

    memory = MemoryHitl()
    agent = Agent(
        "support",
        ScriptedModel([]),
        plugins={"desk-hitl": HitlPlugin(memory)},
        conversation=Conversation(handler=handler),
        store=store_url,
    )
    async with agent:
        assert texts(await agent.receive("c1", "hi", user=USER)) == [("system", "A VIP agent is coming.")]
        assert await agent.receive("c1", "/end") == []  # not this session's command: relayed
        assert await agent.receive("c1", "/BYE") == []  # closes, and its message is None
        assert await agent.plugins["desk-hitl"].state("c1") == "ended"
    session = memory.only_session()
    assert session.user_messages == ["/end"] and session.stopped_reason is not None
    assert dict(session.request.configuration_overrides) == {"group_id": 77}


async def test_stop_hitl_from_the_bot_ends_the_session(store_url: str) -> None:
    model = ScriptedModel([call("handToSupport", reason="Wants a person")])
    async with memory_agent(model, store=store_url) as agent:
        await agent.receive("c1", "Get me a human", user=USER)
        assert await agent.plugins["desk-hitl"].actions.stop_hitl("c1", reason="office closed") is True
        assert await agent.plugins["desk-hitl"].actions.stop_hitl("c1") is False
        assert memory_of(agent).only_session().stopped_reason == "office closed"
        session = await agent.plugins["desk-hitl"].session("c1")
    assert session is not None and session.end_reason == "stopped"


async def test_start_hitl_checks_its_arguments() -> None:
    async with memory_agent(ScriptedModel([])) as agent:
        actions = agent.plugins["desk-hitl"].actions
        with pytest.raises(UserError, match="priority must be one of low, medium, high, urgent"):
            await actions.start_hitl("c1", "x", priority="critical")
        with pytest.raises(UserError, match="needs a title"):
            await actions.start_hitl("c1", "  ")


async def test_the_tool_outside_an_agent_says_where_it_runs() -> None:
    with pytest.raises(ConfigError, match="runs inside an Agent"):  # the developer's mistake: not for the model
        await execute(
            "sys",
            [hand_to_support()],
            [{"role": "user", "content": "hi"}],
            ScriptedModel([call("handToSupport", reason="x"), "ok"]),
        )
    with pytest.raises(ConfigError):
        Agent(
            "bot",
            ScriptedModel([]),
            plugins={"desk-hitl": HitlPlugin(MemoryHitl())},
            tools=[hand_to_support("zendesk")],
        )


async def test_after_the_end_agent_messages_are_dropped(store_url: str) -> None:
    model = ScriptedModel([call("handToSupport", reason="Wants a person")])
    async with memory_agent(model, store=store_url) as agent:
        await agent.receive("c1", "Get me a human", user=USER)
        session_id = memory_of(agent).only_session().id
        await memory_of(agent).assign(session_id, "Ana")
        await agent.receive("c1", "/end")
        before = await agent.history("c1")
        late = await memory_of(agent).reply(session_id, "Are you still there?")
        assert await agent.plugins["desk-hitl"].handle_event(late) == "duplicate"  # pushed already, then ignored
        assert await agent.history("c1") == before


async def test_an_assigned_session_does_not_time_out(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    model = ScriptedModel([call("handToSupport", reason="Wants a person")])
    # A timeout the test cannot race on a loaded machine; the check then runs with the clock past it.
    async with memory_agent(model, agent_assigned_timeout_seconds=600, store=store_url) as agent:
        await agent.receive("c1", "Get me a human", user=USER)
        await memory_of(agent).assign(memory_of(agent).only_session().id, "Ana")
        later = time.time() + 601
        monkeypatch.setattr(time, "time", lambda: later)
        assert await agent.plugins["desk-hitl"].check_timeouts() == 0
        monkeypatch.undo()
        assert await agent.plugins["desk-hitl"].state("c1") == "assigned"


async def test_a_message_ends_its_own_overdue_session_and_relays_in_an_assigned_one(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session ``intercept`` gets from the message's transaction is checked against its timeout there (no scan
    of every session on each message): pending past it, the message ends it and the bot answers; assigned, it goes
    to the person however late it is."""
    handoff = call("handToSupport", reason="Wants a person")
    model = ScriptedModel([handoff, handoff, "Back with you."])
    later = time.time() + 601
    async with memory_agent(model, agent_assigned_timeout_seconds=600, store=store_url) as agent:
        await agent.receive("c1", "Get me a human", user=USER)
        await agent.receive("c2", "Get me a human too", user=USER)  # another conversation's, overdue too
        c2 = await agent.plugins["desk-hitl"].session("c2")
        await memory_of(agent).assign(c2.session_id, "Ana")
        monkeypatch.setattr(time, "time", lambda: later)
        assert texts(await agent.receive("c1", "Anyone?")) == [("system", TIMED_OUT), ("bot", "Back with you.")]
        assert await agent.receive("c2", "Still there?") == []
        monkeypatch.undo()
        assert [await agent.plugins["desk-hitl"].state(c) for c in ("c1", "c2")] == ["ended", "assigned"]
    assert memory_of(agent).sessions[c2.session_id].user_messages == ["Still there?"]


async def test_start_and_aclose_by_hand() -> None:
    agent = memory_agent(ScriptedModel([]))
    agent.start()
    assert len(agent.plugins["desk-hitl"]._tasks) == 3  # outbox, timeouts, pushed events
    await agent.aclose()
    assert agent.plugins["desk-hitl"]._tasks == set() and memory_of(agent).closed


def test_start_outside_an_event_loop_says_how() -> None:
    with pytest.raises(RuntimeError, match="needs a running event loop"):
        memory_agent(ScriptedModel([])).start()


async def test_closing_an_escalation_that_never_reached_the_helpdesk_opens_no_ticket(store_url: str) -> None:
    memory = MemoryHitl()
    down = [ProviderError("memory: 503", retryable=True, provider="memory", status=503) for _ in range(2)]
    memory.fail_next(*down)
    model = ScriptedModel([call("handToSupport", reason="Wants a person"), "OK, how else can I help?"])
    # The background pass waits longer than the test takes to send /end (a short one raced it under load).
    async with memory_agent(model, memory, retry_attempts=2, redeliver_interval=30, store=store_url) as agent:
        assert texts(await agent.receive("c1", "Get me a human", user=USER)) == [("system", DELAYED)]
        assert texts(await agent.receive("c1", "/end")) == [("system", CLOSED)]
        assert await agent.plugins["desk-hitl"].redeliver() == 0  # a queued row, if one were left, would go now
        assert texts(await agent.receive("c1", "never mind")) == [("bot", "OK, how else can I help?")]
    assert memory.sessions == {} and len(memory.start_calls) == 2  # the two failed tries, nothing after
