"""The embedded helpdesk ("the desk"): tickets in SQLite or PostgreSQL, a service to work them, events for the bot.

```python
from agentkit.desk import LocalDesk

async with LocalDesk("desk.db") as desk:
    for ticket in await desk.tickets(status="open"):
        await desk.assign(ticket.id, "Ana")
        await desk.reply(ticket.id, "Hi, I'm Ana from support. Let me look at your order.")
```
"""

from agentkit.desk._models import (
    DeskError,
    DeskEvent,
    DeskEventKind,
    DeskUser,
    MessageAuthor,
    Ticket,
    TicketClosed,
    TicketMessage,
    TicketNotFound,
    TicketPriority,
    TicketStatus,
    TranscriptEntry,
)
from agentkit.desk._service import DeskCallback, LocalDesk, Subscription, sqlite_path

__all__ = [
    "DeskCallback",
    "DeskError",
    "DeskEvent",
    "DeskEventKind",
    "DeskUser",
    "LocalDesk",
    "MessageAuthor",
    "Subscription",
    "Ticket",
    "TicketClosed",
    "TicketMessage",
    "TicketNotFound",
    "TicketPriority",
    "TicketStatus",
    "TranscriptEntry",
    "sqlite_path",
]
