"""Both sides of a handoff in one script: a user talks to the bot, and you play the person working the ticket.

    python examples/handoff_by_hand.py

Runs offline (rule-based model, temporary desk); nothing to configure.
"""

from __future__ import annotations

import asyncio
import os
import tempfile

from agentkit import Agent
from agentkit.hitl import DeskHitl
from agentkit.runtime import ChatMessage, Subscription

USER = {"id": "u-42", "name": "Jo Doe", "email": "jo@example.com"}


def show(messages: list[ChatMessage]) -> None:
    for message in messages:
        who = message.agent_name if message.role == "agent" else message.role
        print(f"    {who}> {message.text}")


async def user_says(agent: Agent, text: str) -> None:
    print(f"user> {text}")
    show(await agent.receive("demo", text, user=USER))


async def arrived(updates: Subscription, count: int) -> None:
    """Print what reached the user on its own (a person's messages), as a web chat would stream it."""
    async with asyncio.timeout(5):
        show([await anext(updates) for _ in range(count)])


async def main(folder: str) -> None:
    desk_hitl = DeskHitl(os.path.join(folder, "desk.sqlite3"))
    model = os.environ.get("AGENTKIT_MODEL", "offline")
    async with Agent("demo-bot", model, plugins={"desk-hitl": desk_hitl}) as agent:
        desk = desk_hitl.desk
        await user_says(agent, "Hi! Can I talk to a real person please?")

        (ticket,) = await desk.tickets(status="open")
        print(f"\n[desk] ticket {ticket.id} '{ticket.title}' ({ticket.priority}) from {ticket.user.name}")
        await user_says(agent, "It's about my last invoice.")  # goes to the ticket, not to the model
        print(f"[desk] on the ticket: {[m.text for m in (await desk.ticket(ticket.id)).messages]}\n")

        updates = agent.subscribe("demo")
        await desk.assign(ticket.id, "Ana")
        await desk.reply(ticket.id, "Hi Jo, I'm Ana. I've corrected the invoice and sent it again.")
        await arrived(updates, 2)

        await user_says(agent, "Great, thanks Ana!")
        await user_says(agent, "/end")
        await user_says(agent, "What are your opening hours?")  # the bot answers again
        updates.close()
        print(f"\n[desk] ticket {ticket.id} is now {(await desk.ticket(ticket.id)).status}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(main(folder))
