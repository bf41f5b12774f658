"""One worker process of ``test_two_workers``: an Agent on a shared store, driven by JSON lines on stdin.

``python two_workers_script.py URL NAME``, then one command per line:

- ``{"op": "say", "cid": ..., "text": ...}``: ``agent.receive`` in a task of its own, started in the order the
  lines arrive (as a web server would); prints ``{"said": text, "ids": [<the stored message's id>]}`` when done;
- ``{"op": "escalate", "cid": ...}``: ``start_hitl`` at once, outside any turn; prints its status;
- ``{"op": "quit"}``: waits for the tasks, closes the agent, prints ``{"violations": [...]}``, exits.

The model echoes the user, or hands to support when asked for a person; it checks the history it is given: whole
turns only (each user message followed by its own echo), its own message last. A turn of another worker
interleaved into this one breaks that, and is reported as a violation.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable
from typing import Any

from agentkit.desk import LocalDesk
from agentkit.hitl import DeskHitl
from agentkit.models import FunctionModel, ModelResponse, call
from agentkit.runtime import Agent

violations: list[str] = []


def echo(messages: list[dict[str, Any]], tools: object) -> str | ModelResponse:
    history = [m for m in messages if m["role"] in ("user", "assistant") and m.get("content")]
    said = history[-1]["content"] if history and history[-1]["role"] == "user" else None
    for position in range(0, len(history) - 1, 2):
        asked, answered = history[position], history[position + 1]
        if answered["role"] != "assistant" or answered["content"] != f"echo {asked['content']}":
            violations.append(f"the model got a history with a turn cut in two before {said!r}")
            break
    if said is None:
        violations.append("the model was called without the user's message last")
        return "echo ?"
    if "person" in said:
        return call("handToSupport", reason="Wants a person")
    return f"echo {said}"


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


async def say(agent: Agent, cid: str, text: str) -> None:
    replies = await agent.receive(cid, text, user={"id": "u1", "name": "Jo"})
    accepted = [m.id for m in await agent.history(cid) if m.role == "user" and m.text == text]
    emit({"said": text, "ids": accepted, "replies": [m.text for m in replies]})


async def escalate(plugin: DeskHitl, cid: str) -> None:
    started = await plugin.actions.start_hitl(cid, "Wants a person", user_id="u1")
    emit({"escalated": cid, "status": started.status})


async def reporting(work: Awaitable[None]) -> None:
    """A failed command answers with its error, so the test fails on it instead of waiting for an answer."""
    try:
        await work
    except Exception as error:
        emit({"error": f"{type(error).__name__}: {error}"})


async def main(url: str, name: str) -> None:
    plugin = DeskHitl(LocalDesk(url), poll_interval=0.05)
    agent = Agent(name, FunctionModel(echo), plugins={"desk-hitl": plugin}, store=url)
    tasks: list[asyncio.Task[None]] = []
    async with agent:
        emit({"ready": name})
        while (line := await asyncio.to_thread(sys.stdin.readline)) and json.loads(line)["op"] != "quit":
            command = json.loads(line)
            if command["op"] == "say":
                tasks.append(asyncio.create_task(reporting(say(agent, command["cid"], command["text"]))))
            else:
                tasks.append(asyncio.create_task(reporting(escalate(plugin, command["cid"]))))
        await asyncio.gather(*tasks)
    emit({"violations": violations})


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
