"""``agentkit db status`` and ``upgrade`` know every component agentkit keeps tables for: the labelling queue's
too, which they used to leave out (its tables showed as "no agentkit tables")."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import agentkit
from agentkit.cli import main
from agentkit.cli._db import components
from agentkit.desk import LabellingQueue
from agentkit.storage import Component

CASE = {"id": "case-1", "conversation": [{"role": "user", "content": "my parcel never came"}]}


def _defined_components() -> dict[str, Component]:
    """Each ``NAME = Component(...)`` at the top of a module of agentkit, by its module and name."""
    root = Path(agentkit.__file__).parent
    found: dict[str, Component] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            if isinstance(node.value.func, ast.Name) and node.value.func.id == "Component":
                module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
                for target in node.targets:
                    assert isinstance(target, ast.Name)
                    found[f"{module}.{target.id}"] = getattr(importlib.import_module(module), target.id)
    return found


def test_every_component_of_agentkit_is_one_db_status_knows() -> None:
    defined = _defined_components()
    assert len(defined) >= 6  # the search finds them: runtime, hitl, desk, accounts, quotas, labelling
    known = [c.name for c in components()]
    assert [name for name, c in defined.items() if c.name not in known] == []
    assert len(known) == len(set(known))


def test_db_status_lists_the_labelling_queue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "server.sqlite3"
    queue = LabellingQueue(store)
    try:
        queue.add([CASE])
    finally:
        queue.close()
    assert main(["db", "status", str(store)]) == 0
    listed = capsys.readouterr().out
    assert "labelling version 1 of 1   up to date" in listed
    assert "no agentkit tables" not in listed
