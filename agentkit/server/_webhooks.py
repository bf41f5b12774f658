"""``POST /webhooks/{plugin_alias}``: a helpdesk's webhook, handed to the agent's HITL plugin of that alias.

The plugin's provider checks the signature, the replay window and the body; the answer is the plugin's status
(200 applied, 202 nothing to change, 4xx refused). The body is read with a cap before anything else happens.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..desk import ApiError, ApiRoute, json_response
from ..hitl._signatures import MAX_WEBHOOK_BODY
from ._schemas import WebhookResult
from ._state import server_state

__all__ = ["WEBHOOK_ROUTES"]


async def receive_webhook(request: Request) -> Response:
    state = server_state(request)
    alias = request.path_params["plugin_alias"]
    plugin = state.agent.plugins.get(alias)
    if plugin is None or not callable(getattr(plugin, "handle_webhook", None)):
        known = ", ".join(a for a, p in state.agent.plugins.items() if hasattr(p, "handle_webhook")) or "none"
        raise ApiError(404, f"no HITL plugin {alias!r} on this agent (webhook plugins: {known})")
    body = await _capped_body(request)
    status = await plugin.handle_webhook(dict(request.headers), body)
    return json_response(WebhookResult(status=status), status)


async def _capped_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BODY:
            raise ApiError(413, f"webhook bodies are limited to {MAX_WEBHOOK_BODY} bytes")
    return bytes(body)


WEBHOOK_ROUTES = [
    ApiRoute("POST", "/webhooks/{plugin_alias}", receive_webhook,
             "A helpdesk's signed webhook for the HITL plugin of this alias (Zendesk, Freshdesk, Intercom, "
             "webhook provider)", "signature", "webhooks", response=WebhookResult),
]  # fmt: skip
