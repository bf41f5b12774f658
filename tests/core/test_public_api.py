"""The public surface: each package's ``__all__`` is sorted, and names exactly what it exports."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["agentkit", "agentkit.models", "agentkit.tools", "agentkit.loop", "agentkit.prompts", "agentkit.testing"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported), f"{name}.__all__ is not sorted"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what the module lacks: {missing}"
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not _is_submodule(name, v)}
    assert public <= set(exported), f"{name}: public but not in __all__: {public - set(exported)}"


def _is_submodule(package: str, value: object) -> bool:
    return getattr(value, "__name__", "").startswith(package + ".") and type(value).__name__ == "module"


def test_design_names_import() -> None:
    from agentkit import Autonomous, Tool, context, execute  # noqa: F401
    from agentkit.models import FunctionModel, OpenAIModel, ScriptedModel, TestModel  # noqa: F401

    assert Autonomous.Tool is Tool
