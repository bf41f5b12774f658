"""What ``OpenAIModel.request`` costs next to calling the official client directly.

Run: ``.venv/bin/python benchmarks/model_request_overhead.py [N] [ROUNDS]``. Each way sends N sequential requests
(a system prompt, a user message, two tools; the reply has text and one tool call) to a ``FakeOpenAIServer``, in
rounds alternating between the ways; the best round per way is reported, in microseconds per request.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import httpx2
import openai
from pydantic import BaseModel, Field

from agentkit.models import OpenAIModel
from agentkit.testing import FakeOpenAIServer, Reply
from agentkit.tools import Tool


class Escalate(BaseModel):
    reason: str = Field(description="why")
    priority: Literal["low", "medium", "high", "urgent"] = "medium"


class Lookup(BaseModel):
    order_id: str


TOOLS: list[Tool[Any]] = [
    Tool("handToSupport", "Transfer to a human", Escalate, lambda a: "ok"),
    Tool("lookupOrder", "Find an order", Lookup, lambda a: "ok"),
]
MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You are a helpful support assistant. " * 20},
    {"role": "user", "content": "Where is my order 1234? I want to talk to a person."},
]


def reply(body: dict[str, Any]) -> Reply:
    return Reply(text="Let me check.", tool_calls=[("lookupOrder", {"order_id": "1234"})])


async def timed(n: int, send: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await send()
    return (time.perf_counter() - start) / n * 1e6


async def main(n: int, rounds: int) -> None:
    async with FakeOpenAIServer(handler=reply) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        raw = httpx2.AsyncClient(base_url=server.base_url)
        chat_model = OpenAIModel("gpt-4o-mini", client=client)
        responses_model = OpenAIModel("gpt-4o-mini", client=client, api="responses")
        chat_tools = [t.spec("chat") for t in TOOLS]
        responses_tools = [t.spec("responses") for t in TOOLS]
        ways: dict[str, Callable[[], Awaitable[Any]]] = {
            "httpx2 post + json (floor)": lambda: _raw(raw, chat_tools),
            "client.chat.completions.create": lambda: client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, tools=chat_tools  # type: ignore[arg-type]
            ),
            "OpenAIModel(api='chat').request": lambda: chat_model.request(MESSAGES, TOOLS),
            "client.responses.create": lambda: client.responses.create(
                model="gpt-4o-mini", instructions=MESSAGES[0]["content"], input=MESSAGES[1:],  # type: ignore[arg-type]
                tools=responses_tools,  # type: ignore[arg-type]
            ),
            "OpenAIModel(api='responses').request": lambda: responses_model.request(MESSAGES, TOOLS),
        }
        best: dict[str, float] = {}
        for send in ways.values():
            await timed(30, send)  # warm up connections and caches
        for _ in range(rounds):
            for name, send in ways.items():
                best[name] = min(best.get(name, float("inf")), await timed(n, send))
        await raw.aclose()
        await client.close()
    for name, micros in best.items():
        print(f"{name:40s} {micros:8.0f} µs/request")


async def _raw(raw: httpx2.AsyncClient, tools: list[dict[str, Any]]) -> Any:
    body = {"model": "gpt-4o-mini", "messages": MESSAGES, "tools": tools}
    return (await raw.post("/chat/completions", json=body)).json()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300, int(sys.argv[2]) if len(sys.argv) > 2 else 5))
