"""``@tool``: a ``Tool`` from a plain function, its input model built from the signature and the docstring."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin, get_type_hints, overload

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from ..exceptions import ToolDefinitionError
from ._tool import Tool

__all__ = ["FunctionTool", "tool"]

_ARGS_SECTION = re.compile(r"^(\s*)(?:Args|Arguments|Parameters|Params)\s*:\s*$")
_ARG_LINE = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


class FunctionTool(Tool[BaseModel]):
    """A ``Tool`` made by ``@tool``; ``function`` is the decorated function, unchanged."""

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        output: type[BaseModel] | None = None,
        ends_turn: bool = False,
        max_retries: int = 2,
        timeout: float | None = None,
        strict: bool = True,
    ) -> None:
        name = name if name is not None else getattr(function, "__name__", "")
        summary, arg_docs = parse_docstring(inspect.getdoc(function))
        self.function = function
        super().__init__(
            name,
            description if description is not None else summary,
            input_model(function, name, arg_docs),
            _handler(function),
            output=output,
            ends_turn=ends_turn,
            max_retries=max_retries,
            timeout=timeout,
            strict=strict,
        )


@overload
def tool(function: Callable[..., Any], /) -> FunctionTool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    output: type[BaseModel] | None = None,
    ends_turn: bool = False,
    max_retries: int = 2,
    timeout: float | None = None,
    strict: bool = True,
) -> Callable[[Callable[..., Any]], FunctionTool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    output: type[BaseModel] | None = None,
    ends_turn: bool = False,
    max_retries: int = 2,
    timeout: float | None = None,
    strict: bool = True,
) -> FunctionTool | Callable[[Callable[..., Any]], FunctionTool]:
    """Turn a function into a ``Tool``; use as ``@tool`` or ``@tool(name=..., ends_turn=True, ...)``.

    The parameters, with their type hints, defaults and ``Annotated[x, Field(...)]`` metadata, become the input
    model; the docstring's first paragraph is the description and its Google-style ``Args:`` section describes the
    parameters (a ``Field(description=...)`` wins); arguments the function does not take are refused. The function
    is called with keyword arguments, in a worker thread if it is sync. The other options are those of ``Tool``.
    """

    def decorate(function: Callable[..., Any]) -> FunctionTool:
        return FunctionTool(
            function,
            name=name,
            description=description,
            output=output,
            ends_turn=ends_turn,
            max_retries=max_retries,
            timeout=timeout,
            strict=strict,
        )

    return decorate if function is None else decorate(function)


def input_model(function: Callable[..., Any], name: str, arg_docs: dict[str, str]) -> type[BaseModel]:
    """A pydantic model with one field per parameter of ``function``."""
    try:
        hints = get_type_hints(function, include_extras=True)
    except Exception as exc:  # a forward reference that does not resolve, say
        raise ToolDefinitionError(f"tool {name!r}: cannot read the type hints of {function!r}: {exc}") from exc
    fields: dict[str, Any] = {}
    for param in inspect.signature(function).parameters.values():
        _check_parameter(param, hints, name)
        annotation = hints[param.name]
        default = ... if param.default is inspect.Parameter.empty else param.default
        doc = arg_docs.get(param.name)
        if doc and not _has_description(annotation, default):
            annotation = Annotated[annotation, Field(description=doc)]
        fields[param.name] = (annotation, default)
    model_name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\-]", name)) + "Input"
    return create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """The first paragraph, on one line, and the descriptions of a Google-style ``Args:`` section."""
    if not doc:
        return "", {}
    lines = doc.splitlines()
    summary = " ".join(line.strip() for line in _first_paragraph(lines))
    return summary, _args_section(lines)


def _first_paragraph(lines: list[str]) -> list[str]:
    paragraph: list[str] = []
    for line in lines:
        if not line.strip() or _ARGS_SECTION.match(line):
            break
        paragraph.append(line)
    return paragraph


def _args_section(lines: list[str]) -> dict[str, str]:
    docs: dict[str, str] = {}
    section_indent: int | None = None
    entry_indent: int | None = None
    current: str | None = None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if section_indent is None:
            if match := _ARGS_SECTION.match(line):
                section_indent = len(match.group(1))
            continue
        if not line.strip():
            continue
        if indent <= section_indent:  # the next section (Returns:, Raises:, ...)
            break
        entry_indent = indent if entry_indent is None else entry_indent
        if indent == entry_indent and (match := _ARG_LINE.match(line.strip())):
            current = match.group(1)
            docs[current] = match.group(2).strip()
        elif current is not None:  # a continuation line
            docs[current] = f"{docs[current]} {line.strip()}".strip()
    return docs


def _check_parameter(param: inspect.Parameter, hints: dict[str, Any], name: str) -> None:
    if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
        stars = "*" if param.kind is inspect.Parameter.VAR_POSITIONAL else "**"
        raise ToolDefinitionError(
            f"tool {name!r}: parameter {stars}{param.name} is not allowed: the model calls a tool with named "
            "arguments of known types; declare each one as a parameter with a type hint"
        )
    if param.kind is inspect.Parameter.POSITIONAL_ONLY:
        raise ToolDefinitionError(
            f"tool {name!r}: parameter {param.name!r} is positional-only; the tool is called with keyword "
            "arguments, so remove the '/'"
        )
    if param.name not in hints:
        raise ToolDefinitionError(
            f"tool {name!r}: parameter {param.name!r} has no type hint; add one (e.g. `{param.name}: str`), "
            "it becomes the parameter's JSON schema"
        )
    if param.name.startswith("_"):
        raise ToolDefinitionError(
            f"tool {name!r}: parameter {param.name!r} starts with '_', which pydantic cannot take as a field; rename it"
        )


def _has_description(annotation: Any, default: Any) -> bool:
    metadata = get_args(annotation)[1:] if get_origin(annotation) is Annotated else ()
    return any(isinstance(m, FieldInfo) and m.description for m in (*metadata, default))


def _handler(function: Callable[..., Any]) -> Callable[[BaseModel], Any]:
    """Call ``function`` with the validated input's fields as keyword arguments; async if ``function`` is."""
    if inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(getattr(function, "__call__", None)):  # noqa: B004

        async def call_async(args: BaseModel) -> Any:
            return await function(**dict(args))

        return call_async

    def call(args: BaseModel) -> Any:
        return function(**dict(args))

    return call
