"""The seed support bot: the model answers, and hands the conversation to a person on the embedded desk.

    agentkit chat examples/support_bot.py            # AGENTKIT_MODEL=openai:gpt-4o-mini for a real model

The handoff tool is written by hand, as in the Botpress ADK: it calls the ``desk-hitl`` plugin by alias, so
``zendesk_bot.py`` reuses it unchanged with another provider behind that alias.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, Field

from agentkit import Agent, Autonomous, Conversation, context, plugins
from agentkit.hitl import DeskHitl
from agentkit.prompts import render
from agentkit.runtime import HandlerContext


class HandToSupportInput(BaseModel):
    reason: str = Field(description="Why the conversation needs a support agent")
    priority: Literal["low", "medium", "high", "urgent"] = "medium"


async def escalate(args: HandToSupportInput) -> str:
    conversation = context.get("conversation")
    await plugins["desk-hitl"].actions.start_hitl(
        conversation_id=conversation.id, title=args.reason, priority=args.priority
    )
    return "escalated"


handToSupport = Autonomous.Tool(
    name="handToSupport",
    description=(
        "Transfer the conversation to a support agent. Use when the user asks for a person, or when their "
        "request is beyond what you can do."
    ),
    input=HandToSupportInput,
    handler=escalate,
    ends_turn=True,  # after the handoff the bot says nothing more: the user is told a person is joining
)


async def handler(ctx: HandlerContext) -> None:
    await ctx.execute(instructions=render("support_assistant.j2"), tools=[handToSupport])


DATA = os.environ.get("AGENTKIT_DATA", ".agentkit")  # `agentkit serve --data DIR` sets it
# `agentkit serve --db URL` sets it: one database (e.g. PostgreSQL shared by several workers) holds both the
# conversations and the desk; their tables do not overlap.
DB = os.environ.get("AGENTKIT_DB")

agent = Agent(
    "support-bot",
    model=os.environ.get("AGENTKIT_MODEL", "offline"),
    plugins={"desk-hitl": DeskHitl(DB or f"{DATA}/desk.sqlite3")},
    conversation=Conversation(channel="*", handler=handler),
    store=DB or f"sqlite:///{DATA}/support_bot.sqlite3",
)

if __name__ == "__main__":  # `python examples/support_bot.py`: the file is a bot definition, say how to run it
    print(
        "examples/support_bot.py defines a bot (`agent`); run it with agentkit:\n"
        "  agentkit chat examples/support_bot.py     talk to it in this terminal\n"
        "  agentkit serve examples/support_bot.py    webchat and desk inbox on http://127.0.0.1:8000 (or: make run)"
    )
