"""The webchat's message lists are written from plain dicts: byte for byte the JSON of the ``MessagesView`` model
they are documented by."""

from __future__ import annotations

import random
from pathlib import Path
from typing import get_args

from agentkit.desk import json_response
from agentkit.handoff import Role
from agentkit.runtime import ChatMessage
from agentkit.server._chat_api import message_view, messages_response
from agentkit.server._schemas import MessagesView, MessageView

from .server_helpers import harness, start_chat

_TEXTS = ["", "plain", 'quotes " and \\ backslash', "é ü 中文 🙂", "line\nbreak\ttab \x01\x1f \u2028\u2029",
          "</script><b>", "x" * 3000]  # fmt: skip


def _random_message(rng: random.Random, seq: int) -> ChatMessage:
    at: float = rng.choice([1_700_000_000, 1_700_000_000.5, rng.uniform(0, 2e9), 0.1 + 0.2, 1e-7, 12345678901.0])
    return ChatMessage(seq, "web-x", rng.choice(get_args(Role)), rng.choice(_TEXTS) + rng.choice(_TEXTS), at,
                       rng.choice([None, "Ana", "Zoë"]))  # fmt: skip


def test_a_message_list_is_the_json_of_its_model() -> None:
    rng = random.Random(12)
    for round_ in range(300):
        messages = [_random_message(rng, rng.randrange(1, 10**12)) for _ in range(rng.randrange(0, 8))]
        more = rng.random() < 0.5
        model = MessagesView(messages=[message_view(m) for m in messages], more=more)
        assert messages_response(messages, more).body == json_response(model).body, round_
    assert list(MessageView.model_fields) == ["id", "role", "text", "at", "agent_name"]  # the dict's keys, in order


async def test_the_webchat_answers_with_such_lists(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as client:
        conversation_id, opens = await start_chat(client)
        answer = await client.post(f"/api/conversations/{conversation_id}/messages", json={"text": "Hi there"},
                                   headers=opens)  # fmt: skip
        history = await client.get(f"/api/conversations/{conversation_id}/messages", headers=opens)
        for response in (answer, history):
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            MessagesView.model_validate_json(response.content)  # the documented shape
        stored = await h.agent.history(conversation_id)
        assert history.content == json_response(MessagesView(messages=[message_view(m) for m in stored])).body
