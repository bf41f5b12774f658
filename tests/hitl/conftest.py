"""Fixtures shared by the HITL provider tests."""

from collections.abc import Callable
from typing import Any

import pytest

from agentkit.handoff import TranscriptLine, User
from agentkit.hitl import EscalationRequest

MakeRequest = Callable[..., EscalationRequest]


def _make_request(**overrides: Any) -> EscalationRequest:
    fields: dict[str, Any] = {
        "conversation_id": "conv-1",
        "title": "Refund for order 42",
        "description": "The user was charged twice & wants a refund.",
        "priority": "high",
        "user": User("u-1", "Bob Stone", "bob@example.com"),
        "transcript": (
            TranscriptLine("user", "I was charged twice <again>", 1_700_000_000.0),
            TranscriptLine("bot", "Let me get a person for you.", 1_700_000_005.0),
        ),
        "idempotency_key": "esc-1",
    }
    fields.update(overrides)
    return EscalationRequest(**fields)


@pytest.fixture
def make_request() -> MakeRequest:
    """Build the test escalation (Bob's double charge, key ``esc-1``), with any field overridden."""
    return _make_request
