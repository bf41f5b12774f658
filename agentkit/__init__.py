"""agentkit: support bots that call tools through a language model and know when to hand off to a human."""

from . import context
from .exceptions import (
    AgentkitError,
    ConfigError,
    HitlError,
    IterationsExhausted,
    ModelError,
    ModelRetry,
    RunError,
    ToolDefinitionError,
    ToolError,
    UserError,
)
from .loop import ExecuteResult, Hooks, ToolCallRecord, execute, execute_stream, execute_sync
from .tools import Tool, tool


class Autonomous:
    """The Botpress ADK namespace: ``Autonomous.Tool`` is ``Tool``."""

    Tool = Tool


__all__ = [
    "AgentkitError",
    "Autonomous",
    "ConfigError",
    "ExecuteResult",
    "HitlError",
    "Hooks",
    "IterationsExhausted",
    "ModelError",
    "ModelRetry",
    "RunError",
    "Tool",
    "ToolCallRecord",
    "ToolDefinitionError",
    "ToolError",
    "UserError",
    "context",
    "execute",
    "execute_stream",
    "execute_sync",
    "tool",
]

# The runtime's public names (appended after the core ones; kept sorted in __all__).
from .runtime import Agent, Conversation, plugins  # noqa: E402, F401 (re-exported through __all__ below)

__all__.extend(["Agent", "Conversation", "plugins"])
__all__.sort()

# Importing the evals registers their baseline model as the model string "offline" (models/ knows nothing of it),
# so that "offline" works wherever a model string does, whichever part of agentkit a program imports first.
from . import evals as _evals  # noqa: E402, F401
