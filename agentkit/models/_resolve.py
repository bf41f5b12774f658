"""Model strings: ``"offline"``, ``"openai:gpt-4o-mini"`` (or a bare ``"gpt-4o-mini"``), and ``AGENTKIT_MODEL``."""

from __future__ import annotations

import os
from functools import lru_cache

from ..exceptions import ConfigError
from ._base import Model

__all__ = ["resolve_model"]


def resolve_model(model: Model | str | None) -> Model:
    """The model object for ``model``; None reads ``AGENTKIT_MODEL``. String models are built once and reused,
    so their HTTP connection pool is shared between runs."""
    if model is None:
        model = os.environ.get("AGENTKIT_MODEL")
        if not model:
            raise ConfigError(
                "no model given: pass model=... (a Model, 'openai:gpt-4o-mini' or 'offline') "
                "or set the AGENTKIT_MODEL environment variable"
            )
    if isinstance(model, str):
        return _from_string(model, os.environ.get("OPENAI_BASE_URL"), os.environ.get("OPENAI_API_KEY"))
    if not hasattr(model, "request"):
        raise ConfigError(f"model must be a Model (with an async request method) or a string, not {model!r}")
    return model


@lru_cache(maxsize=32)
def _from_string(spec: str, base_url: str | None, api_key: str | None) -> Model:
    provider, _, name = spec.partition(":")
    if not name:
        provider, name = ("offline", "") if spec == "offline" else ("openai", spec)
    if provider == "offline":
        from ._offline import OfflineModel

        return OfflineModel()
    if provider == "openai":
        from ._openai import OpenAIModel

        openai_model: Model = OpenAIModel(name, base_url=base_url, api_key=api_key)
        return openai_model
    raise ConfigError(f"unknown model provider {provider!r} in {spec!r}; use 'openai:MODEL' or 'offline'")
