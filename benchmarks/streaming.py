"""What streaming costs per iteration: agentkit's ``execute_stream`` against a hand-written streaming loop over the
raw openai SDK (``stream=True``, text pieces handed on, tool-call arguments put together from their pieces).

The conversation of ``overhead.py`` (two tool calls, then the answer), streamed through the official openai client
from FakeOpenAIServer in its own process, no latency: what is left is the client-side cost of each iteration.
Both wire formats. Time per iteration is the median of interleaved rounds; the ratio is to the raw SDK's streaming
loop of the same API. ``agentkit execute`` (not streamed) is there for scale.

    python benchmarks/streaming.py            # a minute or two
    python benchmarks/streaming.py --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openai

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loops import INSTRUCTIONS, QUESTION, Close, IssueRefund, LookupOrder, RunOne, issue_refund, lookup_order  # noqa: E402
from overhead import server_process, time_sequential  # noqa: E402

FUNCTIONS: dict[str, Callable[..., Any]] = {"lookupOrder": lookup_order, "issueRefund": issue_refund}


def _client(base_url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)


def _run_tool(name: str, arguments: str) -> str:
    return json.dumps(FUNCTIONS[name](**json.loads(arguments)))


def raw_chat_stream(base_url: str) -> tuple[RunOne, Close]:
    client = _client(base_url)
    tools: Any = [openai.pydantic_function_tool(LookupOrder, name="lookupOrder"),
                  openai.pydantic_function_tool(IssueRefund, name="issueRefund")]  # fmt: skip

    async def run_one() -> str:
        messages: list[Any] = [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": QUESTION}]
        for _ in range(10):
            stream = await client.chat.completions.create(
                model="bench", messages=messages, tools=tools, stream=True, stream_options={"include_usage": True}
            )
            text: list[str] = []
            calls: dict[int, dict[str, Any]] = {}
            async for chunk in stream:
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta
                if delta.content:
                    text.append(delta.content)  # a real loop shows it here
                for piece in delta.tool_calls or ():
                    call = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
                    call["id"] = piece.id or call["id"]
                    if piece.function:
                        call["name"] += piece.function.name or ""
                        call["arguments"] += piece.function.arguments or ""
            if not calls:
                return "".join(text)
            tool_calls = [
                {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
                for c in calls.values()
            ]
            messages.append({"role": "assistant", "content": "".join(text) or None, "tool_calls": tool_calls})
            for c in calls.values():
                output = _run_tool(c["name"], c["arguments"])
                messages.append({"role": "tool", "tool_call_id": c["id"], "content": output})
        raise RuntimeError("no answer")

    return run_one, client.close


def raw_responses_stream(base_url: str) -> tuple[RunOne, Close]:
    client = _client(base_url)
    tools: Any = [{"type": "function", "name": name, "parameters": model.model_json_schema(), "strict": False}
                  for name, model in (("lookupOrder", LookupOrder), ("issueRefund", IssueRefund))]  # fmt: skip

    async def run_one() -> str:
        items: list[Any] = [{"role": "user", "content": QUESTION}]
        for _ in range(10):
            stream = await client.responses.create(
                model="bench", instructions=INSTRUCTIONS, input=items, tools=tools, stream=True
            )
            text: list[str] = []
            calls: list[Any] = []
            async for event in stream:
                if event.type == "response.output_text.delta":
                    text.append(event.delta)  # a real loop shows it here
                elif event.type == "response.output_item.done" and event.item.type == "function_call":
                    calls.append(event.item)
            if not calls:
                return "".join(text)
            for call in calls:
                items.append({"type": "function_call", "call_id": call.call_id, "name": call.name,
                              "arguments": call.arguments})  # fmt: skip
                items.append({"type": "function_call_output", "call_id": call.call_id,
                              "output": _run_tool(call.name, call.arguments)})  # fmt: skip
        raise RuntimeError("no answer")

    return run_one, client.close


def agentkit_loop(base_url: str, api: Any, streamed: bool) -> tuple[RunOne, Close]:
    from agentkit import Tool, execute, execute_stream
    from agentkit.models import OpenAIModel

    model = OpenAIModel("bench", client=_client(base_url), api=api)

    async def lookup(args: LookupOrder) -> dict[str, Any]:
        return lookup_order(args.order_id)

    async def refund(args: IssueRefund) -> dict[str, Any]:
        return issue_refund(args.order_id, args.amount)

    tools = [Tool("lookupOrder", "Look up an order", LookupOrder, lookup),
             Tool("issueRefund", "Issue a refund", IssueRefund, refund)]  # fmt: skip
    messages = [{"role": "user", "content": QUESTION}]

    async def run_streamed() -> str:
        text: list[str] = []
        async for event in execute_stream(INSTRUCTIONS, tools, messages, model):
            if event.type == "text_delta":
                text.append(event.text)  # a real channel shows it here
        return "".join(text)

    async def run_plain() -> str:
        return (await execute(INSTRUCTIONS, tools, messages, model)).text or ""

    return (run_streamed if streamed else run_plain), model.client.close


LOOPS: dict[str, dict[str, Callable[[str], tuple[RunOne, Close]]]] = {
    "chat": {
        "raw openai SDK, stream=True": raw_chat_stream,
        "agentkit execute_stream": lambda url: agentkit_loop(url, "chat", True),
        "agentkit execute (not streamed)": lambda url: agentkit_loop(url, "chat", False),
    },
    "responses": {
        "raw openai SDK, stream=True": raw_responses_stream,
        "agentkit execute_stream": lambda url: agentkit_loop(url, "responses", True),
        "agentkit execute (not streamed)": lambda url: agentkit_loop(url, "responses", False),
    },
}


async def measure(base_url: str, loops: dict[str, Callable[[str], tuple[RunOne, Close]]], rounds: int,
                  conversations: int) -> dict[str, float]:  # fmt: skip
    made = {name: factory(base_url) for name, factory in loops.items()}
    for run_one, _ in made.values():  # warm up, and check that every loop gets the answer
        for _ in range(10):
            assert "refund" in (await run_one()).lower()
    samples: dict[str, list[float]] = {name: [] for name in made}
    for _ in range(rounds):  # interleaved, so drift on the shared machine hits every loop alike
        for name, (run_one, _) in made.items():
            samples[name].append(await time_sequential(run_one, conversations))
    for _, close in made.values():
        await close()
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    args = parser.parse_args()
    rounds, conversations = (3, 10) if args.quick else (9, 40)
    print(f"python {sys.version.split()[0]}, 3 iterations per conversation, streamed from a loopback server")
    with server_process(0.0) as base_url:
        for api, loops in LOOPS.items():
            times = asyncio.run(measure(base_url, loops, rounds, conversations))
            raw = times["raw openai SDK, stream=True"]
            print(f"\n{api}: time per iteration\n| loop | µs | ratio to the raw SDK's streaming loop |")
            print("|---|---:|---:|")
            for name, seconds in times.items():
                print(f"| {name} | {seconds * 1e6:,.0f} | {seconds / raw:.2f} |")


if __name__ == "__main__":
    main()
