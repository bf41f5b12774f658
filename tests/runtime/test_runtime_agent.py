"""The Agent: receive, history, the model's own history, ordering, subscriptions, context, plugins, errors."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from agentkit import Tool, context
from agentkit.exceptions import ConfigError, ModelError
from agentkit.hitl import HitlPlugin, MemoryHitl, hand_to_support
from agentkit.models import FunctionModel, ScriptedModel, call
from agentkit.runtime import Agent, ChatMessage, Conversation, HandlerContext, plugins

USER = {"id": "u1", "name": "Jo Doe", "email": "jo@example.com"}


class OrderInput(BaseModel):
    order_id: str


def lookup_order(args: OrderInput) -> dict[str, str]:
    return {"order": args.order_id, "status": "shipped"}


ORDER_TOOL = Tool("lookupOrder", "Find an order", OrderInput, lookup_order)


def echo_agent(**kwargs: object) -> Agent:
    """An agent whose handler answers with the model, with the order tool; no HITL plugin needed."""

    async def handler(ctx: HandlerContext) -> None:
        await ctx.execute(instructions="Be brief.", tools=[ORDER_TOOL])

    return Agent("bot", conversation=Conversation(handler=handler), **kwargs)  # type: ignore[arg-type]


def texts(messages: list[ChatMessage]) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in messages]


async def test_receive_returns_the_reply_and_history_keeps_what_the_user_saw(store_url: str) -> None:
    model = ScriptedModel([call("lookupOrder", order_id="A1"), "Your order A1 has shipped."])
    agent = echo_agent(model=model, store=store_url)
    async with agent:
        replies = await agent.receive("c1", "Where is order A1?", user=USER)
        assert texts(replies) == [("bot", "Your order A1 has shipped.")]
        history = await agent.history("c1")
    assert texts(history) == [("user", "Where is order A1?"), ("bot", "Your order A1 has shipped.")]
    assert history[0].at <= history[1].at and history[0].id < history[1].id


async def test_the_model_gets_its_tool_calls_and_results_back_on_the_next_turn(store_url: str) -> None:
    model = ScriptedModel([call("lookupOrder", order_id="A1"), "Shipped.", "You're welcome."])
    async with echo_agent(model=model, store=store_url) as agent:
        await agent.receive("c1", "Where is order A1?")
        await agent.receive("c1", "Thanks!")
    second = model.requests[2].messages
    assert [m["role"] for m in second] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert second[2]["tool_calls"][0]["function"]["name"] == "lookupOrder"
    assert '"shipped"' in second[3]["content"]
    assert second[-1] == {"role": "user", "content": "Thanks!"}


async def test_history_survives_a_restart(store_url: str) -> None:
    store = store_url
    async with echo_agent(model=ScriptedModel(["Hi Jo."]), store=store) as first:
        await first.receive("c1", "Hello", user=USER)
    model = ScriptedModel(["Still here."])
    async with echo_agent(model=model, store=store) as second:
        await second.receive("c1", "Are you there?")
        assert texts(await second.history("c1"))[-1] == ("bot", "Still here.")
    assert [m["content"] for m in model.requests[0].messages[1:]] == ["Hello", "Hi Jo.", "Are you there?"]


async def test_twenty_messages_at_once_are_handled_one_after_the_other_in_order(store_url: str) -> None:
    seen: list[str] = []
    running = 0

    async def slow_echo(messages: list[dict[str, object]], tools: object) -> str:
        nonlocal running
        running += 1
        assert running == 1, "two messages of one conversation were handled at the same time"
        text = str(messages[-1]["content"])
        seen.append(text)
        await asyncio.sleep(0.001 * (20 - len(seen)))  # earlier messages are slower: no accidental order
        running -= 1
        return f"echo {text}"

    async with echo_agent(model=FunctionModel(slow_echo), store=store_url) as agent:
        sent = [f"message {i}" for i in range(20)]
        replies = await asyncio.gather(*(agent.receive("c1", text) for text in sent))
        history = await agent.history("c1")
    assert seen == sent
    assert [r[0].text for r in replies] == [f"echo {t}" for t in sent]
    assert [m.text for m in history] == [t for text in sent for t in (text, f"echo {text}")]


async def test_other_conversations_are_not_held_up(store_url: str) -> None:
    release = asyncio.Event()

    async def model_fn(messages: list[dict[str, object]], tools: object) -> str:
        if messages[-1]["content"] == "slow":
            await release.wait()
        return "ok"

    async with echo_agent(model=FunctionModel(model_fn), store=store_url) as agent:
        slow = asyncio.ensure_future(agent.receive("c1", "slow"))
        assert texts(await asyncio.wait_for(agent.receive("c2", "fast"), 2)) == [("bot", "ok")]
        release.set()
        assert texts(await slow) == [("bot", "ok")]


async def test_subscribers_get_messages_sent_outside_a_turn(store_url: str) -> None:
    async with echo_agent(model=ScriptedModel(["Hi."]), store=store_url) as agent:
        subscription = agent.subscribe("c1")
        await agent.receive("c1", "Hello")
        await agent.send("c1", "A proactive note")
        async with asyncio.timeout(2):
            got = [await anext(subscription) for _ in range(3)]
        subscription.close()
        assert [m async for m in subscription] == []
    assert texts(got) == [("user", "Hello"), ("bot", "Hi."), ("bot", "A proactive note")]


async def test_closing_the_agent_ends_subscriptions() -> None:
    agent = echo_agent(model=ScriptedModel([]))
    async with agent:
        subscription = agent.subscribe("c1")
    assert [m async for m in subscription] == []


async def test_handlers_see_context_and_plugins_by_alias() -> None:
    seen: dict[str, object] = {}

    async def handler(ctx: HandlerContext) -> None:
        seen["conversation"] = context.get("conversation")
        seen["user"] = dict(context.get("user"))
        seen["agent"] = context.get("agent")
        seen["plugin"] = plugins["hitl"]
        seen["in"] = "hitl" in plugins and "other" not in plugins
        await ctx.send(f"hello {ctx.conversation.user['name']}, you said {ctx.message.text!r}")

    plugin = HitlPlugin(MemoryHitl())
    agent = Agent("bot", ScriptedModel([]), plugins={"hitl": plugin}, conversation=Conversation(handler=handler))
    async with agent:
        replies = await agent.receive("c1", "hi", user=USER)
    conversation = seen["conversation"]
    assert getattr(conversation, "id", None) == "c1" and seen["user"] == USER
    assert seen["agent"] is agent and seen["plugin"] is plugin and seen["in"] is True
    assert texts(replies) == [("bot", "hello Jo Doe, you said 'hi'")]


async def test_the_user_profile_is_remembered_between_messages(store_url: str) -> None:
    names: list[str | None] = []

    async def handler(ctx: HandlerContext) -> None:
        names.append(ctx.user.get("name"))

    async with Agent(
        "bot",
        ScriptedModel([]),
        plugins={"hitl": HitlPlugin(MemoryHitl())},
        conversation=Conversation(handler=handler),
        store=store_url,
    ) as agent:
        await agent.receive("c1", "hi", user=USER)
        await agent.receive("c1", "again")
    assert names == ["Jo Doe", "Jo Doe"]


def test_plugins_outside_a_turn_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"plugins\['desk-hitl'\] is only available while an Agent handles"):
        plugins["desk-hitl"]


def test_an_unknown_alias_in_the_handler_fails_when_the_agent_is_built() -> None:
    async def handler(ctx: HandlerContext) -> None:
        plugins["desk-hitl"]

    with pytest.raises(ConfigError, match=r"handler.*uses plugin 'desk-hitl', which this agent does not have"):
        Agent("bot", ScriptedModel([]), plugins={"zendesk": HitlPlugin(MemoryHitl())},
              conversation=Conversation(handler=handler))  # fmt: skip


async def test_an_alias_computed_at_run_time_is_checked_on_use() -> None:
    async def handler(ctx: HandlerContext) -> None:
        alias = "desk" + "-hitl"  # not a constant: the agent cannot read it ahead of time
        plugins[alias]

    agent = Agent(
        "bot",
        ScriptedModel([]),
        plugins={"zendesk": HitlPlugin(MemoryHitl())},
        conversation=Conversation(handler=handler),
    )
    async with agent:
        with pytest.raises(ConfigError, match="has no plugin 'desk-hitl'; its plugins: zendesk"):
            await agent.receive("c1", "hi")


def test_a_hitl_plugin_without_a_provider_fails_when_the_agent_is_built() -> None:
    with pytest.raises(ConfigError, match=r"plugin 'desk-hitl': HitlPlugin needs a HITL provider.*plugins: desk-hitl"):
        Agent("bot", ScriptedModel([]), plugins={"desk-hitl": HitlPlugin(None)})


def test_a_value_that_is_not_a_plugin_fails_when_the_agent_is_built() -> None:
    with pytest.raises(ConfigError, match="plugin 'desk-hitl' is 'desk-hitl', not a plugin"):
        Agent("bot", ScriptedModel([]), plugins={"desk-hitl": "desk-hitl"})  # type: ignore[dict-item]


def test_a_handoff_tool_naming_an_unknown_alias_fails_when_the_agent_is_built() -> None:
    with pytest.raises(ConfigError, match="escalates through plugin 'desk-hitl'.*plugins: zendesk"):
        Agent("bot", ScriptedModel([]), plugins={"zendesk": HitlPlugin(MemoryHitl())}, tools=[hand_to_support()])


def test_the_default_handler_needs_a_hitl_plugin() -> None:
    with pytest.raises(ConfigError, match="default conversation handler hands off with hand_to_support"):
        Agent("bot", ScriptedModel([]))


def test_unknown_plugin_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown HITL plugin setting 'handoff_mesage'"):
        HitlPlugin(MemoryHitl(), handoff_mesage="hi")


def test_a_bad_store_url_says_what_to_write() -> None:
    with pytest.raises(ConfigError, match="sqlite:///path/to/agent.db"):
        echo_agent(model=ScriptedModel([]), store="mysql://db")


async def test_a_failing_model_gets_the_user_an_apology_not_silence() -> None:
    async with echo_agent(model=ScriptedModel([])) as agent:  # runs out of responses: ModelError
        replies = await agent.receive("c1", "hello")
    assert texts(replies) == [("system", "Sorry, something went wrong on my side. Please try again in a moment.")]


async def test_with_error_message_none_the_model_error_is_raised() -> None:
    async with echo_agent(model=ScriptedModel([]), error_message=None) as agent:
        with pytest.raises(ModelError):
            await agent.receive("c1", "hello")
