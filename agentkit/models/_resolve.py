"""Model strings: ``"offline"``, ``"openai:gpt-4o-mini"``, and ``AGENTKIT_MODEL``.

A model string is checked where it is parsed (``parse_model_string``): an unknown provider, a bare name, a
provider with no model name and an empty value are refused with the accepted forms and, when one is close, a
suggestion ("did you mean offline?"). A bare ``gpt-4o-mini`` used to be taken as an OpenAI model, so that a typo
such as ``ofline`` ended far away in "missing credentials".
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from functools import lru_cache

from ..exceptions import ConfigError
from ._base import Model

__all__ = ["model_string_from_environment", "parse_model_string", "register_model", "resolve_model"]

ACCEPTED_FORMS = "'offline' or 'openai:MODEL_NAME' (e.g. openai:gpt-4o-mini)"
_PROVIDERS_WITH_NAMES = ("openai",)  # PROVIDER:NAME
_NAMED_MODELS: dict[str, Callable[[], Model]] = {}  # a model string that is a whole model: "offline"


def register_model(name: str, factory: Callable[[], Model]) -> None:
    """Make ``name`` a model string of its own (no ``provider:``), built by ``factory()``. ``agentkit.evals``
    registers ``"offline"`` this way, so that this layer knows nothing of the offline model's escalation rules."""
    if not name.isidentifier():
        raise ConfigError(f"a registered model name is one word (letters, digits, _), not {name!r}")
    _NAMED_MODELS[name] = factory
    _from_string.cache_clear()


def resolve_model(model: Model | str | None, *, shared: bool = True) -> Model:
    """The model object for ``model``; None reads ``AGENTKIT_MODEL``. String models are built once and reused,
    so their HTTP connection pool is shared between runs. ``shared=False`` builds a string's model anew, for a
    caller that closes it (``aclose``) when its run ends: its connections then never outlive the event loop they
    were opened on (an eval or a tuning run owns its model this way)."""
    if model is None:
        model = _from_environment()
    if isinstance(model, str):
        build = _from_string if shared else _build
        return build(model, os.environ.get("OPENAI_BASE_URL"), os.environ.get("OPENAI_API_KEY"))
    if not hasattr(model, "request"):
        raise ConfigError(f"model must be a Model (with an async request method) or a string, not {model!r}")
    return model


def parse_model_string(spec: str, *, source: str | None = None) -> tuple[str, str]:
    """``(provider, name)`` of a model string, or a ConfigError that shows the accepted forms and a suggestion.
    ``source`` names where the string came from in the message (``AGENTKIT_MODEL``)."""
    provider, colon, name = spec.strip().partition(":")
    if provider in _NAMED_MODELS and not colon:
        return provider, ""
    if provider in _PROVIDERS_WITH_NAMES and name.strip():
        return provider, name.strip()
    shown = f"{source}={spec!r}" if source else f"the model string {spec!r}"
    raise ConfigError(f"{shown} is not a model: {_problem(spec)}use {ACCEPTED_FORMS}{_suggestion(spec)}")


def model_string_from_environment() -> str | None:
    """``AGENTKIT_MODEL`` if set (checked: an empty value is refused, not taken as unset); None if not set."""
    value = os.environ.get("AGENTKIT_MODEL")
    if value is not None:
        parse_model_string(value, source="AGENTKIT_MODEL")
    return value


def _from_environment() -> str:
    value = model_string_from_environment()
    if value is None:
        raise ConfigError(
            "no model given: set AGENTKIT_MODEL (or --model on the command line, model=... in code) "
            f"to {ACCEPTED_FORMS}"
        )
    return value


def _problem(spec: str) -> str:
    provider, colon, name = spec.strip().partition(":")
    if not spec.strip():
        return "it is empty; "
    if colon and provider in _PROVIDERS_WITH_NAMES:
        return f"{provider}: needs a model name after the colon; "
    if colon and provider in _NAMED_MODELS:
        return f"{provider} takes no model name; "
    if colon:
        return f"unknown provider {provider!r}; "
    return ""


def _suggestion(spec: str) -> str:
    text = spec.strip()
    provider, colon, name = text.partition(":")
    if not text or (colon and provider in _PROVIDERS_WITH_NAMES):
        return ""
    if colon:
        close = difflib.get_close_matches(provider.lower(), [*_PROVIDERS_WITH_NAMES, *_NAMED_MODELS], n=1, cutoff=0.6)
        if close and close[0] in _PROVIDERS_WITH_NAMES:
            return f"; did you mean {close[0]}:{name}?"
        return f"; did you mean {close[0]}?" if close else ""
    close = difflib.get_close_matches(text.lower(), list(_NAMED_MODELS), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]}?"
    if text.lower().startswith(("gpt", "o1", "o3", "o4", "chatgpt")):
        return f"; did you mean openai:{text}?"
    return ""


@lru_cache(maxsize=32)
def _from_string(spec: str, base_url: str | None, api_key: str | None) -> Model:
    return _build(spec, base_url, api_key)


def _build(spec: str, base_url: str | None, api_key: str | None) -> Model:
    provider, name = parse_model_string(spec)
    if provider in _NAMED_MODELS:
        return _NAMED_MODELS[provider]()
    from ._openai import OpenAIModel

    openai_model: Model = OpenAIModel(name, base_url=base_url, api_key=api_key)
    return openai_model
