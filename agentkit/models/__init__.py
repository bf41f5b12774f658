"""Models: one async ``request`` method (``stream`` optional); OpenAI-compatible endpoints and the fakes tests use."""

from ._base import Api, Message, Model, ModelResponse, ToolCall, ToolSpecSource, Usage
from ._offline import OfflineModel
from ._openai import OpenAIModel
from ._resolve import model_string_from_environment, parse_model_string, resolve_model
from ._retry import Backoff
from ._scripted import FunctionModel, ModelRequest, ScriptedModel, call, calls, reply
from ._streaming import StreamingModel, TextDelta, stream_request
from ._test_model import TestModel

__all__ = [
    "Api",
    "Backoff",
    "FunctionModel",
    "Message",
    "Model",
    "ModelRequest",
    "ModelResponse",
    "OfflineModel",
    "OpenAIModel",
    "ScriptedModel",
    "StreamingModel",
    "TestModel",
    "TextDelta",
    "ToolCall",
    "ToolSpecSource",
    "Usage",
    "call",
    "calls",
    "model_string_from_environment",
    "parse_model_string",
    "reply",
    "resolve_model",
    "stream_request",
]
