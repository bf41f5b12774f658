"""``Tool`` (also ``Autonomous.Tool``): a name, a description, a pydantic input model and a handler."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Literal, TypeVar, cast

from pydantic import BaseModel, TypeAdapter

from ..exceptions import ToolDefinitionError
from ._schema import tool_parameters

__all__ = ["Tool", "NAME_PATTERN"]

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
InputT = TypeVar("InputT", bound=BaseModel)
Handler = Callable[[InputT], Any] | Callable[[InputT], Awaitable[Any]]
Api = Literal["chat", "responses"]


class Tool(Generic[InputT]):
    """A function the model may call.

    ``handler`` receives the validated ``input`` model; it may be sync (run in a worker thread, so it never blocks
    the event loop) or async. With ``ends_turn=True`` a successful call ends the run: no model request follows it.
    ``max_retries`` is how many failed calls (bad arguments, ``ToolError``, timeouts) the model gets before the run
    fails; ``timeout`` is in seconds. ``strict=False`` accepts schemas that strict mode cannot express
    (``dict[str, X]``, say) and sends a non-strict spec.
    """

    def __init__(
        self,
        name: str,
        description: str,
        input: type[InputT],
        handler: Handler[InputT],
        *,
        output: type[BaseModel] | None = None,
        ends_turn: bool = False,
        max_retries: int = 2,
        timeout: float | None = None,
        strict: bool = True,
    ) -> None:
        _check_definition(name, description, input, handler, max_retries, timeout)
        self.name = name
        self.description = description
        self.input = input
        self.handler = handler
        self.output = output
        self.ends_turn = ends_turn
        self.max_retries = max_retries
        self.timeout = timeout
        self.is_async = inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
            getattr(handler, "__call__", None)  # noqa: B004 - an async callable object
        )
        parameters, self.strict = tool_parameters(input, name=name, strict=strict)
        self._specs = _build_specs(name, description, parameters, self.strict)
        self._output_adapter = TypeAdapter(output) if output is not None else None

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r}, input={self.input.__name__}, ends_turn={self.ends_turn})"

    @property
    def parameters(self) -> dict[str, Any]:
        """The JSON schema of the arguments, as sent to the model."""
        return cast(dict[str, Any], self._specs["chat"]["function"]["parameters"])

    def spec(self, api: Api = "chat") -> dict[str, Any]:
        """The function-calling spec for the Chat Completions (``"chat"``) or Responses API; computed once.

        The dict is shared between calls: read it, don't change it.
        """
        try:
            spec: dict[str, Any] = self._specs[api]
        except KeyError:
            raise ValueError(f"api must be 'chat' or 'responses', not {api!r}") from None
        return spec

    def parse_arguments(self, arguments: str) -> InputT:
        """Validate the model's raw JSON arguments. Raises ``pydantic.ValidationError``."""
        return self.input.model_validate_json(arguments or "{}")

    async def invoke(self, args: InputT) -> Any:
        """Run the handler on validated arguments, within ``timeout``, and check the output model if any."""
        async with asyncio.timeout(self.timeout):
            if self.is_async:
                result = await cast(Callable[[InputT], Awaitable[Any]], self.handler)(args)
            else:
                result = await asyncio.to_thread(self.handler, args)
        if self._output_adapter is not None:
            result = self._output_adapter.validate_python(result)
        return result


def render_output(output: Any) -> str:
    """The text the model sees for a tool's return value."""
    if isinstance(output, str):
        return output
    if isinstance(output, BaseModel):
        return output.model_dump_json()
    if output is None:
        return ""
    return json.dumps(output, default=str, ensure_ascii=False)


def _check_definition(
    name: str, description: str, input: Any, handler: Any, max_retries: int, timeout: float | None
) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ToolDefinitionError(
            f"tool name {name!r} is not allowed: use 1 to 64 letters, digits, '_' or '-' "
            "(the pattern ^[a-zA-Z0-9_-]{1,64}$ that OpenAI-compatible APIs require)"
        )
    if not isinstance(description, str):
        raise ToolDefinitionError(f"tool {name!r}: description must be a string, not {type(description).__name__}")
    if not (isinstance(input, type) and issubclass(input, BaseModel)):
        raise ToolDefinitionError(
            f"tool {name!r}: input must be a pydantic BaseModel subclass, not {input!r}; "
            "declare `class MyInput(BaseModel): ...` and pass input=MyInput (or use the @tool decorator)"
        )
    if not callable(handler):
        raise ToolDefinitionError(f"tool {name!r}: handler must be callable, not {handler!r}")
    if max_retries < 0:
        raise ToolDefinitionError(f"tool {name!r}: max_retries must be 0 or more, not {max_retries}")
    if timeout is not None and timeout <= 0:
        raise ToolDefinitionError(f"tool {name!r}: timeout must be a positive number of seconds or None")


def _build_specs(name: str, description: str, parameters: dict[str, Any], strict: bool) -> dict[str, Any]:
    function = {"name": name, "description": description, "parameters": parameters, "strict": strict}
    return {
        "chat": {"type": "function", "function": function},
        "responses": {"type": "function", **function},
    }
