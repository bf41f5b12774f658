"""``agentkit tools`` prints specs; bad targets get a message that says what to fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentkit.cli import main

TOOLS_MODULE = """
from pydantic import BaseModel
from agentkit import Tool

class LookupInput(BaseModel):
    order_id: str

lookup = Tool("lookupOrder", "Find an order", LookupInput, lambda a: a.order_id)
"""


def test_tools_prints_the_specs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mytools.py"
    path.write_text(TOOLS_MODULE)
    assert main(["tools", f"{path}:lookup"]) == 0
    specs = json.loads(capsys.readouterr().out)
    assert specs[0]["function"]["name"] == "lookupOrder" and specs[0]["function"]["strict"] is True
    assert main(["tools", str(path), "--api", "responses"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "lookupOrder"


def test_tools_with_a_wrong_attribute_says_what_exists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mytools.py"
    path.write_text(TOOLS_MODULE)
    assert main(["tools", f"{path}:nope"]) == 2
    assert "has no attribute 'nope'; it has:" in capsys.readouterr().err
    assert main(["tools", "no_such_module_xyz"]) == 2
