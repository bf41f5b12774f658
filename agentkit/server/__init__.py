"""``agentkit serve``: the webchat, the desk inbox, the REST API and the helpdesk webhooks on one ASGI app.

```python
from agentkit.server import DatabaseServerStore, create_app

store = DatabaseServerStore(".agentkit/server.sqlite3")   # or "postgresql://..." shared by several workers
app = create_app(agent, secret_key=secret, store=store)   # run it with any ASGI server
```
"""

from ._app import api_routes, create_app, find_desk
from ._bots import BotTokenDesk
from ._migrations import ACCOUNTS_MIGRATIONS
from ._run import ServerThread, running_server, serve
from ._security import hash_password, verify_password
from ._store import DatabaseServerStore, ServerStore, SqliteServerStore

__all__ = [
    "ACCOUNTS_MIGRATIONS",
    "BotTokenDesk",
    "DatabaseServerStore",
    "ServerStore",
    "ServerThread",
    "SqliteServerStore",
    "api_routes",
    "create_app",
    "find_desk",
    "hash_password",
    "running_server",
    "serve",
    "verify_password",
]
