"""``@tool``: a ``Tool`` from a function's signature and docstring."""

from __future__ import annotations

import inspect
import threading
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from agentkit.exceptions import ToolDefinitionError
from agentkit.tools import FunctionTool, Tool, tool
from agentkit.tools._decorator import parse_docstring


class Address(BaseModel):
    city: str
    zip_code: str | None = None


@tool
def lookup_order(
    order_id: str,
    fields: Annotated[list[str], Field(max_length=3)] = [],  # noqa: B006 - the model's default, never mutated
    ship_to: Address | None = None,
    *,
    verbose: bool = False,
) -> dict[str, Any]:
    """Look up an order
    by its id.

    The order database is read-only.

    Args:
        order_id: The order id, as printed
            on the receipt.
        fields (list[str]): Which fields to return.
        ship_to: Filter on the shipping address.

    Returns:
        The order.
    """
    return {"order_id": order_id, "fields": fields, "ship_to": ship_to, "verbose": verbose}


@tool(name="handToSupport", description="Transfer the conversation to a support agent.", ends_turn=True)
async def escalate(
    reason: Annotated[str, Field(description="Why the conversation needs a support agent")],
    priority: Literal["low", "medium", "high", "urgent"] = "medium",
) -> str:
    """Ignored: the description argument wins.

    Args:
        reason: Ignored too: the Field description wins.
        priority: How urgent it is.
    """
    return f"{reason}/{priority}"


def test_bare_decorator_builds_a_tool() -> None:
    assert isinstance(lookup_order, Tool) and isinstance(lookup_order, FunctionTool)
    assert lookup_order.name == "lookup_order"
    assert lookup_order.description == "Look up an order by its id."
    assert lookup_order.ends_turn is False and lookup_order.strict is True and lookup_order.is_async is False
    assert lookup_order.spec()["function"]["parameters"] == {
        "type": "object",
        "properties": {
            "order_id": {"type": "string", "description": "The order id, as printed on the receipt."},
            "fields": {
                "type": "array",
                "items": {"type": "string"},
                "maxItems": 3,
                "default": [],
                "description": "Which fields to return.",
            },
            "ship_to": {
                "anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}],
                "description": "Filter on the shipping address.",
            },
            "verbose": {"type": "boolean", "default": False},
        },
        "required": ["order_id", "fields", "ship_to", "verbose"],
        "additionalProperties": False,
        "$defs": {
            "Address": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "zip_code": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
                "required": ["city", "zip_code"],
                "additionalProperties": False,
            }
        },
    }


def test_decorator_with_options() -> None:
    assert escalate.name == "handToSupport"
    assert escalate.description == "Transfer the conversation to a support agent."
    assert escalate.ends_turn is True and escalate.is_async is True
    assert escalate.input.__name__ == "HandToSupportInput" and lookup_order.input.__name__ == "LookupOrderInput"
    properties = escalate.parameters["properties"]
    assert properties["reason"]["description"] == "Why the conversation needs a support agent"
    assert properties["priority"] == {
        "type": "string",
        "enum": ["low", "medium", "high", "urgent"],
        "default": "medium",
        "description": "How urgent it is.",
    }


def test_the_hand_to_support_tool_from_design_md() -> None:
    @tool(name="handToSupport", ends_turn=True, max_retries=1, timeout=5)
    def hand_to_support(
        reason: str = Field(description="Why the conversation needs a support agent"),
        priority: Literal["low", "medium", "high", "urgent"] = "medium",
    ) -> str:
        """Transfer the conversation to a support agent."""
        return "escalated"

    assert (hand_to_support.max_retries, hand_to_support.timeout) == (1, 5)
    assert hand_to_support.spec("responses") == {
        "type": "function",
        "name": "handToSupport",
        "description": "Transfer the conversation to a support agent.",
        "parameters": {
            "type": "object",
            "properties": {
                "reason": {"type": "string", "description": "Why the conversation needs a support agent"},
                "priority": {"type": "string", "enum": ["low", "medium", "high", "urgent"], "default": "medium"},
            },
            "required": ["reason", "priority"],
            "additionalProperties": False,
        },
        "strict": True,
    }


async def test_sync_function_is_called_with_keywords_in_a_thread() -> None:
    seen: list[int] = []

    @tool
    def record(order_id: str, *, note: str = "") -> str:
        seen.append(threading.get_ident())
        return f"{order_id}:{note}"

    args = record.parse_arguments('{"order_id": "A1", "note": "hi"}')
    assert await record.invoke(args) == "A1:hi"
    assert seen and seen[0] != threading.get_ident()


async def test_nested_models_reach_the_function_as_models() -> None:
    args = lookup_order.parse_arguments(
        '{"order_id": "A1", "fields": ["x"], "ship_to": {"city": "Oslo"}, "verbose": true}'
    )
    result = await lookup_order.invoke(args)
    assert result == {"order_id": "A1", "fields": ["x"], "ship_to": Address(city="Oslo"), "verbose": True}


async def test_async_function_is_awaited() -> None:
    args = escalate.parse_arguments('{"reason": "refund", "priority": "high"}')
    assert await escalate.invoke(args) == "refund/high"


def test_arguments_are_validated() -> None:
    with pytest.raises(ValidationError):
        lookup_order.parse_arguments('{"order_id": "A1", "fields": ["a", "b", "c", "d"]}')
    with pytest.raises(ValidationError):
        escalate.parse_arguments('{"reason": "x", "priority": "asap"}')
    with pytest.raises(ValidationError):  # an argument the function does not take
        escalate.parse_arguments('{"reason": "x", "priority": "low", "mood": "angry"}')


def test_the_function_stays_reachable() -> None:
    assert lookup_order.function("A2") == {"order_id": "A2", "fields": [], "ship_to": None, "verbose": False}
    assert lookup_order.function.__name__ == "lookup_order"


def test_no_docstring_means_an_empty_description() -> None:
    @tool
    def ping() -> str:
        return "pong"

    assert ping.description == ""
    assert ping.parameters == {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


def test_strict_false_and_strict_errors() -> None:
    def tag(order_id: str, tags: dict[str, str]) -> None:
        """Tag an order."""

    with pytest.raises(ToolDefinitionError, match=r"tool 'tag': field 'tags' is a free-form object.*strict=False"):
        tool(tag)
    loose = tool(strict=False)(tag)
    assert loose.strict is False and loose.spec()["function"]["strict"] is False
    assert loose.parameters["required"] == ["order_id", "tags"]


def test_missing_type_hint_names_the_parameter() -> None:
    def refund(order_id: str, amount) -> None:  # type: ignore[no-untyped-def]
        pass

    with pytest.raises(ToolDefinitionError, match="tool 'refund': parameter 'amount' has no type hint"):
        tool(refund)


def star_args(*reasons: str) -> None:
    pass


def star_kwargs(**options: str) -> None:
    pass


def positional_only(order_id: str, /) -> None:
    pass


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (star_args, r"parameter \*reasons is not allowed"),
        (star_kwargs, r"parameter \*\*options is not allowed"),
        (positional_only, "parameter 'order_id' is positional-only"),
    ],
)
def test_variadic_and_positional_only_parameters_are_refused(function: Any, message: str) -> None:
    with pytest.raises(ToolDefinitionError, match=f"tool '{function.__name__}': {message}"):
        tool(function)


def test_unresolvable_hint_is_a_definition_error() -> None:
    def broken(order: NoSuchType) -> None:  # type: ignore[name-defined]  # noqa: F821
        pass

    with pytest.raises(ToolDefinitionError, match="cannot read the type hints"):
        tool(broken)


def test_bad_name_is_a_definition_error() -> None:
    with pytest.raises(ToolDefinitionError, match="is not allowed"):
        tool(lambda: None)  # named "<lambda>"
    with pytest.raises(ToolDefinitionError, match="is not allowed"):
        tool(name="look up")(lookup_order.function)


def test_parse_docstring() -> None:
    doc = """Refund an order.

    Only for paid orders.

    Arguments:
        order_id (str): The order.
        amount: How much,
            in cents.

            Not more than paid.
        *extra: not a parameter of the tool, but parsed.

    Raises:
        ValueError: never.
    """
    summary, args = parse_docstring(inspect.cleandoc(doc))
    assert summary == "Refund an order."
    assert args == {
        "order_id": "The order.",
        "amount": "How much, in cents. Not more than paid.",
        "extra": "not a parameter of the tool, but parsed.",
    }
    assert parse_docstring(None) == ("", {})
    assert parse_docstring("Args:\n    x: an x") == ("", {"x": "an x"})
