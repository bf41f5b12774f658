"""The runtime: ``Agent``, ``Conversation`` handlers, the message store, per-conversation ordering, and the
``plugins`` registry."""

from ._agent import DEFAULT_ERROR_MESSAGE, Agent
from ._conversation import Conversation, ConversationInfo, Handler, HandlerContext
from ._messages import ChatMessage
from ._migrations import RUNTIME_MIGRATIONS
from ._plugins import Plugin
from ._redeliver import outbox_entries, redeliver, redeliver_sync
from ._registry import PluginRegistry, plugins
from ._store import Store
from ._streaming import ReplyDelta, TurnEvent
from ._subscriptions import Subscription

__all__ = [
    "Agent",
    "ChatMessage",
    "Conversation",
    "ConversationInfo",
    "DEFAULT_ERROR_MESSAGE",
    "Handler",
    "HandlerContext",
    "Plugin",
    "PluginRegistry",
    "RUNTIME_MIGRATIONS",
    "ReplyDelta",
    "Store",
    "Subscription",
    "TurnEvent",
    "outbox_entries",
    "plugins",
    "redeliver",
    "redeliver_sync",
]
