"""Input checks at the edge: what would poison a conversation is refused before anything is stored."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.exceptions import UserError
from agentkit.models import ScriptedModel
from agentkit.runtime import Agent, Conversation, HandlerContext


async def answer(ctx: HandlerContext) -> None:
    await ctx.execute(instructions="Be brief.")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, r"receive\(text=...\) must be a str, not NoneType"),
        (42, r"receive\(text=...\) must be a str, not int"),
        (b"bytes", r"receive\(text=...\) must be a str, not bytes"),
        ("\ud800", r"receive\(text=...\) holds a lone surrogate \('\\ud800'\) at position 0"),
        ("a\x00b", r"receive\(text=...\) holds a NUL character at position 1"),
    ],
)
async def test_bad_text_is_refused_before_storage_and_the_conversation_then_works(text: Any, message: str) -> None:
    model = ScriptedModel(["Hello! How can I help?"])
    async with Agent("bot", model, conversation=Conversation(handler=answer)) as agent:
        with pytest.raises(UserError, match=message):
            await agent.receive("c1", text)
        assert await agent.history("c1") == []  # nothing stored
        replies = await agent.receive("c1", "hi")
    assert [m.text for m in replies] == ["Hello! How can I help?"]
    assert model.requests[0].messages[1:] == [{"role": "user", "content": "hi"}]  # no poisoned message before it


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("u1", r"receive\(user=...\) must be a mapping like \{'id': 'u1'"),
        (["u1"], r"must be a mapping"),
        ({"id": "u1", "name": 7}, r"receive\(user\['name'\]=...\) must be a str"),
        ({"id": "u1", "email": "jo\ud800@example.com"}, r"user\['email'\]=...\) holds a lone surrogate"),
    ],
)
async def test_a_user_that_is_not_a_mapping_of_text_is_refused(user: Any, message: str) -> None:
    async with Agent("bot", ScriptedModel([]), conversation=Conversation(handler=answer)) as agent:
        with pytest.raises(UserError, match=message):
            await agent.receive("c1", "hi", user=user)
        assert await agent.history("c1") == []


@pytest.mark.parametrize("conversation_id", [None, 7, "", "c\x00"])
async def test_a_bad_conversation_id_is_refused(conversation_id: Any) -> None:
    async with Agent("bot", ScriptedModel([]), conversation=Conversation(handler=answer)) as agent:
        with pytest.raises(UserError, match="conversation_id"):
            await agent.receive(conversation_id, "hi")
