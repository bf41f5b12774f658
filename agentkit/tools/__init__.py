"""Tools: a pydantic input model and a handler, turned into a function-calling spec."""

from ._decorator import FunctionTool, tool
from ._tool import NAME_PATTERN, Tool, render_output

__all__ = ["FunctionTool", "NAME_PATTERN", "Tool", "render_output", "tool"]
