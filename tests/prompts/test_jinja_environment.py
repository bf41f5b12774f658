"""One jinja2 environment factory (``agentkit.prompts.jinja_environment``), used by prompts, pages and reports."""

from __future__ import annotations

import ast
from pathlib import Path

import jinja2
import pytest

import agentkit
from agentkit.prompts import environment, jinja_environment

PACKAGE = Path(agentkit.__file__).parent


def test_no_module_but_the_factory_makes_a_jinja2_environment() -> None:
    makers = sorted(
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Environment"
    )
    assert [maker.split(":")[0] for maker in makers] == ["prompts/_render.py"], makers


def test_html_escapes_and_prompts_do_not(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("{% if x %}\n{{ x }}\n{% endif %}\n")
    assert jinja_environment(tmp_path, html=True).get_template("t.j2").render(x="<b>") == "&lt;b&gt;\n"
    assert jinja_environment(tmp_path).get_template("t.j2").render(x="<b>") == "<b>\n"
    with pytest.raises(jinja2.UndefinedError, match="'x' is undefined"):
        jinja_environment(tmp_path, html=True).get_template("t.j2").render()


def test_the_prompt_environment_looks_in_the_given_folders_first(tmp_path: Path) -> None:
    (tmp_path / "support_assistant.j2").write_text("mine")
    assert environment((str(tmp_path),)).get_template("support_assistant.j2").render() == "mine"
    assert environment() is environment()  # cached: one environment per set of folders
