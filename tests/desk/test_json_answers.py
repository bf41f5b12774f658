"""``json_response``: an API answer is the model's JSON as pydantic writes it (compact, UTF-8, every field)."""

from __future__ import annotations

import json

from pydantic import BaseModel

from agentkit.desk import json_response


class Answer(BaseModel):
    text: str
    at: float
    agent_name: str | None = None


def test_an_answer_is_the_models_json_compact_and_in_utf8() -> None:
    response = json_response(Answer(text="Grüße, 你好", at=1733000000.25), 201, headers={"X-Extra": "1"})
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-extra"] == "1"
    assert response.body == '{"text":"Grüße, 你好","at":1733000000.25,"agent_name":null}'.encode()
    assert json.loads(response.body) == {"text": "Grüße, 你好", "at": 1733000000.25, "agent_name": None}
