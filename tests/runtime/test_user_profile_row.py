"""The user's profile row: written when the conversation starts and when the profile changes, not at every message
(a channel passes the same profile each time); every turn still sees the profile as it stands."""

from __future__ import annotations

from typing import Any

from agentkit.models import ScriptedModel
from agentkit.runtime import Agent, Conversation, HandlerContext

JO = {"id": "u1", "name": "Jo", "email": "jo@example.com"}


def profile_agent(store_url: str, seen: list[dict[str, Any]]) -> Agent:
    async def handler(ctx: HandlerContext) -> None:
        seen.append(dict(ctx.user))

    return Agent("bot", ScriptedModel([]), conversation=Conversation(handler=handler), store=store_url)


async def profile_row(agent: Agent, conversation_id: str) -> tuple[str | None, float]:
    sql = "SELECT user_json, updated_at FROM conversations WHERE id = ?"
    row = await agent.store.run(lambda c: c.execute(sql, (conversation_id,)).fetchone(), write=False)
    return row["user_json"], row["updated_at"]


async def test_the_same_profile_again_leaves_the_row_as_it_was(store_url: str) -> None:
    seen: list[dict[str, Any]] = []
    async with profile_agent(store_url, seen) as agent:
        await agent.receive("c1", "hi", user=JO)
        first = await profile_row(agent, "c1")
        await agent.receive("c1", "again", user=dict(JO))
        await agent.receive("c1", "and again")  # no profile: the stored one stands
        assert await profile_row(agent, "c1") == first
    assert seen == [JO, JO, JO]


async def test_a_changed_profile_is_stored_and_seen_by_later_turns(store_url: str) -> None:
    seen: list[dict[str, Any]] = []
    renamed = {**JO, "name": "Jo Doe"}
    async with profile_agent(store_url, seen) as agent:
        await agent.receive("c1", "hi", user=JO)
        _, written = await profile_row(agent, "c1")
        await agent.receive("c1", "I changed my name", user=renamed)
        user_json, updated = await profile_row(agent, "c1")
        await agent.receive("c1", "still me")
        assert await agent.user_of("c1") == renamed
    assert updated > written and user_json is not None
    assert seen == [JO, renamed, renamed]


async def test_a_conversation_started_without_a_profile_gets_one_later(store_url: str) -> None:
    seen: list[dict[str, Any]] = []
    async with profile_agent(store_url, seen) as agent:
        await agent.receive("c1", "hi")
        assert (await profile_row(agent, "c1"))[0] is None
        await agent.receive("c1", "it's Jo", user=JO)
        await agent.receive("c1", "bye")
    assert seen == [{}, JO, JO]
