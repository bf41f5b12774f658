"""Prompt rendering with StrictUndefined, and the shipped prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.exceptions import ConfigError
from agentkit.prompts import render, render_string


def test_shipped_prompt_mentions_the_tool_the_rubric_and_silence() -> None:
    text = render("support_assistant.j2", company="Acme")
    assert "handToSupport" in text and "`urgent`" in text and "do not send any message" in text
    assert "Acme" in text and "{%" not in text


def test_missing_variable_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "mine.j2").write_text("Hello {{ customer }}")
    with pytest.raises(ConfigError, match="'customer' is undefined"):
        render("mine.j2", folders=[tmp_path])
    assert render(str(tmp_path / "mine.j2"), customer="Ana") == "Hello Ana"
    with pytest.raises(ConfigError, match="no prompt template 'nope.j2'"):
        render("nope.j2")
    assert render_string("{{ a }}-{{ b }}", a=1, b=2) == "1-2"


def test_user_folder_overrides_the_shipped_template(tmp_path: Path) -> None:
    (tmp_path / "support_assistant.j2").write_text("Custom {{ company }}")
    assert render("support_assistant.j2", folders=[tmp_path], company="Acme") == "Custom Acme"
