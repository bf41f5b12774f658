"""A message an open HITL session takes goes to the person: the model's history, read with the message, is not
parsed for it; once the bot has the conversation back, its turn uses that same read (no second one)."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.hitl import HitlPlugin, MemoryHitl
from agentkit.models import FunctionModel, Message
from agentkit.runtime import Agent, _messages

FAST = {"retry_initial_delay": 0.01, "retry_max_delay": 0.05}


async def test_a_relayed_message_parses_no_history_and_a_bot_turn_reads_it_once(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[Message]] = []

    def answer(messages: list[Message], tools: object) -> str:
        seen.append(messages)
        return "a bot reply"

    parsed: list[int] = []
    reads: list[str] = []
    parse, read = _messages._model_history, _messages.load_model_history
    monkeypatch.setattr(_messages, "_model_history", lambda rows: parsed.append(len(rows)) or parse(rows))
    monkeypatch.setattr(_messages, "load_model_history", lambda c, cid: reads.append(cid) or read(c, cid))

    plugin = HitlPlugin(MemoryHitl(), **FAST)
    async with Agent("support", FunctionModel(answer), plugins={"desk-hitl": plugin}, store=store_url) as agent:
        await agent.receive("c1", "hello")
        await plugin.actions.start_hitl("c1", "Refund")
        parsed.clear()
        assert await agent.receive("c1", "for the person") == []
        assert parsed == []  # relayed: the history was not parsed
        await plugin.actions.stop_hitl("c1")
        replies = await agent.receive("c1", "back to the bot")
    assert [m.text for m in replies] == ["a bot reply"]
    assert len(parsed) == 1 and reads == []  # the turn's own read, parsed once; no second read
    assert [m.get("content") for m in seen[-1] if m["role"] == "user"] == ["hello", "for the person", "back to the bot"]


async def test_a_message_for_the_person_reads_no_model_history_and_the_bot_gets_it_whole_after_the_session(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relayed message's turn reads none of the model's history (a relay would pay for every row of the
    conversation); once the person has closed the session, the next message goes to the model with all of it."""
    memory = MemoryHitl()
    given: list[list[str]] = []

    def answer(messages: list[Any], tools: list[Any]) -> str:
        given.append([m["content"] for m in messages if m["role"] == "user"])
        return "the bot again"

    plugin = HitlPlugin(memory, **FAST)
    agent = Agent("support", FunctionModel(answer), plugins={"desk-hitl": plugin}, store=store_url)
    histories: list[bool] = []  # for each turn: whether its first transaction read the model's history
    store_user_turn = _messages.store_user_turn

    def counted(*args: Any, history: bool = True, **options: Any) -> Any:
        histories.append(history)
        return store_user_turn(*args, history=history, **options)

    monkeypatch.setattr(_messages, "store_user_turn", counted)
    async with agent:
        await agent.receive("c1", "first question")
        await plugin.actions.start_hitl("c1", "Refund")
        await agent.receive("c1", "for the person")
        await agent.receive("c1", "for the person again")
        await memory.close(memory.only_session().id)
        replies = await agent.receive("c1", "back to the bot")
        await agent.receive("c1", "and again")

    assert memory.only_session().user_messages == ["for the person", "for the person again"]
    assert histories == [True, False, False, False, True]  # the first after the session: a guess that missed
    assert [m.text for m in replies] == ["the bot again"]
    assert given[-2] == ["first question", "for the person", "for the person again", "back to the bot"]
    assert given[-1] == [*given[-2], "and again"]
