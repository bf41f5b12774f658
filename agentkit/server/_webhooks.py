"""``POST /webhooks/{plugin_alias}``: a helpdesk's webhook, handed to the agent's HITL plugin of that alias.

The plugin's provider checks the signature, the replay window and the body; the answer is the plugin's status
(200 applied; 202 nothing to change now: a replay, an unknown session, or an event kept until its session's start
completes; 4xx refused). The body is read with a cap before anything else happens.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..desk import ApiError, ApiRoute, json_response, read_capped
from ..hitl import MAX_WEBHOOK_BODY
from ._schemas import WebhookResult
from ._state import server_state

__all__ = ["WEBHOOK_ROUTES"]


async def receive_webhook(request: Request) -> Response:
    state = server_state(request)
    alias = request.path_params["plugin_alias"]
    plugin = state.agent.plugins.get(alias)
    if plugin is None or not callable(getattr(plugin, "handle_webhook", None)):
        # The aliases are not listed: they would tell a prober which helpdesks to forge webhooks for.
        raise ApiError(404, f"no webhook at /webhooks/{alias}; the path must name a HITL plugin's alias")
    body = await read_capped(request, MAX_WEBHOOK_BODY)
    status = await plugin.handle_webhook(dict(request.headers), body)
    return json_response(WebhookResult(status=status), status)


WEBHOOK_ROUTES = [
    ApiRoute("POST", "/webhooks/{plugin_alias}", receive_webhook,
             "A helpdesk's signed webhook for the HITL plugin of this alias (Zendesk, Freshdesk, Intercom, "
             "webhook provider)", "signature", "webhooks", response=WebhookResult),
]  # fmt: skip
