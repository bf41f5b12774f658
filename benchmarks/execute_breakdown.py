"""Where the CPU of one ``execute`` iteration goes, layer by layer, in one process with no network: every client
sends through an ``httpx2.MockTransport`` that answers the same canned Chat Completions JSON at once, so what is
timed is the client side only (request building, the SDK's pipeline, parsing, the loop), deterministic enough to
compare on a shared machine. Each step adds one layer to the one before it:

1. bare httpx2: ``client.post(json bytes)`` + ``json.loads`` (the transport floor);
2. the official client's pipeline: ``AsyncOpenAI.post(cast_to=httpx2.Response)`` + ``json.loads``;
3. ``OpenAIModel.request`` (body, options, deadline, retries wrapper, decode, ``ModelResponse``);
4. one ``execute`` iteration with a tool call (the loop: telemetry, trace, tool validation and run, messages);
5. the raw SDK's ``chat.completions.create`` (typed params and the pydantic response), for reference.

    python benchmarks/execute_breakdown.py [--n 2000] [--rounds 7]

Each figure is the best round's CPU time per operation (``time.process_time``), in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import openai
from pydantic import BaseModel

from agentkit import Tool, execute
from agentkit.models import OpenAIModel

BASE_URL = "http://127.0.0.1:9/v1"
MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You are a support assistant. Look up orders and issue refunds when asked."},
    {"role": "user", "content": "Please refund order A-1001, it arrived broken."},
]


class LookupOrder(BaseModel):
    order_id: str


def completion(tool_call: bool) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": None if tool_call else "Done.", "refusal": None}
    if tool_call:
        message["tool_calls"] = [
            {"id": "call_1", "type": "function", "function": {"name": "lookupOrder", "arguments": '{"order_id":"A-1"}'}}
        ]
    return json.dumps(
        {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "bench",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_call else "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132},
        }
    ).encode()  # fmt: skip


def transport(alternate: bool) -> httpx2.MockTransport:
    """Answers a tool call, or (``alternate``) a tool call and the answer in turn, as the execute loop needs."""
    turn = [0]

    def handle(request: httpx2.Request) -> httpx2.Response:
        turn[0] += 1
        tool_call = not alternate or turn[0] % 2 == 1
        return httpx2.Response(200, content=completion(tool_call), headers={"content-type": "application/json"})

    return httpx2.MockTransport(handle)


async def best_cpu(n: int, rounds: int, op: Callable[[], Awaitable[Any]]) -> float:
    for _ in range(50):
        await op()
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(n):
            await op()
        best = min(best, (time.process_time() - started) / n)
    return best


async def main(n: int, rounds: int) -> None:
    tools = [Tool("lookupOrder", "Look up an order", LookupOrder, _lookup)]
    chat_tools = [t.spec("chat") for t in tools]
    bare = httpx2.AsyncClient(base_url=BASE_URL, headers={"Authorization": "Bearer bench"}, transport=transport(False))
    sdk = openai.AsyncOpenAI(
        base_url=BASE_URL, api_key="bench", max_retries=0, http_client=httpx2.AsyncClient(transport=transport(False))
    )
    loop_sdk = openai.AsyncOpenAI(
        base_url=BASE_URL, api_key="bench", max_retries=0, http_client=httpx2.AsyncClient(transport=transport(True))
    )
    model, loop_model = OpenAIModel("bench", client=sdk), OpenAIModel("bench", client=loop_sdk)
    body = {"model": "bench", "messages": MESSAGES, "tools": chat_tools}

    async def floor() -> Any:
        response = await bare.post(
            "/chat/completions", content=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        return json.loads(response.content)

    async def sdk_post() -> Any:
        return json.loads((await sdk.post("/chat/completions", cast_to=httpx2.Response, body=body)).content)

    async def one_iteration_and_answer() -> Any:  # two requests: a tool call, then the answer
        return await execute("You are a support assistant.", tools, MESSAGES[1:], loop_model)

    async def raw_sdk() -> Any:
        return await sdk.chat.completions.create(model="bench", messages=MESSAGES, tools=chat_tools)  # type: ignore[arg-type]

    ways: dict[str, Callable[[], Awaitable[Any]]] = {
        "1. bare httpx2 post + json (floor)": floor,
        "2. AsyncOpenAI.post(cast_to=httpx2.Response) + json": sdk_post,
        "3. OpenAIModel.request": lambda: model.request(MESSAGES, tools),
        "4. execute, per request (a tool call, then the answer)": one_iteration_and_answer,
        "5. raw SDK chat.completions.create": raw_sdk,
    }
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = {name: await best_cpu(n, rounds, way) for name, way in ways.items()}
    results["4. execute, per request (a tool call, then the answer)"] /= 2
    floor_cost = results["1. bare httpx2 post + json (floor)"]
    previous = floor_cost
    print("| step | CPU µs per request | vs floor | added by this step |\n|---|---:|---:|---:|")
    for name, cost in results.items():
        added = cost - previous if not name.startswith("5.") else cost - floor_cost
        print(f"| {name} | {cost * 1e6:.0f} | {cost / floor_cost:.2f} | {added * 1e6:+.0f} |")
        previous = cost
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for client in (sdk, loop_sdk):
        await client.close()
    await bare.aclose()


async def _lookup(args: LookupOrder) -> dict[str, Any]:
    return {"order_id": args.order_id, "status": "delivered"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.rounds))
