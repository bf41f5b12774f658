"""Checks at the edge: what a channel passes to ``Agent.receive`` is refused with a ``UserError`` naming the argument,
before anything is stored, when it would break the conversation later.

A ``None`` or a number stored as the user's text makes every later request to the model fail (the API refuses a
message without text); a lone surrogate cannot be encoded as UTF-8 (the store and the API both fail on it); a NUL
character is cut or refused by databases and APIs. The fix is the caller's: the message names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..exceptions import UserError

__all__ = ["check_receive"]

_USER_FIELDS = ("id", "name", "email")


def check_receive(conversation_id: Any, text: Any, user: Any) -> None:
    """Raise ``UserError`` when ``receive(conversation_id, text, user)`` was given something it cannot store."""
    check_text("conversation_id", conversation_id)
    if not conversation_id:
        raise UserError("receive(conversation_id=...) must not be empty; pass the channel's id for the conversation")
    check_text("text", text)
    if user is None:
        return
    if not isinstance(user, Mapping):
        raise UserError(
            f"receive(user=...) must be a mapping like {{'id': 'u1', 'name': 'Jo', 'email': 'jo@example.com'}} "
            f"or None, not {type(user).__name__} {user!r:.80}"
        )
    for key in _USER_FIELDS:
        if user.get(key) is not None:
            check_text(f"user[{key!r}]", user[key])


def check_text(name: str, value: Any) -> None:
    """``value`` must be a ``str`` that is valid Unicode text without NUL characters."""
    if not isinstance(value, str):
        raise UserError(f"receive({name}=...) must be a str, not {type(value).__name__} {value!r:.80}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise UserError(
            f"receive({name}=...) holds a lone surrogate ({value[error.start]!r}) at position {error.start}, which is "
            "not text: decode the input as UTF-8 (with errors='replace' if it may be broken) before passing it"
        ) from None
    if "\x00" in value:
        raise UserError(
            f"receive({name}=...) holds a NUL character at position {value.index(chr(0))}; remove it "
            "(it is not text a person typed, and databases and APIs refuse it)"
        )
