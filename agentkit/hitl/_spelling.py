"""Botpress spellings in agentkit code: ``actions.startHitl(conversationId=...)`` fails naming ``start_hitl`` and
``conversation_id``, instead of an ``AttributeError`` or a ``TypeError`` that leaves the porter guessing."""

from __future__ import annotations

import difflib
import functools
import inspect
import re
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

from ..exceptions import ConfigError

__all__ = ["closest", "snake_case", "snake_case_keywords", "unknown_attribute"]

P = ParamSpec("P")
R = TypeVar("R")
_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    """``startHitl`` -> ``start_hitl``, ``conversationId`` -> ``conversation_id``."""
    return _HUMP.sub(r"_\1", name).lower()


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` was meant to be: its snake_case, else the closest as written, else the closest to
    its snake_case; None when nothing is close."""
    known = list(known)
    if snake_case(name) in known:
        return snake_case(name)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
    close = close or difflib.get_close_matches(snake_case(name), known, n=1, cutoff=0.7)
    return close[0] if close else None


def unknown_attribute(owner: str, name: str, known: Iterable[str]) -> Exception:
    """The error for ``owner.name`` that does not exist: a ``ConfigError`` for a Botpress (camelCase) spelling of
    a known name, else an ``AttributeError`` (so that ``hasattr`` and ``getattr(..., default)`` keep working)."""
    known = sorted(known)
    if name != snake_case(name) and snake_case(name) in known:
        return ConfigError(f"{owner}.{name}: agentkit spells it {snake_case(name)} (snake_case, not camelCase)")
    guess = closest(name, known)
    hint = f"; did you mean {guess}?" if guess else ""
    return AttributeError(f"{owner} has no {name!r}{hint} (it has: {', '.join(known)})")


def snake_case_keywords(function: Callable[P, R]) -> Callable[P, R]:
    """Refuse camelCase keywords of ``function`` by their snake_case name (``conversationId=`` ->
    ``conversation_id=``) and misspelt ones with the closest name, before the call."""
    parameters = inspect.signature(function).parameters
    names = [name for name in parameters if name != "self"]
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())

    @functools.wraps(function)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        for key in kwargs:
            if key not in parameters and not open_ended:
                raise _unknown_keyword(function.__name__, key, names)
        return function(*args, **kwargs)

    return checked


def _unknown_keyword(function: str, key: str, names: list[str]) -> ConfigError:
    if snake_case(key) in names:
        snake = snake_case(key)
        return ConfigError(f"{function}() takes {snake}=, not {key}= (agentkit spells keywords in snake_case)")
    guess = closest(key, names)
    hint = f"; did you mean {guess}=?" if guess else f"; it takes: {', '.join(names)}"
    return ConfigError(f"{function}() has no keyword {key}={hint}")
