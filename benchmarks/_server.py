"""The benchmark's model: a FakeOpenAIServer in its own process (so it does not share the client's GIL), scripted
by the conversation's state: two tool-calling iterations, then the answer."""

from __future__ import annotations

import sys
import time
from typing import Any

from agentkit.testing import FakeOpenAIServer, Reply

ANSWER = "Your refund of 25.0 for order A-1001 is on its way."


def scripted_reply(body: dict[str, Any]) -> Reply:
    history = body.get("messages") or body.get("input") or []  # Chat Completions or Responses
    tool_results = sum(1 for m in history if m.get("role") == "tool" or m.get("type") == "function_call_output")
    if tool_results == 0:
        return Reply(tool_calls=[("lookupOrder", {"order_id": "A-1001"})], input_tokens=120, output_tokens=12)
    if tool_results == 1:
        return Reply(
            tool_calls=[("issueRefund", {"order_id": "A-1001", "amount": 25.0})], input_tokens=160, output_tokens=16
        )
    return Reply(text=ANSWER, input_tokens=200, output_tokens=14)


def main() -> None:
    latency = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    with FakeOpenAIServer(handler=scripted_reply, latency=latency) as server:
        print(server.base_url, flush=True)
        try:
            sys.stdin.read()  # the parent closes stdin to stop us
        finally:
            time.sleep(0)


if __name__ == "__main__":
    main()
