"""Fixtures shared by the desk tests."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest

from agentkit.desk import LocalDesk, Ticket
from agentkit.handoff import User

OpenTicket = Callable[[LocalDesk], Awaitable[Ticket]]


@pytest.fixture
def open_ticket() -> OpenTicket:
    """A new ticket on ``desk`` each call: a conversation and an idempotency key of its own."""

    async def open_one(desk: LocalDesk) -> Ticket:
        return await desk.create_ticket(
            conversation_id=f"c-{uuid.uuid4()}", idempotency_key=str(uuid.uuid4()), title="Wants a person",
            description="", priority="high", user=User("u1"),
        )  # fmt: skip

    return open_one
