"""What a run returns: ``ExecuteResult``, one ``ToolCallRecord`` per tool call, and the ``Trace``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..models import Message, Usage

Status = Literal["responded", "ended_by_tool", "iterations_exhausted"]


@dataclass(slots=True)
class ToolCallRecord:
    """One tool call: ``arguments`` is the parsed dict (or the raw text when it was not valid JSON)."""

    name: str
    arguments: Any
    output: Any = None
    error: str | None = None
    call_id: str = ""
    iteration: int = 0
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class Trace:
    """Each model request, reply and tool call of a run, with timings; ``write_jsonl`` saves it."""

    events: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, **data: Any) -> None:
        self.events.append({"type": kind, **data})

    def write_jsonl(self, path: str | Path) -> Path:
        path = Path(path)
        with path.open("w", encoding="utf-8") as out:
            for event in self.events:
                out.write(json.dumps(event, default=_jsonable, ensure_ascii=False) + "\n")
        return path


@dataclass(slots=True)
class ExecuteResult:
    """The outcome of ``execute``.

    ``text`` is the assistant's reply to the user (None when a tool ended the turn or iterations ran out);
    ``messages`` are only the messages this run added, in OpenAI chat format, ready to append to the history.
    """

    status: Status
    text: str | None
    tool_calls: list[ToolCallRecord]
    messages: list[Message]
    usage: Usage
    iterations: int
    trace: Trace = field(default_factory=Trace)

    @property
    def ended_by(self) -> str | None:
        """The name of the tool that ended the turn, if one did."""
        if self.status != "ended_by_tool":
            return None
        return next((r.name for r in reversed(self.tool_calls) if r.ok), None)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)
