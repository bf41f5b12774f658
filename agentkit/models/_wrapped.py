"""``WrappedModel``: the base of models that wrap another (a cache, a rate limit, a budget meter)."""

from __future__ import annotations

from typing import Any

from ._base import Model

__all__ = ["WrappedModel"]


class WrappedModel:
    """Passes ``name`` and ``settings`` through to ``model``, so a wrapper is seen (and cached, and priced) as the
    model it wraps. Subclasses implement ``request``."""

    def __init__(self, model: Model) -> None:
        self.model = model

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def settings(self) -> dict[str, Any]:
        return dict(getattr(self.model, "settings", None) or {})
