"""``Tool``: definition checks, the chat and responses specs, argument parsing and invocation."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from agentkit import Autonomous
from agentkit.exceptions import ToolDefinitionError
from agentkit.tools import Tool


class HandToSupportInput(BaseModel):
    reason: str = Field(description="Why the conversation needs a support agent")
    priority: Literal["low", "medium", "high", "urgent"] = "medium"


class Ticket(BaseModel):
    id: int
    status: str


def escalate(args: HandToSupportInput) -> str:
    return f"escalated: {args.reason} ({args.priority})"


def make(name: str = "handToSupport", **options: Any) -> Tool[Any]:
    options.setdefault("input", HandToSupportInput)
    options.setdefault("handler", escalate)
    return Tool(name, "Transfer the conversation to a support agent.", **options)


PARAMETERS = {
    "type": "object",
    "properties": {
        "reason": {"type": "string", "description": "Why the conversation needs a support agent"},
        "priority": {"type": "string", "enum": ["low", "medium", "high", "urgent"], "default": "medium"},
    },
    "required": ["reason", "priority"],
    "additionalProperties": False,
}


# --- definition ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "a" * 65, "hand to support", "support.escalate", "émile", "a/b"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ToolDefinitionError, match=r"\^\[a-zA-Z0-9_-\]\{1,64\}\$"):
        make(name)


@pytest.mark.parametrize("name", ["a", "a" * 64, "hand_To-support9", "-", "_"])
def test_good_names_are_accepted(name: str) -> None:
    assert make(name).name == name


@dataclasses.dataclass
class NotAModel:
    reason: str


@pytest.mark.parametrize("bad_input", [dict, NotAModel, HandToSupportInput(reason="an instance"), None, "Model"])
def test_input_must_be_a_pydantic_model_class(bad_input: Any) -> None:
    with pytest.raises(ToolDefinitionError, match="input must be a pydantic BaseModel subclass"):
        make(input=bad_input)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"handler": "escalate"}, "handler must be callable"),
        ({"max_retries": -1}, "max_retries must be 0 or more"),
        ({"timeout": 0}, "timeout must be a positive number"),
    ],
)
def test_other_definition_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolDefinitionError, match=message):
        make(**options)


def test_autonomous_tool_is_tool() -> None:
    assert Autonomous.Tool is Tool


def test_strict_mode_errors_name_the_tool_and_non_strict_is_sent_as_such() -> None:
    class Tagged(BaseModel):
        tags: dict[str, str]

    with pytest.raises(ToolDefinitionError, match="tool 'tag_order': field 'tags'"):
        make("tag_order", input=Tagged)
    loose = make("tag_order", input=Tagged, strict=False)
    assert loose.strict is False and loose.spec()["function"]["strict"] is False
    assert loose.spec("responses")["strict"] is False
    assert loose.parameters["properties"]["tags"] == {"additionalProperties": {"type": "string"}, "type": "object"}


# --- specs --------------------------------------------------------------------------------------------------------


def test_chat_spec_shape() -> None:
    assert make().spec() == {
        "type": "function",
        "function": {
            "name": "handToSupport",
            "description": "Transfer the conversation to a support agent.",
            "parameters": PARAMETERS,
            "strict": True,
        },
    }
    assert make().spec(api="chat") == make().spec()


def test_responses_spec_shape() -> None:
    assert make().spec(api="responses") == {
        "type": "function",
        "name": "handToSupport",
        "description": "Transfer the conversation to a support agent.",
        "parameters": PARAMETERS,
        "strict": True,
    }


def test_spec_is_computed_once() -> None:
    tool = make()
    assert tool.spec() is tool.spec()
    assert tool.spec("responses") is tool.spec("responses")
    assert tool.parameters is tool.spec()["function"]["parameters"] is tool.spec("responses")["parameters"]


def test_unknown_api_is_refused() -> None:
    with pytest.raises(ValueError, match="api must be 'chat' or 'responses'"):
        make().spec(api="completions")  # type: ignore[arg-type]


# --- parse_arguments ----------------------------------------------------------------------------------------------


def test_parse_arguments_validates_json() -> None:
    tool = make()
    args = tool.parse_arguments('{"reason": "refund denied", "priority": "high"}')
    assert args == HandToSupportInput(reason="refund denied", priority="high")
    assert tool.parse_arguments('{"reason": "x"}').priority == "medium"
    with pytest.raises(ValidationError):
        tool.parse_arguments('{"reason": "x", "priority": "asap"}')
    with pytest.raises(ValidationError):
        tool.parse_arguments('{"reason": ')
    with pytest.raises(ValidationError):
        tool.parse_arguments("")  # read as {}: reason is missing


# --- invoke -------------------------------------------------------------------------------------------------------


async def test_sync_handler_runs_in_a_worker_thread() -> None:
    threads: list[int] = []

    def handler(args: HandToSupportInput) -> str:
        threads.append(threading.get_ident())
        return escalate(args)

    tool = make(handler=handler)
    assert tool.is_async is False
    assert await tool.invoke(HandToSupportInput(reason="x")) == "escalated: x (medium)"
    assert threads and threads[0] != threading.get_ident()


async def test_async_handler_runs_on_the_loop() -> None:
    threads: list[int] = []

    async def handler(args: HandToSupportInput) -> str:
        threads.append(threading.get_ident())
        return escalate(args)

    tool = make(handler=handler)
    assert tool.is_async is True
    assert await tool.invoke(HandToSupportInput(reason="y", priority="urgent")) == "escalated: y (urgent)"
    assert threads == [threading.get_ident()]


async def test_async_callable_object_is_awaited() -> None:
    class Handler:
        async def __call__(self, args: HandToSupportInput) -> str:
            return "called"

    tool = make(handler=Handler())
    assert tool.is_async is True
    assert await tool.invoke(HandToSupportInput(reason="z")) == "called"


async def test_async_handler_timeout() -> None:
    async def slow(args: HandToSupportInput) -> str:
        await asyncio.sleep(10)
        return "too late"

    with pytest.raises(TimeoutError):
        await make(handler=slow, timeout=0.05).invoke(HandToSupportInput(reason="x"))


async def test_sync_handler_timeout() -> None:
    release = threading.Event()

    def stuck(args: HandToSupportInput) -> str:
        release.wait(5)
        return "too late"

    try:
        with pytest.raises(TimeoutError):
            await make(handler=stuck, timeout=0.05).invoke(HandToSupportInput(reason="x"))
    finally:
        release.set()


async def test_output_model_validates_the_result() -> None:
    tool = make(handler=lambda args: {"id": 7, "status": "open"}, output=Ticket)
    assert await tool.invoke(HandToSupportInput(reason="x")) == Ticket(id=7, status="open")
    broken = make(handler=lambda args: {"id": "seven"}, output=Ticket)
    with pytest.raises(ValidationError):
        await broken.invoke(HandToSupportInput(reason="x"))


async def test_handler_exceptions_propagate() -> None:
    def fails(args: HandToSupportInput) -> str:
        raise LookupError("no such order")

    with pytest.raises(LookupError, match="no such order"):
        await make(handler=fails).invoke(HandToSupportInput(reason="x"))
