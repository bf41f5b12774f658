"""``agentkit serve``: the webchat, the desk app (``agentkit.desk.DeskApp``: its inbox and API), the REST API and
the helpdesk webhooks on one ASGI app. The server only assembles them.

```python
from agentkit.server import DatabaseServerStore, create_app

store = DatabaseServerStore(".agentkit/server.sqlite3")   # or "postgresql://..." shared by several workers
app = create_app(agent, secret_key=secret, store=store)   # run it with any ASGI server
```
"""

from ..desk import (  # re-exported: bots, scripts and `agentkit db` import them here
    ACCOUNTS_MIGRATIONS,
    BotTokenDesk,
    hash_password,
    verify_password,
)
from ._app import api_routes, create_app, find_desk
from ._conversations import DatabaseServerStore, ServerStore
from ._hardening import SecurityHeaders, default_allowed_hosts, is_loopback
from ._host import ServedAgent
from ._quotas import QUOTA_MIGRATIONS, QuotaCounter, WebchatQuotas
from ._run import ConnectionOptions, ServerThread, bind, running_server, serve

__all__ = [
    "ACCOUNTS_MIGRATIONS",
    "BotTokenDesk",
    "ConnectionOptions",
    "DatabaseServerStore",
    "QUOTA_MIGRATIONS",
    "QuotaCounter",
    "SecurityHeaders",
    "ServedAgent",
    "ServerStore",
    "ServerThread",
    "WebchatQuotas",
    "api_routes",
    "bind",
    "create_app",
    "default_allowed_hosts",
    "find_desk",
    "hash_password",
    "is_loopback",
    "running_server",
    "serve",
    "verify_password",
]
