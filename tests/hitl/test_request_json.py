"""What the outbox and the sessions table store: an escalation request and a session's config as JSON data, written
out field by field (not ``dataclasses.asdict``), so every field must be there and read back the same."""

from __future__ import annotations

import dataclasses
import json

from agentkit.handoff import TranscriptLine, User
from agentkit.hitl import EscalationRequest, SessionConfig
from agentkit.hitl._delivery import request_from_json, request_to_json

REQUEST = EscalationRequest(
    conversation_id="c1",
    title="Refund",
    description="Wants a refund for order A1",
    priority="high",
    user=User("u1", "Ana", "ana@example.com"),
    transcript=(TranscriptLine("user", "refund please", 1.5), TranscriptLine("assistant", "One moment")),
    idempotency_key="c1:1",
    configuration_overrides={"group": "billing"},
)


def test_a_request_is_stored_with_every_field_and_read_back_the_same() -> None:
    data = json.loads(json.dumps(request_to_json(REQUEST)))
    assert set(data) == {f.name for f in dataclasses.fields(EscalationRequest)}  # a new field is not dropped
    assert data == json.loads(json.dumps(dataclasses.asdict(REQUEST)))
    assert request_from_json(data) == REQUEST


def test_a_session_config_is_stored_with_every_field_and_read_back_the_same() -> None:
    config = SessionConfig(agent_assigned_message=None, agent_assigned_timeout_seconds=60.0)
    assert config.to_json() == dataclasses.asdict(config)
    assert SessionConfig.from_json({**json.loads(json.dumps(config.to_json())), "gone": 1}) == config
