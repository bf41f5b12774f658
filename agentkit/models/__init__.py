"""Models: one async ``request`` method (``stream`` optional); OpenAI-compatible endpoints, the fakes tests use, and
wrappers (a cache on disk, rate limits, a request meter) that are models themselves."""

from ._base import Api, Message, Model, ModelResponse, ToolCall, ToolSpecSource, Usage
from ._cache import CacheStats, CachingModel, cache_key
from ._metered import MeteredModel, RequestMeter
from ._openai import OpenAIModel
from ._ratelimit import RateLimitedModel, TokenBucket, estimate_tokens
from ._resolve import model_string_from_environment, parse_model_string, register_model, resolve_model
from ._retry import Backoff
from ._scripted import FunctionModel, ModelRequest, ScriptedModel, call, calls, reply
from ._streaming import StreamingModel, TextDelta, stream_request
from ._test_model import TestModel
from ._wrapped import WrappedModel

__all__ = [
    "Api",
    "Backoff",
    "CacheStats",
    "CachingModel",
    "FunctionModel",
    "Message",
    "MeteredModel",
    "Model",
    "ModelRequest",
    "ModelResponse",
    "OpenAIModel",
    "RateLimitedModel",
    "RequestMeter",
    "ScriptedModel",
    "StreamingModel",
    "TestModel",
    "TextDelta",
    "TokenBucket",
    "ToolCall",
    "ToolSpecSource",
    "Usage",
    "WrappedModel",
    "cache_key",
    "call",
    "calls",
    "estimate_tokens",
    "model_string_from_environment",
    "parse_model_string",
    "register_model",
    "reply",
    "resolve_model",
    "stream_request",
]
