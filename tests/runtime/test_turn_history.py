"""The model's history is read in the transaction that stores the user's message, and read again when the turn
wrote to the conversation since: the model never sees a history older than its own turn."""

from __future__ import annotations

from agentkit.models import FunctionModel, Message
from agentkit.runtime import Agent, Conversation, HandlerContext


def recording_model(seen: list[list[Message]]) -> FunctionModel:
    def answer(messages: list[Message], tools: object) -> str:
        seen.append(messages)
        return f"reply {len(seen)}"

    return FunctionModel(answer)


async def answer_once(ctx: HandlerContext) -> None:
    await ctx.execute(instructions="Be brief.")


def contents(messages: list[Message]) -> list[tuple[str, object]]:
    return [(m["role"], m.get("content")) for m in messages if m["role"] != "system"]


async def test_the_model_sees_the_history_with_the_new_message_in_it(store_url: str) -> None:
    seen: list[list[Message]] = []
    agent = Agent("bot", recording_model(seen), conversation=Conversation(handler=answer_once), store=store_url)
    async with agent:
        await agent.receive("c1", "first")
        await agent.receive("c1", "second")
    assert contents(seen[1]) == [("user", "first"), ("assistant", "reply 1"), ("user", "second")]


async def test_a_second_run_in_one_turn_sees_the_first_runs_reply(store_url: str) -> None:
    seen: list[list[Message]] = []

    async def twice(ctx: HandlerContext) -> None:
        await ctx.execute(instructions="Be brief.")
        await ctx.execute(instructions="Be brief.")

    agent = Agent("bot", recording_model(seen), conversation=Conversation(handler=twice), store=store_url)
    async with agent:
        await agent.receive("c1", "hello")
    assert contents(seen[1]) == [("user", "hello"), ("assistant", "reply 1")]


async def test_what_the_turn_sent_before_the_model_runs_is_in_the_models_history(store_url: str) -> None:
    seen: list[list[Message]] = []

    async def notice_first(ctx: HandlerContext) -> None:
        await ctx.agent.send(ctx.conversation.id, "One moment, looking it up.")
        await ctx.execute(instructions="Be brief.")

    agent = Agent("bot", recording_model(seen), conversation=Conversation(handler=notice_first), store=store_url)
    async with agent:
        await agent.receive("c1", "hello")
    assert contents(seen[0]) == [("user", "hello"), ("assistant", "One moment, looking it up.")]
