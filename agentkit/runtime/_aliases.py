"""Plugin aliases checked before any conversation: a misspelt alias fails when the Agent is built, not when the
model calls the tool (where the error would only reach the model).

The Botpress docs' pattern is a handler that runs ``execute(tools=[handToSupport])``, with a tool whose handler calls
``plugins["hitl"].actions.start_hitl(...)``. The agent cannot run that code ahead of time, so it reads it: the
tools and functions the conversation handler names (its globals and closure, one level of lists), the alias of each
``hand_to_support`` tool, and each constant ``plugins["alias"]`` in their source. What this reading misses (an alias
computed at run time) is still checked on use: ``plugins[...]`` raises, and the loop lets a ``UserError`` in a tool
through instead of sending it to the model; ``run_model`` checks the aliases of the tools it is given.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..exceptions import ConfigError
from ..hitl import HandToSupportTool
from ..tools import Tool

__all__ = ["check_handler_aliases", "check_tool_aliases"]


def check_tool_aliases(plugins: Mapping[str, Any], tools: Sequence[Tool[Any]], *, read_source: bool = True) -> None:
    """Every handoff tool, and every constant ``plugins["alias"]`` in a tool's handler (with ``read_source``),
    names a plugin the agent has."""
    for tool in tools:
        for alias in _aliases_of_tool(tool, read_source):
            _check(alias, plugins, f"tool {tool.name!r}")


def check_handler_aliases(plugins: Mapping[str, Any], handler: Callable[..., Any] | None) -> None:
    """The same for the conversation handler: the aliases in its source and in the tools it names."""
    if handler is None:
        return
    where = f"the conversation handler {getattr(handler, '__qualname__', handler)!r}"
    for alias in _aliases_in_source(handler):
        _check(alias, plugins, where)
    check_tool_aliases(plugins, list(_tools_named_by(handler)))


def _check(alias: str, plugins: Mapping[str, Any], where: str) -> None:
    if alias in plugins:
        return
    known = ", ".join(sorted(plugins)) or "none"
    close = difflib.get_close_matches(alias, list(plugins), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"{where} uses plugin {alias!r}, which this agent does not have{hint} (its plugins: {known})")


def _aliases_of_tool(tool: Tool[Any], read_source: bool) -> Iterator[str]:
    if isinstance(tool, HandToSupportTool):
        yield tool.plugin
        return
    handler = getattr(tool, "handler", None)
    if handler is not None and read_source:
        yield from _aliases_in_source(handler)


def _aliases_in_source(function: Callable[..., Any]) -> Iterator[str]:
    """The constant aliases of ``plugins["..."]`` in ``function``'s source (none when the source is not at hand)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "plugins"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            yield node.slice.value


def _tools_named_by(function: Callable[..., Any]) -> Iterator[Tool[Any]]:
    """The tools ``function`` refers to by name (globals it reads, its closure), alone or in a list or tuple."""
    code = getattr(function, "__code__", None)
    if code is None:
        return
    scope = getattr(function, "__globals__", {})
    values = [scope[name] for name in _names_read(code) if name in scope]
    values += [cell.cell_contents for cell in getattr(function, "__closure__", None) or () if _filled(cell)]
    for value in values:
        if isinstance(value, Tool):
            yield value
        elif isinstance(value, list | tuple):
            yield from (item for item in value if isinstance(item, Tool))


def _names_read(code: Any) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:  # nested functions and comprehensions
        if inspect.iscode(constant):
            yield from _names_read(constant)


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True
