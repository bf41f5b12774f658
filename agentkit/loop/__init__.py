"""The tool-calling loop: ``execute``, and ``execute_stream`` (the same loop, as events)."""

from ._alarms import Cutoff, alarms
from ._deadline import check_timeout, within_deadline
from ._events import DoneEvent, StreamEvent, TextDeltaEvent, ToolCallEvent, ToolResultEvent
from ._execute import execute, execute_sync
from ._hooks import Hooks, ToolInvocation
from ._result import ExecuteResult, Status, ToolCallRecord, Trace
from ._stream import execute_stream
from ._tool_calls import ending_turn

__all__ = [
    "Cutoff",
    "DoneEvent",
    "ExecuteResult",
    "Hooks",
    "Status",
    "StreamEvent",
    "TextDeltaEvent",
    "ToolCallEvent",
    "ToolCallRecord",
    "ToolInvocation",
    "ToolResultEvent",
    "Trace",
    "alarms",
    "check_timeout",
    "ending_turn",
    "execute",
    "execute_stream",
    "execute_sync",
    "within_deadline",
]
