"""The embedded helpdesk ("the desk"): tickets in SQLite or PostgreSQL, a service to work them, events for the bot.

```python
from agentkit.desk import LocalDesk

async with LocalDesk("desk.db") as desk:
    for ticket in await desk.tickets(status="open"):
        await desk.assign(ticket.id, "Ana")
        await desk.reply(ticket.id, "Hi, I'm Ana from support. Let me look at your order.")
```
"""

from agentkit.desk._migrations import DESK_MIGRATIONS
from agentkit.desk._models import (
    DeskError,
    DeskEvent,
    DeskEventKind,
    MessageAuthor,
    Ticket,
    TicketClosed,
    TicketMessage,
    TicketNotFound,
    TicketStatus,
)
from agentkit.desk._service import DeskCallback, DeskSubscription, LocalDesk, sqlite_path

__all__ = [
    "DESK_MIGRATIONS",
    "DeskCallback",
    "DeskError",
    "DeskEvent",
    "DeskEventKind",
    "DeskSubscription",
    "LocalDesk",
    "MessageAuthor",
    "Ticket",
    "TicketClosed",
    "TicketMessage",
    "TicketNotFound",
    "TicketStatus",
    "sqlite_path",
]
