"""Human in the loop: the provider protocol, webhook verification, and the helpdesk providers."""

from agentkit.hitl._provider import (
    EscalationRequest,
    HitlEvent,
    HitlEventKind,
    HitlProvider,
    HitlUser,
    Priority,
    ProviderError,
    TranscriptLine,
    WebhookRejected,
)
from agentkit.hitl.providers import (
    FreshdeskProvider,
    IntercomProvider,
    LocalDeskProvider,
    WebhookProvider,
    ZendeskProvider,
)

__all__ = [
    "EscalationRequest",
    "FreshdeskProvider",
    "HitlEvent",
    "HitlEventKind",
    "HitlProvider",
    "HitlUser",
    "IntercomProvider",
    "LocalDeskProvider",
    "Priority",
    "ProviderError",
    "TranscriptLine",
    "WebhookProvider",
    "WebhookRejected",
    "ZendeskProvider",
]
