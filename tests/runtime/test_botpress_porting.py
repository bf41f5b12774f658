"""A bot ported from the Botpress docs: camelCase names fail naming the agentkit spelling, a misspelt alias fails
before any conversation, bot code reacts to HITL events, and the texts say what happened."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from agentkit import Agent, Autonomous, Conversation, context, plugins
from agentkit.exceptions import ConfigError
from agentkit.hitl import DeskHitl, HitlPlugin, MemoryHitl, SessionEvent, hand_to_support
from agentkit.models import ScriptedModel, call
from agentkit.runtime import HandlerContext

USER = {"id": "u1", "name": "Jo Doe"}


class HandToSupportInput(BaseModel):
    reason: str = Field(description="Why the conversation needs a support agent")
    priority: Literal["low", "medium", "high", "urgent"] = "medium"


async def ported_escalate(args: HandToSupportInput) -> str:
    """As the Botpress docs write it: ``actions.startHitl({conversationId, title, priority})``."""
    conversation = context.get("conversation")
    await plugins["hitl"].actions.startHitl(conversationId=conversation.id, title=args.reason, priority=args.priority)
    return "escalated"


async def half_ported_escalate(args: HandToSupportInput) -> str:
    conversation = context.get("conversation")
    await plugins["hitl"].actions.start_hitl(conversationId=conversation.id, title=args.reason)
    return "escalated"


def handoff_tool(handler: object) -> Autonomous.Tool[HandToSupportInput]:
    return Autonomous.Tool(name="handToSupport", description="Transfer to a person.", input=HandToSupportInput,
                           handler=handler, ends_turn=True)  # type: ignore[arg-type]  # fmt: skip


def agent_with(tool: Autonomous.Tool[HandToSupportInput], memory: MemoryHitl, alias: str = "hitl") -> Agent:
    async def handler(ctx: HandlerContext) -> None:
        await ctx.execute(tools=[tool])

    model = ScriptedModel([call("handToSupport", reason="Wants a person", priority="high"), "unused"])
    return Agent("ported", model, plugins={alias: HitlPlugin(memory)}, conversation=Conversation(handler=handler))


@pytest.mark.parametrize(
    ("handler", "says"),
    [
        (ported_escalate, "actions.startHitl: agentkit spells it start_hitl (snake_case, not camelCase)"),
        (half_ported_escalate, "start_hitl() takes conversation_id=, not conversationId="),
    ],
    ids=["action", "keyword"],
)
async def test_camel_case_fails_naming_the_agentkit_spelling(handler: object, says: str) -> None:
    memory = MemoryHitl()
    async with agent_with(handoff_tool(handler), memory) as agent:
        with pytest.raises(ConfigError) as raised:  # an exception for the developer, not a message to the model
            await agent.receive("c1", "I want a person", user=USER)
    assert says in str(raised.value)
    assert memory.sessions == {} and memory.start_calls == []  # no ticket half-made


def test_a_misspelt_alias_fails_before_any_conversation() -> None:
    with pytest.raises(ConfigError, match=r"tool 'handToSupport' uses plugin 'hitl'.*did you mean 'hitl-desk'\?"):
        agent_with(handoff_tool(ported_escalate), MemoryHitl(), alias="hitl-desk")
    tool = hand_to_support("desk-hitl")
    with pytest.raises(ConfigError, match=r"escalates through plugin 'desk-hitl'|uses plugin 'desk-hitl'"):
        agent_with(tool, MemoryHitl(), alias="desk_hitl")


async def test_a_handoff_tool_made_at_run_time_is_checked_before_the_model_is_called() -> None:
    async def handler(ctx: HandlerContext) -> None:
        await ctx.execute(tools=[hand_to_support("hitl" + "-typo")])  # invisible to the check at build time

    model = ScriptedModel(["unused"])
    agent = Agent("bot", model, plugins={"hitl": HitlPlugin(MemoryHitl())}, conversation=Conversation(handler=handler))
    async with agent:
        with pytest.raises(ConfigError, match="uses plugin 'hitl-typo', which this agent does not have"):
            await agent.receive("c1", "hi")
    assert model.requests == []


async def test_bot_code_hears_each_step_of_a_session() -> None:
    memory = MemoryHitl()
    agent = agent_with(hand_to_support("hitl"), memory)
    seen: list[SessionEvent] = []

    @agent.on("hitl_started")
    def started(event: SessionEvent) -> None:
        seen.append(event)

    @agent.on("hitl_assigned")
    async def assigned(event: SessionEvent) -> None:
        seen.append(event)

    @agent.on("hitl_stopped")
    async def stopped(event: SessionEvent) -> None:
        seen.append(event)
        raise RuntimeError("bot code that fails is logged, and the session still ends")

    async with agent:
        await agent.receive("c1", "I want a person", user=USER)
        session_id = memory.only_session().id
        await memory.assign(session_id, "Sam")
        await _until(lambda: len(seen) == 2)
        await memory.close(session_id)
        await _until(lambda: len(seen) == 3)
    assert [(e.type, e.conversation_id, e.plugin, e.agent_name, e.reason) for e in seen] == [
        ("hitl_started", "c1", "hitl", None, None),
        ("hitl_assigned", "c1", "hitl", "Sam", None),
        ("hitl_stopped", "c1", "hitl", "Sam", "agent_closed"),
    ]


async def test_a_timeout_is_its_own_event_and_the_human_is_not_told_the_user_left() -> None:
    memory = MemoryHitl()
    agent = Agent("bot", ScriptedModel([call("handToSupport", reason="Wants a person")]),
                  plugins={"hitl": HitlPlugin(memory, agent_assigned_timeout_seconds=0.05)})  # fmt: skip
    timeouts: list[SessionEvent] = []
    agent.on("hitl_timeout")(timeouts.append)
    async with agent:
        await agent.receive("c1", "I want a person", user=USER)
        await asyncio.sleep(0.1)
        await agent.plugins["hitl"].check_timeouts()  # or the background checker has already ended it
        await _until(lambda: len(timeouts) == 1)
    assert [(e.type, e.reason) for e in timeouts] == [("hitl_timeout", "timeout")]
    told = memory.only_session().stopped_reason or ""
    assert "user has ended" not in told and "Nobody took this conversation in time" in told


async def test_when_the_bot_stops_the_session_nobody_claims_the_human_closed_it() -> None:
    agent = Agent("bot", ScriptedModel([call("handToSupport", reason="Wants a person")]),
                  plugins={"hitl": HitlPlugin(MemoryHitl())})  # fmt: skip
    async with agent:
        await agent.receive("c1", "I want a person", user=USER)
        assert await agent.plugins["hitl"].actions.stop_hitl("c1", reason="office closed")
        said = [m.text for m in await agent.history("c1")][-1]
    assert "human agent closed" not in said and said.startswith("The session with the human agent has ended")


@pytest.mark.parametrize(
    ("name", "says"),
    [("hitl:started", "did you mean 'hitl_started'?"), ("hitlAssigned", "did you mean 'hitl_assigned'?"),
     ("message", "the events: hitl_started, hitl_assigned, hitl_stopped, hitl_timeout")],
)  # fmt: skip
def test_an_unknown_event_name_is_refused(name: str, says: str) -> None:
    agent = Agent("bot", ScriptedModel([]), plugins={"hitl": HitlPlugin(MemoryHitl())})
    with pytest.raises(ConfigError) as raised:
        agent.on(name)
    assert says in str(raised.value)


async def test_a_misspelt_override_key_is_refused(tmp_path: object) -> None:
    agent = Agent("bot", ScriptedModel([]), plugins={"desk-hitl": DeskHitl(f"{tmp_path}/desk.sqlite3")})
    async with agent:
        actions = agent.plugins["desk-hitl"].actions
        with pytest.raises(ConfigError) as raised:
            await actions.start_hitl("c1", "VIP", configuration_overrides={"agentAsignedMessage": "Hi"})
        assert await agent.plugins["desk-hitl"].state("c1") == "none"
    message = str(raised.value)
    assert "unknown key 'agentAsignedMessage' (did you mean agentAssignedMessage?)" in message
    assert "desk takes no fields" in message


def test_a_channel_other_than_every_channel_is_refused() -> None:
    with pytest.raises(ConfigError, match="one Agent per channel"):
        Conversation(channel="webchat")
    assert Conversation(channel="*").handler is None


async def _until(check: object, wait: float = 5.0) -> None:
    async with asyncio.timeout(wait):
        while not check():  # type: ignore[operator]  # noqa: ASYNC110 - the fake changes state on its own
            await asyncio.sleep(0.02)
