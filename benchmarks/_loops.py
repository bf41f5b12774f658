"""The same support conversation (look up an order, issue a refund, answer) written five ways: a bare httpx2 loop
(the transport floor: the same requests, httpx2 and json only), a hand-written loop over the raw openai SDK,
agentkit, openai-agents and pydantic-ai. Each is a factory returning ``(run_one_conversation, close)`` bound to a
base URL."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import openai
from pydantic import BaseModel

RunOne = Callable[[], Awaitable[str]]
Close = Callable[[], Awaitable[None]]
INSTRUCTIONS = "You are a support assistant. Look up orders and issue refunds when asked."
QUESTION = "Please refund order A-1001, it arrived broken."


def lookup_order(order_id: str) -> dict[str, Any]:
    return {"order_id": order_id, "status": "delivered", "total": 25.0}


def issue_refund(order_id: str, amount: float) -> dict[str, Any]:
    return {"order_id": order_id, "refunded": amount}


def _client(base_url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)


def bare_httpx2(base_url: str) -> tuple[RunOne, Close]:
    """The floor: the raw loop's requests with no SDK: one pooled httpx2 client, ``json`` both ways."""
    client = httpx2.AsyncClient(base_url=base_url, headers={"Authorization": "Bearer bench"}, timeout=15.0)
    functions = {"lookupOrder": lookup_order, "issueRefund": issue_refund}
    tools = [
        openai.pydantic_function_tool(LookupOrder, name="lookupOrder"),
        openai.pydantic_function_tool(IssueRefund, name="issueRefund"),
    ]

    async def run_one() -> str:
        messages: list[Any] = [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": QUESTION}]
        for _ in range(10):
            body = json.dumps({"model": "bench", "messages": messages, "tools": tools})
            response = await client.post(
                "/chat/completions", content=body, headers={"Content-Type": "application/json"}
            )
            response.raise_for_status()
            message = json.loads(response.content)["choices"][0]["message"]
            if not message.get("tool_calls"):
                return str(message.get("content") or "")
            messages.append(message)
            for call in message["tool_calls"]:
                function = call["function"]
                output = functions[function["name"]](**json.loads(function["arguments"]))
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": json.dumps(output)})
        raise RuntimeError("no answer")

    return run_one, client.aclose


def raw_sdk(base_url: str) -> tuple[RunOne, Close]:
    client = _client(base_url)
    functions = {"lookupOrder": lookup_order, "issueRefund": issue_refund}
    tools: Any = [
        openai.pydantic_function_tool(LookupOrder, name="lookupOrder"),
        openai.pydantic_function_tool(IssueRefund, name="issueRefund"),
    ]

    async def run_one() -> str:
        messages: list[Any] = [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": QUESTION}]
        for _ in range(10):
            completion = await client.chat.completions.create(model="bench", messages=messages, tools=tools)
            message = completion.choices[0].message
            if not message.tool_calls:
                return message.content or ""
            messages.append(message.model_dump(exclude_none=True))
            for call in message.tool_calls:
                output = functions[call.function.name](**json.loads(call.function.arguments))
                messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(output)})
        raise RuntimeError("no answer")

    return run_one, client.close


class LookupOrder(BaseModel):
    order_id: str


class IssueRefund(BaseModel):
    order_id: str
    amount: float


def agentkit_loop(base_url: str) -> tuple[RunOne, Close]:
    from agentkit import Tool, execute
    from agentkit.models import OpenAIModel

    model = OpenAIModel("bench", client=_client(base_url))

    # async handlers doing the same inline work as the raw loop's plain calls (a sync handler would run in a worker
    # thread, which a real handler doing I/O wants, but which the raw loop does not pay for)
    async def lookup(args: LookupOrder) -> dict[str, Any]:
        return lookup_order(args.order_id)

    async def refund(args: IssueRefund) -> dict[str, Any]:
        return issue_refund(args.order_id, args.amount)

    tools = [
        Tool("lookupOrder", "Look up an order", LookupOrder, lookup),
        Tool("issueRefund", "Issue a refund", IssueRefund, refund),
    ]
    messages = [{"role": "user", "content": QUESTION}]

    async def run_one() -> str:
        result = await execute(INSTRUCTIONS, tools, messages, model)
        return result.text or ""

    return run_one, model.client.close


def openai_agents(base_url: str) -> tuple[RunOne, Close]:
    from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled

    set_tracing_disabled(True)
    client = _client(base_url)
    agent = Agent(
        name="support",
        instructions=INSTRUCTIONS,
        model=OpenAIChatCompletionsModel(model="bench", openai_client=client),
        tools=[
            function_tool(lookup_order, name_override="lookupOrder"),
            function_tool(issue_refund, name_override="issueRefund"),
        ],
    )

    async def run_one() -> str:
        return str((await Runner.run(agent, QUESTION)).final_output)

    return run_one, client.close


def pydantic_ai(base_url: str) -> tuple[RunOne, Close]:
    from pydantic_ai import Agent, Tool
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    client = _client(base_url)
    agent = Agent(
        OpenAIChatModel("bench", provider=OpenAIProvider(openai_client=client)),
        instructions=INSTRUCTIONS,
        tools=[Tool(lookup_order, name="lookupOrder"), Tool(issue_refund, name="issueRefund")],
    )

    async def run_one() -> str:
        return (await agent.run(QUESTION)).output

    return run_one, client.close


LOOPS: dict[str, Callable[[str], tuple[RunOne, Close]]] = {
    "bare httpx2 (floor)": bare_httpx2,
    "raw openai SDK": raw_sdk,
    "agentkit": agentkit_loop,
    "openai-agents": openai_agents,
    "pydantic-ai": pydantic_ai,
}
