"""Store URLs: which backend, and where.

``sqlite:///relative.db``, ``sqlite:////abs/path.db``, ``sqlite://:memory:`` (or ``sqlite://``), a plain path, and
``postgresql://user:password@host:port/database`` (also ``postgres://``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal

from ..exceptions import ConfigError

__all__ = ["Location", "parse_url", "redact"]

MEMORY = ":memory:"
_SQLITE_MEMORY = ("sqlite://", "sqlite:///", "sqlite://:memory:", "sqlite:///:memory:", MEMORY, "")
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


@dataclass(frozen=True)
class Location:
    """``backend`` and ``target``: the sqlite3 path (or ``":memory:"``), or the PostgreSQL URL as given."""

    backend: Literal["sqlite", "postgresql"]
    target: str


def parse_url(url: str | os.PathLike[str]) -> Location:
    value = os.fspath(url)
    if value.startswith(("postgresql://", "postgres://")):
        return Location("postgresql", value)
    if value in _SQLITE_MEMORY:
        return Location("sqlite", MEMORY)
    if value.startswith("sqlite:///"):
        return Location("sqlite", value.removeprefix("sqlite:///"))
    if value.startswith("sqlite://"):
        return Location("sqlite", value.removeprefix("sqlite://"))
    if "://" in value:
        raise ConfigError(
            f"store {redact(value)!r} is not a store URL; use 'sqlite:///path/to/agent.db', 'sqlite://:memory:' "
            "or 'postgresql://user:password@host:5432/database'"
        )
    return Location("sqlite", value)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return _PASSWORD.sub(r"\1***@", url)
