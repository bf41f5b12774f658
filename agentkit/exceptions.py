"""The one exception tree of agentkit.

```
AgentkitError
├── UserError                     the developer's mistake; raised at definition time, the message says the fix
│   ├── ToolDefinitionError       bad tool name, input that is not a pydantic model, schema strict mode can't take
│   │   └── DuplicateToolError    two tools with one name in one run
│   ├── ConfigError               bad model string, unknown plugin, missing setting
│   │   └── DatabaseTooNew        a newer agentkit upgraded the database (agentkit.storage)
│   └── DatasetError              an eval case file is wrong (agentkit.evals; names file:line: field)
├── ToolError                     raised in a handler: its message goes to the model as the tool result
│   └── ModelRetry                the same, asking the model to call again with better arguments
├── RunError                      a run failed; carries what the run did so far (``.result``)
│   ├── IterationsExhausted       the iteration limit was hit (only with ``on_exhausted="raise"``)
│   ├── ToolRetriesExceeded       a tool (or unknown tool names) failed more often than its retry budget
│   ├── ToolExecutionError        a handler raised an unexpected exception (with ``on_tool_exception="raise"``)
│   ├── DeadlineExceeded          the run (``timeout``) or the agent's turn (``turn_timeout``) ran out of time
│   └── ModelError                the model endpoint failed after the retries, or answered something unusable
│       └── ModelHTTPError        ... with an HTTP status (``.status_code``)
└── HitlError                     a human-in-the-loop operation failed
    ├── ProviderError             a helpdesk call failed; ``.retryable`` tells the outbox whether to try again
    ├── WebhookRejected           an inbound webhook was refused; ``.status`` is the 4xx to answer
    └── DeskError                 the embedded desk refused an operation (agentkit.desk)
        ├── TicketNotFound
        ├── TicketClosed
        └── UnregisteredBot       a bot whose token is not registered (agentkit desk add-bot); HITL: ProviderError
```

Outside the tree, on purpose (none of them reaches a caller of agentkit as an error to handle):

```
Exception
├── ApiError                      an HTTP error answer, raised and caught inside a request handler
├── BadBody                       a 2xx model answer that is not JSON; the model client retries, then ModelError
├── BudgetStop                    control flow inside tune(): the next step would go over the budget
├── CommandFailed                 the CLI's one-line failure (exit code 1)
└── GaveUp                        ``agentkit.retry.Retrier`` stopped; its callers turn it into their own error
BaseException
└── RemoteRequestBlocked          a test reached the network (agentkit.testing); no ``except Exception`` hides it
```

Classes drawn here but defined elsewhere live next to the code that raises them (``agentkit.storage``,
``agentkit.hitl``, ``agentkit.desk``, ``agentkit.evals``), so that a lower layer never imports a higher one.

Control flow the model can fix (``ToolError``) is kept apart from misuse (``UserError``) and from run failures
(``RunError``), following pydantic-ai's split.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AgentkitError",
    "ConfigError",
    "DeadlineExceeded",
    "DuplicateToolError",
    "HitlError",
    "IterationsExhausted",
    "ModelError",
    "ModelHTTPError",
    "ModelRetry",
    "RunError",
    "ToolDefinitionError",
    "ToolError",
    "ToolExecutionError",
    "ToolRetriesExceeded",
    "UserError",
]


class AgentkitError(Exception):
    """Base of every error agentkit raises on purpose."""


class UserError(AgentkitError):
    """The developer used agentkit wrongly; the message says what to change."""


class ToolDefinitionError(UserError):
    """A tool cannot be defined as written."""


class DuplicateToolError(ToolDefinitionError):
    """Two tools share one name in the same run."""


class ConfigError(UserError):
    """A setting, model string or plugin reference is wrong or missing."""


class ToolError(AgentkitError):
    """Raise in a tool handler to send ``message`` to the model as the tool's result."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelRetry(ToolError):
    """Raise in a tool handler to ask the model to call the tool again, differently."""


class RunError(AgentkitError):
    """A run failed. ``result`` holds what it had done before failing (an ``ExecuteResult`` or None)."""

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.result = result


class IterationsExhausted(RunError):
    """The run used all its iterations without an answer."""


class ToolRetriesExceeded(RunError):
    """A tool failed more times than its ``max_retries`` allows."""


class ToolExecutionError(RunError):
    """A tool handler raised an exception that was not a ``ToolError``."""


class DeadlineExceeded(RunError):
    """The run or the turn took longer than its deadline; whatever was running then was cancelled."""


class ModelError(RunError):
    """The model could not be reached, or its answer could not be used."""


class ModelHTTPError(ModelError):
    """The model endpoint answered with an HTTP error status after all retries."""

    def __init__(self, message: str, status_code: int, body: Any = None, result: Any = None) -> None:
        super().__init__(message, result)
        self.status_code = status_code
        self.body = body


class HitlError(AgentkitError):
    """A human-in-the-loop operation failed."""
