"""Values a tool handler can read while it runs: ``context.get("conversation")``, ``context.get("user")``,
``context.get("message")`` (the user message being answered).

Backed by a ``contextvars.ContextVar``, so each conversation (each asyncio task) sees its own values, and sync
handlers running in a worker thread see them too (``asyncio.to_thread`` copies the context).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

__all__ = ["get", "scope", "snapshot"]

_values: ContextVar[Mapping[str, Any]] = ContextVar("agentkit_context", default=MappingProxyType({}))
_MISSING = object()


def get(key: str, default: Any = _MISSING) -> Any:
    """The value set for ``key`` in the running conversation; ``KeyError`` naming the known keys if unset."""
    values = _values.get()
    if key in values:
        return values[key]
    if default is not _MISSING:
        return default
    known = ", ".join(sorted(values)) or "none"
    raise KeyError(f"context has no {key!r} here (known keys: {known}); set it with context.scope({key}=...)")


def snapshot() -> Mapping[str, Any]:
    """All values visible here, read-only."""
    return _values.get()


def scope(**values: Any) -> AbstractContextManager[None]:
    """Add ``values`` for the code inside the ``with`` block, on top of what is already set."""
    return _Scope(values)


class _Scope:
    """``scope``'s block: a class, not a generator (every message enters two)."""

    __slots__ = ("_token", "_values")

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __enter__(self) -> None:
        self._token = _values.set(MappingProxyType({**_values.get(), **self._values}))

    def __exit__(self, *_: object) -> None:
        _values.reset(self._token)
