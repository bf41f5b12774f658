"""``CachingModel``: a model wrapper that answers a request it has seen before from disk, so rerunning costs no request.

The key is the sha256 of canonical JSON (sorted keys, no spaces) of everything that shapes the reply: the model's
name and settings (its own and the request's), the messages, the tool specs, and the repeat index. The repeat index
is there so that the repeats of a case stay independent samples of the model rather than one answer copied three
times. One JSON file per key, written to a temporary name and renamed, so a run killed mid-write leaves no torn
file and concurrent runs can share a cache folder. Failed requests are not cached.

A cache hit returns the recorded usage: a report describes what the model did and what it cost when it was
asked, and ``hits`` / ``misses`` say how much of that was replayed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._base import Message, Model, ModelResponse, ToolCall, ToolSpecSource, Usage
from ._wrapped import WrappedModel

__all__ = ["CacheStats", "CachingModel", "cache_key", "response_from_json", "response_to_json"]

_FORMAT = 1  # bump when the key or the stored shape changes: old entries then simply miss


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0


def cache_key(
    model_name: str,
    settings: Mapping[str, Any],
    messages: Sequence[Message],
    tools: Sequence[ToolSpecSource],
    repeat: int = 0,
) -> str:
    """The sha256 hex digest identifying one request."""
    material = {
        "format": _FORMAT,
        "model": model_name,
        "settings": dict(settings),
        "messages": list(messages),
        "tools": [tool.spec() for tool in tools],
        "repeat": repeat,
    }
    canonical = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class CachingModel(WrappedModel):
    """Wraps any model with an on-disk cache in ``cache_dir``; ``for_repeat(n)`` is a view keyed on repeat ``n``.

    Views share the folder and the ``stats``.
    """

    def __init__(
        self, model: Model, cache_dir: str | Path, *, repeat: int = 0, stats: CacheStats | None = None
    ) -> None:
        super().__init__(model)
        self.cache_dir = Path(cache_dir)
        self.repeat = repeat
        self.stats = stats if stats is not None else CacheStats()
        self.cache_dir.mkdir(parents=True, exist_ok=True)

    def for_repeat(self, repeat: int) -> CachingModel:
        return CachingModel(self.model, self.cache_dir, repeat=repeat, stats=self.stats)

    def path_for(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.json"

    async def request(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolSpecSource] = (),
        settings: Mapping[str, Any] | None = None,
    ) -> ModelResponse:
        key = cache_key(self.model.name, {**self.settings, **(settings or {})}, messages, tools, self.repeat)
        path = self.path_for(key)
        cached = await asyncio.to_thread(_read, path)
        if cached is not None:
            self.stats.hits += 1
            return cached
        response = await self.model.request(messages, tools, settings)
        self.stats.misses += 1
        await asyncio.to_thread(_write, path, response)
        return response


def response_to_json(response: ModelResponse) -> dict[str, Any]:
    return {
        "text": response.text,
        "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in response.tool_calls],
        "usage": {
            "input_tokens": response.usage.input_tokens,
            "output_tokens": response.usage.output_tokens,
            "requests": response.usage.requests,
        },
        "model_name": response.model_name,
        "finish_reason": response.finish_reason,
    }


def response_from_json(data: Mapping[str, Any]) -> ModelResponse:
    return ModelResponse(
        text=data["text"],
        tool_calls=tuple(ToolCall(c["id"], c["name"], c["arguments"]) for c in data["tool_calls"]),
        usage=Usage(**data["usage"]),
        model_name=data["model_name"],
        finish_reason=data["finish_reason"],
    )


def _read(path: Path) -> ModelResponse | None:
    try:
        return response_from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        return None  # a foreign or damaged file: ask the model again and overwrite it


def _write(path: Path, response: ModelResponse) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(response_to_json(response), out, ensure_ascii=False)
    os.replace(temporary, path)
