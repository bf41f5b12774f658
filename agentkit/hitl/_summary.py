"""The ticket description when none is given: a few lines a human agent can read before the transcript."""

from __future__ import annotations

from collections.abc import Sequence

from agentkit.handoff import TranscriptLine

__all__ = ["summarize"]

_LAST_USER_MESSAGES = 3
_MAX_QUOTE = 300


def summarize(title: str, priority: str, transcript: Sequence[TranscriptLine]) -> str:
    """``Reason``, ``Priority`` and the user's last messages, quoted; the full transcript follows in the ticket."""
    user_lines = [line.text for line in transcript if line.role == "user" and line.text.strip()]
    lines = [f"Reason for the handoff: {title}", f"Priority: {priority}"]
    if user_lines:
        count = len(user_lines)
        lines.append(f"The user sent {count} message{'s' if count != 1 else ''} before the handoff; the latest:")
        lines += [f'- "{_clip(text)}"' for text in user_lines[-_LAST_USER_MESSAGES:]]
    else:
        lines.append("The user had not written anything yet.")
    return "\n".join(lines)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…"
