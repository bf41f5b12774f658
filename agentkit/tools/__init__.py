"""Tools: a pydantic input model and a handler, turned into a function-calling spec."""

from ._tool import NAME_PATTERN, Tool, render_output

__all__ = ["NAME_PATTERN", "Tool", "render_output"]
