"""Human in the loop: the provider protocol, webhook verification, and the helpdesk providers."""

from agentkit.hitl._host import Post
from agentkit.hitl._provider import (
    EscalationRequest,
    HitlEvent,
    HitlEventKind,
    HitlProvider,
    ProviderError,
    WebhookRejected,
)
from agentkit.hitl._signatures import MAX_WEBHOOK_BODY, hmac_base64, hmac_hex, sign_agentkit
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
    "IntercomProvider",
    "LocalDeskProvider",
    "MAX_WEBHOOK_BODY",
    "Post",
    "ProviderError",
    "WebhookProvider",
    "WebhookRejected",
    "ZendeskProvider",
    "hmac_base64",
    "hmac_hex",
    "sign_agentkit",
]

# The plugin lifecycle (appended after the provider layer; kept sorted in __all__; F401: re-exported through it).
from agentkit.hitl._actions import HitlActions, HitlStart  # noqa: E402, F401
from agentkit.hitl._config import DeliveryConfig, SessionConfig  # noqa: E402, F401
from agentkit.hitl._desk import DeskHitl  # noqa: E402, F401
from agentkit.hitl._handoff import HandToSupportInput, HandToSupportTool, hand_to_support  # noqa: E402, F401
from agentkit.hitl._host import SESSION_EVENT_TYPES, SessionEvent, SessionEventType  # noqa: E402, F401
from agentkit.hitl._memory import MemoryHitl, MemorySession  # noqa: E402, F401
from agentkit.hitl._migrations import HITL_MIGRATIONS  # noqa: E402, F401
from agentkit.hitl._outbox import OutboxEntry  # noqa: E402, F401
from agentkit.hitl._plugin import HitlPlugin  # noqa: E402, F401
from agentkit.hitl._state import HitlSession  # noqa: E402, F401

__all__.extend(
    [
        "DeliveryConfig",
        "DeskHitl",
        "HITL_MIGRATIONS",
        "HandToSupportInput",
        "HandToSupportTool",
        "HitlActions",
        "HitlPlugin",
        "HitlSession",
        "HitlStart",
        "MemoryHitl",
        "MemorySession",
        "OutboxEntry",
        "SESSION_EVENT_TYPES",
        "SessionConfig",
        "SessionEvent",
        "SessionEventType",
        "hand_to_support",
    ]
)
__all__.sort()
