"""Docs are code: every ```python block of README.md runs, in order, in one namespace (top-level await allowed)."""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def python_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_has_python_examples() -> None:
    assert len(python_blocks()) >= 3


def test_readme_python_blocks_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(README.parent)  # as a user runs them: from the repository (snippets write only to temp dirs)
    namespace: dict[str, Any] = {"__name__": "readme"}

    async def run_all() -> None:
        for number, source in enumerate(python_blocks(), 1):
            code = compile(
                source, f"README.md block {number}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
            )
            result = eval(code, namespace)  # noqa: S307 - running our own docs is the point
            if inspect.isawaitable(result):
                await result

    asyncio.run(run_all())
