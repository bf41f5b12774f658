"""The public surface: every package's ``__all__`` is sorted and names exactly what it exports, and each exported
name means one class wherever it is exported."""

from __future__ import annotations
import __future__

import ast
import importlib
import pkgutil
import types

import pytest

import agentkit

# Every package, and the public modules at the top (the vocabulary, the exceptions, the retry module, context).
PUBLIC = ["agentkit"] + sorted(
    info.name
    for info in pkgutil.walk_packages(agentkit.__path__, "agentkit.")
    if not any(part.startswith("_") for part in info.name.split("."))
    and (info.ispkg or info.name.count(".") == 1)
)


def test_every_package_is_covered() -> None:
    packages = {"agentkit." + p for p in ("cli", "desk", "evals", "hitl", "loop", "models", "prompts", "runtime")}
    packages |= {"agentkit." + p for p in ("server", "storage", "testing", "tools", "tuning", "handoff")}
    assert packages <= set(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported), f"{name}.__all__ is not sorted"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what the module lacks: {missing}"
    if hasattr(module, "__path__"):  # a package's __init__ only re-exports: all it holds is public
        public = {n for n, v in vars(module).items() if not n.startswith("_") and not _is_import_machinery(v)}
        assert public <= set(exported), f"{name}: public but not in __all__: {public - set(exported)}"


def _is_import_machinery(value: object) -> bool:
    """A module object (``import os``, a subpackage) or ``from __future__ import annotations``."""
    return isinstance(value, types.ModuleType | __future__._Feature)


def test_each_exported_name_means_one_class() -> None:
    owners: dict[str, dict[type, list[str]]] = {}
    for name in PUBLIC:
        module = importlib.import_module(name)
        for exported in module.__all__:
            value = getattr(module, exported)
            if isinstance(value, type):
                owners.setdefault(exported, {}).setdefault(value, []).append(name)
    shared = {n: [f"{c.__module__}.{c.__qualname__}" for c in by] for n, by in owners.items() if len(by) > 1}
    assert not shared, f"one name, several classes: rename one of each: {shared}"


def test_design_names_import() -> None:
    from agentkit import Autonomous, Tool, context, execute  # noqa: F401
    from agentkit.models import FunctionModel, OpenAIModel, ScriptedModel, TestModel  # noqa: F401

    assert Autonomous.Tool is Tool


def test_one_naming_convention_aclose_and_sync_twins() -> None:
    """An async method that releases resources is ``aclose``; a synchronous twin of an async function is
    ``name_sync`` (``execute``/``execute_sync``), never ``name``/``name_async``."""
    from pathlib import Path

    offences = []
    for path in Path(agentkit.__file__).parent.rglob("*.py"):
        module = ast.parse(path.read_text())
        classes = [n for n in module.body if isinstance(n, ast.ClassDef)]
        for node in [*module.body, *(n for c in classes for n in c.body)]:  # functions and methods, not closures
            if isinstance(node, ast.AsyncFunctionDef) and node.name == "close" and len(node.args.args) == 1:
                offences.append(f"{path}:{node.lineno} async close(self): call it aclose")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.endswith("_async"):
                offences.append(f"{path}:{node.lineno} {node.name}: the async one takes the plain name")
    assert not offences, offences
