"""The embedded helpdesk ("the desk"), whole: tickets in SQLite or PostgreSQL, a service to work them, events for
the bot and the inbox, the human agents' accounts and the bots' tokens, and its ASGI app (the inbox page and the
REST + SSE API) that ``agentkit serve`` mounts.

```python
from agentkit.desk import LocalDesk

async with LocalDesk("desk.db") as desk:
    for ticket in await desk.tickets(status="open"):
        await desk.assign(ticket.id, "Ana")
        await desk.reply(ticket.id, "Hi, I'm Ana from support. Let me look at your order.")
```

The REST building blocks (``ApiRoute``, ``ApiError``, ``EventStream``, ...) are exported too: the server's own
routes are made of the same pieces.
"""

from agentkit.desk._account_migrations import ACCOUNTS_MIGRATIONS
from agentkit.desk._accounts import NAME_PATTERN, AccountStore, DeskAccounts, check_name
from agentkit.desk._app import DeskApp
from agentkit.desk._auth import LoginThrottle, desk_session
from agentkit.desk._bots import BotTokenDesk, UnregisteredBot
from agentkit.desk._labelling import LABELLING_MIGRATIONS, LabelIn, LabellingQueue
from agentkit.desk._migrations import DESK_MIGRATIONS
from agentkit.desk._models import (
    AGENT_EVENT_KINDS,
    AgentEventKind,
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
from agentkit.desk._pages import DESK_TEMPLATES, PAGE_HEADERS, render_page
from agentkit.desk._passwords import MIN_PASSWORD_LENGTH, check_password
from agentkit.desk._security import (
    PASSWORD_COST,
    DeskSession,
    SessionSigner,
    hash_password,
    hash_token,
    needs_rehash,
    new_token,
    same,
    verify_password,
)
from agentkit.desk._service import DeskCallback, DeskSubscription, DeskWatch, LocalDesk
from agentkit.desk._sse import KEEPALIVE, EventStream, StreamHub, sse
from agentkit.desk._state import DeskService, DeskState
from agentkit.desk._store import NewTicket
from agentkit.desk._web import (
    ERROR_HANDLERS,
    ApiError,
    ApiRoute,
    ErrorView,
    Query,
    error_response,
    json_response,
    openapi_document,
    read_capped,
    read_json,
)

__all__ = [
    "ACCOUNTS_MIGRATIONS",
    "AGENT_EVENT_KINDS",
    "AccountStore",
    "AgentEventKind",
    "ApiError",
    "ApiRoute",
    "BotTokenDesk",
    "DESK_MIGRATIONS",
    "DESK_TEMPLATES",
    "DeskAccounts",
    "DeskApp",
    "DeskCallback",
    "DeskError",
    "DeskEvent",
    "DeskEventKind",
    "DeskService",
    "DeskSession",
    "DeskState",
    "DeskSubscription",
    "DeskWatch",
    "ERROR_HANDLERS",
    "ErrorView",
    "EventStream",
    "KEEPALIVE",
    "LABELLING_MIGRATIONS",
    "LabelIn",
    "LabellingQueue",
    "LocalDesk",
    "LoginThrottle",
    "MIN_PASSWORD_LENGTH",
    "MessageAuthor",
    "NAME_PATTERN",
    "NewTicket",
    "PAGE_HEADERS",
    "PASSWORD_COST",
    "Query",
    "SessionSigner",
    "StreamHub",
    "Ticket",
    "TicketClosed",
    "TicketMessage",
    "TicketNotFound",
    "TicketStatus",
    "UnregisteredBot",
    "check_name",
    "check_password",
    "desk_session",
    "error_response",
    "hash_password",
    "hash_token",
    "json_response",
    "needs_rehash",
    "new_token",
    "openapi_document",
    "read_capped",
    "read_json",
    "render_page",
    "same",
    "sse",
    "verify_password",
]
