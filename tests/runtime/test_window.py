"""The history window: bounded, never a tool result without its call, a note for what was cut, one retry on a
context-length 400, an oversized message cut with a marker, and the stored history whole."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agentkit.models import OpenAIModel, ScriptedModel
from agentkit.runtime import Agent, Conversation, HandlerContext
from agentkit.runtime._window import estimate_tokens, fit_history
from agentkit.testing import FakeOpenAIServer, Fault, Reply

WINDOW_BYTES = 40_000  # the fake model's context window, in bytes of request body


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def bot(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def tool_round(call_id: str, result: str) -> list[dict[str, Any]]:
    calls = [{"id": call_id, "type": "function", "function": {"name": "lookupOrder", "arguments": "{}"}}]
    return [{"role": "assistant", "content": None, "tool_calls": calls},
            {"role": "tool", "tool_call_id": call_id, "content": result}]  # fmt: skip


def test_the_window_keeps_the_latest_messages_that_fit_and_notes_the_rest() -> None:
    history = [user(f"question {n} " + "x" * 400) if n % 2 == 0 else bot(f"answer {n}") for n in range(40)]
    window = fit_history(history, 1_000)
    assert sum(estimate_tokens(m) for m in window[1:]) <= 1_000
    assert window[-1] == history[-1] and window[1:] == history[len(history) - len(window) + 1 :]
    note = window[0]
    assert note["role"] == "system" and f"{len(history) - len(window) + 1} earlier messages" in note["content"]
    assert 'began: "question 0 xxx' in note["content"]


def test_a_history_that_fits_is_sent_as_it_is() -> None:
    history = [user("hi"), bot("hello"), user("where is my order?")]
    assert fit_history(history, 1_000) == history and fit_history(history, None) == history


def test_a_tool_result_is_never_sent_without_its_call() -> None:
    history = [user("old " * 300), *tool_round("call_1", "r" * 2_000), user("and now?")]
    window = fit_history(history, 300)
    roles = [m["role"] for m in window]
    assert "tool" not in roles or roles[roles.index("tool") - 1] == "assistant"
    for position, message in enumerate(window):
        if message["role"] == "tool":
            assert window[position - 1].get("tool_calls")
    orphan = [{"role": "tool", "tool_call_id": "gone", "content": "x"}, user("hi")]
    assert fit_history(orphan, 1_000) == [user("hi")]


def test_an_oversized_message_is_cut_in_the_middle_with_a_marker() -> None:
    pasted = "START " + "log line\n" * 7_000 + " END"
    (window,) = fit_history([user(pasted)], 2_000)
    assert window["content"].startswith("START ") and window["content"].endswith(" END")
    assert "characters cut here to fit the context window" in window["content"]
    assert estimate_tokens(window) <= 1_100


def reference_window(history: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The window as first written (every unit cut and sized, then kept from the newest while it fits): the faster
    ``fit_history`` must give the same messages."""
    from agentkit.runtime._window import _cut, _note, _units

    units = [[_cut(m, budget // 2)[0] for m in unit] for unit in _units(history)]
    kept: list[list[dict[str, Any]]] = []
    used = 0
    for unit in reversed(units):
        cost = sum(estimate_tokens(m) for m in unit)
        if kept and used + cost > budget:
            break
        kept.insert(0, unit)
        used += cost
    dropped = [m for unit in units[: len(units) - len(kept)] for m in unit]
    window = [m for unit in kept for m in unit]
    return [_note(dropped), *window] if dropped else window


@pytest.mark.parametrize("seed", range(40))
def test_the_window_is_the_same_as_sizing_every_message_first(seed: int) -> None:
    import random

    rng = random.Random(seed)
    history: list[dict[str, Any]] = []
    for n in range(rng.randrange(1, 30)):
        kind = rng.random()
        if kind < 0.15:
            history += tool_round(f"call_{n}", "r" * rng.choice([10, 900, 5_000]))
        else:
            text = f"message {n} " + "y" * rng.choice([0, 20, 300, 1_500, 9_000])
            history.append(user(text) if kind < 0.6 else bot(text))
    budget = rng.choice([256, 500, 1_000, 3_000])
    assert fit_history(history, budget) == reference_window(history, max(budget, 256))


# -- an agent against an endpoint with a 40 kB context window --


@pytest.fixture
async def small_context_server() -> AsyncIterator[FakeOpenAIServer]:
    async def handler(body: dict[str, Any]) -> Reply | Fault:
        size = len(json.dumps(body))
        if size > WINDOW_BYTES:
            return Fault.status(400, json={"error": {"message": f"This model's maximum context length is 10000 "
                                                      f"tokens; your messages are {size // 4}.",
                                                      "code": "context_length_exceeded"}})  # fmt: skip
        return Reply(text=f"seen {len(body['messages'])} messages")

    async with FakeOpenAIServer(handler=handler) as server:
        yield server


async def answer(ctx: HandlerContext) -> None:
    await ctx.execute(instructions="Be brief.")


def windowed_agent(model: OpenAIModel, **kwargs: Any) -> Agent:
    return Agent("bot", model, conversation=Conversation(handler=answer), **kwargs)


@pytest.mark.parametrize("max_history_tokens", [8_000, 1_000_000])  # the default, and one the 400 must shrink
async def test_a_60_kb_message_does_not_break_the_conversation(
    small_context_server: FakeOpenAIServer, max_history_tokens: int
) -> None:
    pasted = "ERROR at step {n}: something broke\n" * 1_800  # ~60 kB
    assert len(pasted) > 60_000
    model = OpenAIModel("gpt-4o-mini", base_url=small_context_server.base_url, api_key="test")
    async with model, windowed_agent(model, max_history_tokens=max_history_tokens) as agent:
        first = await agent.receive("c1", pasted)
        replies = [await agent.receive("c1", f"short question {n}") for n in range(3)]
        stored = await agent.history("c1")
    assert first[0].role == "bot" and first[0].text.startswith("seen")
    assert [r[0].role for r in replies] == ["bot"] * 3
    assert stored[0].text == pasted  # the stored history stays whole
    too_long = [body for body in small_context_server.model_requests() if len(json.dumps(body)) > WINDOW_BYTES]
    assert len(too_long) == (0 if max_history_tokens == 8_000 else 1)  # one 400, then the window stays smaller


async def test_the_window_is_what_the_model_is_sent() -> None:
    model = ScriptedModel(["one", "two", "three"])
    async with Agent("bot", model, max_history_tokens=300, conversation=Conversation(handler=answer)) as agent:
        for n in range(3):
            await agent.receive("c1", f"message {n} " + "y" * 600)
    last = model.requests[-1].messages
    assert last[0]["role"] == "system" and last[1]["role"] == "system" and "earlier messages" in last[1]["content"]
    assert last[-1]["content"].startswith("message 2")
