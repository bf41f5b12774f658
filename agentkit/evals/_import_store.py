"""Case candidates from an agentkit message store and its desk (see ``_import`` for what becomes a candidate).

The store is read through ``agentkit.runtime.Store``: the rows the user saw (``visible``), in order, per
conversation. A user turn followed by a bot reply was handled by the bot (suggested: don't escalate); one followed by
the handoff notice led to the conversation's next desk ticket (suggested: escalate, at that ticket's priority). While
a human has the conversation, user turns go to them and are not candidates; when the bot speaks again, they are.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..desk import LocalDesk, Ticket
from ..runtime import Store
from ..storage import Connection
from ._import import CaseCandidate

__all__ = ["import_store"]


def _read(connection: Connection) -> tuple[list[Any], dict[str, dict[str, Any]]]:
    rows = connection.execute(
        "SELECT conversation_id, role, text FROM messages WHERE visible = 1 ORDER BY conversation_id, seq"
    ).fetchall()
    users = {
        row["id"]: json.loads(row["user_json"])
        for row in connection.execute("SELECT id, user_json FROM conversations WHERE user_json IS NOT NULL")
    }
    return [(r["conversation_id"], r["role"], r["text"] or "") for r in rows], users


async def import_store(store_url: str | Path, desk_path: str | Path | None) -> list[CaseCandidate]:
    """Candidates from the store at ``store_url`` and, for the suggested labels of handoffs, the desk."""
    store = Store(store_url if "://" in str(store_url) else f"sqlite:///{store_url}")
    await store.open()
    try:
        rows, users = await store.run(_read)
    finally:
        await store.aclose()
    tickets: dict[str, list[Ticket]] = defaultdict(list)
    if desk_path is not None:
        async with LocalDesk(desk_path) as desk:
            for ticket in await desk.tickets():
                tickets[ticket.conversation_id].append(await desk.ticket(ticket.id))
    by_conversation: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for conversation_id, role, text in rows:
        by_conversation[conversation_id].append((role, text))
    candidates = []
    for conversation_id, messages in by_conversation.items():
        user = users.get(conversation_id) or {}
        ordered = sorted(tickets.get(conversation_id, []), key=lambda t: t.created_at)
        candidates += _conversation_candidates(conversation_id, messages, ordered, user)
    return candidates


def _conversation_candidates(
    conversation_id: str, messages: Sequence[tuple[str, str]], tickets: list[Ticket], user: dict[str, Any]
) -> list[CaseCandidate]:
    history: list[dict[str, Any]] = []
    candidates: list[CaseCandidate] = []
    with_human, handoffs = False, 0
    for index, (role, text) in enumerate(messages):
        if role == "bot":
            with_human = False
            history.append({"role": "assistant", "content": text})
        elif role == "user" and not with_human:
            history.append({"role": "user", "content": text})
            outcome = next((r for r, _ in messages[index + 1 :] if r != "user"), None)
            if outcome is None:
                continue  # the conversation stops here: no outcome to suggest a label from
            escalated = outcome == "system"
            ticket = tickets[handoffs] if escalated and handoffs < len(tickets) else None
            names = [str(user.get("name") or ""), str(ticket.user.name or "") if ticket else ""]
            candidates.append(CaseCandidate(
                f"{conversation_id}#{len(candidates) + 1}", list(history), escalated,
                ticket.priority if ticket else ("medium" if escalated else None),
                _notes(conversation_id, escalated, ticket), [n for n in names if n],
            ))  # fmt: skip
            if escalated:
                with_human, handoffs = True, handoffs + 1
    return candidates


def _notes(conversation_id: str, escalated: bool, ticket: Ticket | None) -> str:
    if not escalated:
        return f"store conversation {conversation_id}: the bot answered and the conversation went on; suggested label"
    if ticket is None:
        return f"store conversation {conversation_id}: handed over, no desk ticket found; suggested label, check it"
    human = sum(m.author == "agent" for m in ticket.messages)
    closed = f", closed ({ticket.closed_reason or 'no reason'})" if ticket.status == "closed" else ""
    return (
        f"store conversation {conversation_id}: desk ticket {ticket.id} at {ticket.priority}, {ticket.status}"
        f"{closed}, {human} human replies{f' by {ticket.assignee}' if ticket.assignee else ''}; suggested label"
    )
