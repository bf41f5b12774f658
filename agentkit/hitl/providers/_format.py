"""What the human agent reads: the ticket body built from the description and the transcript."""

from __future__ import annotations

import html
import time

from agentkit.handoff import TranscriptLine, User
from agentkit.hitl._provider import EscalationRequest

__all__ = ["base_url_for", "ticket_html", "ticket_text", "user_label"]

_ROLE_LABELS = {"user": "User", "bot": "Bot", "agent": "Agent", "system": "System"}


def base_url_for(name_or_url: str, domain: str) -> str:
    """``acme`` -> ``https://acme.{domain}``; a full URL (a proxy, a fake on loopback) is used as it is."""
    if "://" in name_or_url:
        return name_or_url.rstrip("/")
    if "." in name_or_url:
        return f"https://{name_or_url}"
    return f"https://{name_or_url}.{domain}"


def user_label(user: User) -> str:
    parts = [user.name or user.id]
    if user.email:
        parts.append(f"<{user.email}>")
    return " ".join(parts)


def _clock(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at)) if at is not None else ""


def _line_text(line: TranscriptLine) -> str:
    stamp = _clock(line.at)
    prefix = f"[{stamp}] " if stamp else ""
    return f"{prefix}{_ROLE_LABELS[line.role]}: {line.text}"


def ticket_text(request: EscalationRequest) -> str:
    """Plain text: the description, who the user is, then the transcript, one line per message."""
    parts = [request.description, "", f"User: {user_label(request.user)} (id {request.user.id})"]
    if request.transcript:
        parts += ["", "--- Conversation so far ---", *(_line_text(line) for line in request.transcript)]
    return "\n".join(parts)


def ticket_html(request: EscalationRequest) -> str:
    """The same as ``ticket_text`` in HTML, every piece of user text escaped."""
    parts = [
        f"<p>{_html_text(request.description)}</p>",
        f"<p><b>User:</b> {html.escape(user_label(request.user))} (id {html.escape(request.user.id)})</p>",
    ]
    if request.transcript:
        parts.append("<h4>Conversation so far</h4>")
        parts += [_html_line(line) for line in request.transcript]
    return "\n".join(parts)


def _html_text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def _html_line(line: TranscriptLine) -> str:
    stamp = _clock(line.at)
    prefix = f"<small>{stamp}</small> " if stamp else ""
    return f"<p>{prefix}<b>{_ROLE_LABELS[line.role]}:</b> {_html_text(line.text)}</p>"
