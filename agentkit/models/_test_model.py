"""``TestModel``: calls the tools with arguments generated from their JSON schemas, then answers.

Like pydantic-ai's TestModel: no script to write, and every tool's handler runs with valid input. The final text is
a JSON object of each tool's output, so a test can see what the tools returned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ._base import Message, ModelResponse, ToolCall, ToolSpecSource, Usage

__all__ = ["TestModel", "example_arguments"]


class TestModel:
    """First request: one call to each tool (or those named in ``call_tools``). Next request: the text answer."""

    __test__ = False  # not a pytest test class

    def __init__(self, call_tools: Sequence[str] | None = None, text: str | None = None) -> None:
        self.call_tools = call_tools
        self.text = text
        self.requests = 0

    @property
    def name(self) -> str:
        return "test"

    async def request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        self.requests += 1
        results = [m for m in messages if m.get("role") == "tool"]
        chosen = [t for t in tools if self.call_tools is None or t.name in self.call_tools]
        if results or not chosen:
            return ModelResponse(text=self.text or _summary(messages), usage=Usage(requests=1))
        calls = tuple(
            ToolCall(f"test_call_{i}", t.name, json.dumps(example_arguments(t.spec()["function"]["parameters"])))
            for i, t in enumerate(chosen)
        )
        return ModelResponse(tool_calls=calls, usage=Usage(requests=1), finish_reason="tool_calls")


def _summary(messages: Sequence[Message]) -> str:
    names = {c["id"]: c["function"]["name"] for m in messages for c in m.get("tool_calls") or ()}
    outputs = {names.get(m.get("tool_call_id"), "?"): m.get("content") for m in messages if m.get("role") == "tool"}
    return json.dumps(outputs) if outputs else "success (no tool calls)"


def example_arguments(schema: Mapping[str, Any], defs: Mapping[str, Any] | None = None) -> Any:
    """A value valid for ``schema`` (the subset of JSON Schema that function-calling specs use)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return example_arguments(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example_arguments(options[0], defs)
    return _example_of_type(schema, defs)


def _example_of_type(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: example_arguments(sub, defs) for name, sub in props.items()}
    if kind == "array":
        item = example_arguments(schema.get("items", {}), defs)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "string":
        return _example_string(schema)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        return int(low) if kind == "integer" else float(low)
    return {"boolean": True, "null": None}.get(kind, "a")


def _example_string(schema: Mapping[str, Any]) -> str:
    formats = {"date-time": "2024-01-01T00:00:00Z", "date": "2024-01-01", "email": "user@example.com"}
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in formats:
        return formats[fmt]
    return "a" * max(1, int(schema.get("minLength", 1)))
