"""``agentkit serve``: the webchat, the desk inbox, the REST API and the helpdesk webhooks on one ASGI app.

```python
from agentkit.server import SqliteServerStore, create_app

store = SqliteServerStore(".agentkit/server.sqlite3")
app = create_app(agent, secret_key=secret, store=store)   # run it with any ASGI server
```
"""

from ._app import api_routes, create_app, find_desk
from ._bots import BotTokenDesk
from ._run import ServerThread, running_server, serve
from ._security import hash_password, verify_password
from ._store import ServerStore, SqliteServerStore

__all__ = [
    "BotTokenDesk",
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
