"""The tool-calling loop."""

from ._execute import execute, execute_sync
from ._hooks import Hooks, ToolInvocation
from ._result import ExecuteResult, Status, ToolCallRecord, Trace

__all__ = [
    "ExecuteResult",
    "Hooks",
    "Status",
    "ToolCallRecord",
    "ToolInvocation",
    "Trace",
    "execute",
    "execute_sync",
]
