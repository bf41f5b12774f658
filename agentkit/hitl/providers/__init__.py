"""HITL providers: the embedded desk, Zendesk, Freshdesk, Intercom, and a generic signed webhook."""

from agentkit.hitl.providers._freshdesk import FRESHDESK_PRIORITIES, FreshdeskProvider, freshdesk_key_tag
from agentkit.hitl.providers._http import HelpdeskClient, is_retryable_status
from agentkit.hitl.providers._intercom import IntercomProvider, html_to_text
from agentkit.hitl.providers._local import LocalDeskProvider, hitl_event
from agentkit.hitl.providers._webhook import WebhookProvider, signed_request
from agentkit.hitl.providers._zendesk import ZENDESK_PRIORITIES, ZendeskProvider

__all__ = [
    "FRESHDESK_PRIORITIES",
    "FreshdeskProvider",
    "HelpdeskClient",
    "IntercomProvider",
    "LocalDeskProvider",
    "WebhookProvider",
    "ZENDESK_PRIORITIES",
    "ZendeskProvider",
    "freshdesk_key_tag",
    "hitl_event",
    "html_to_text",
    "is_retryable_status",
    "signed_request",
]
