"""What text the stores can hold: PostgreSQL refuses a NUL character in any text value (SQLite would keep it), so
the edges that take text from outside refuse it first, for either backend alike."""

from __future__ import annotations

__all__ = ["contains_nul"]


def contains_nul(value: object) -> bool:
    """Whether a NUL character is in any string (key or value) of a parsed JSON value (any depth)."""
    pending = [value]
    while pending:  # a loop, not recursion: the value may be as deep as its parser allowed
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False
