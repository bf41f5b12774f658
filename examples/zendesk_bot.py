"""The support bot with Zendesk behind the ``desk-hitl`` alias: the same tool and handler, another provider.

    export ZENDESK_SUBDOMAIN=acme ZENDESK_EMAIL=bot@acme.com ZENDESK_API_TOKEN=... ZENDESK_WEBHOOK_SECRET=...
    agentkit chat examples/zendesk_bot.py

Zendesk's webhooks (ticket assigned, commented, solved) go to ``await agent.plugins["desk-hitl"]
.handle_webhook(headers, body)``, which ``agentkit serve`` exposes.
"""

from __future__ import annotations

import os

from agentkit import Agent, Conversation
from agentkit.exceptions import ConfigError
from agentkit.hitl import HitlPlugin, ZendeskProvider

try:
    from support_bot import handler  # run as a script or by `agentkit chat` from the examples folder
except ImportError:  # imported as a package module
    from examples.support_bot import handler


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"set {name} to use the Zendesk example (see the docstring of examples/zendesk_bot.py)")
    return value


zendesk = ZendeskProvider(
    _env("ZENDESK_SUBDOMAIN"), _env("ZENDESK_EMAIL"), _env("ZENDESK_API_TOKEN"), _env("ZENDESK_WEBHOOK_SECRET")
)

agent = Agent(
    "support-bot-zendesk",
    model=os.environ.get("AGENTKIT_MODEL", "offline"),
    plugins={"desk-hitl": HitlPlugin(zendesk)},  # the alias the tool uses; only the provider changed
    conversation=Conversation(channel="*", handler=handler),
    store="sqlite:///./.agentkit/zendesk_bot.sqlite3",
)
