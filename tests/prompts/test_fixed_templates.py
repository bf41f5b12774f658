"""``fix_templates``: a server's templates are read once; a render no longer stats their files. Without it (the
default: chat, evals, scripts) an edited template is read again at its next render."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit.prompts import fix_templates, render


@pytest.fixture
def stats(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths ``os.stat`` is asked about (jinja2's up-to-date check and ``Path.is_file`` both go through it)."""
    seen: list[str] = []
    real = os.stat

    def counting(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        seen.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting)
    yield seen
    fix_templates(False)


def test_fixed_templates_are_not_stated_per_render(tmp_path: Path, stats: list[str]) -> None:
    (tmp_path / "mine.j2").write_text("Hello {{ customer }}")
    fix_templates()
    assert render("mine.j2", folders=[tmp_path], customer="Ana") == "Hello Ana"  # the first render reads it
    assert render("support_assistant.j2", company="Acme")
    assert render(str(tmp_path / "mine.j2"), customer="Bo") == "Hello Bo"
    stats.clear()
    for customer in ("Cy", "Di", "Ed"):
        assert render("mine.j2", folders=[tmp_path], customer=customer) == f"Hello {customer}"
        assert render(str(tmp_path / "mine.j2"), customer=customer) == f"Hello {customer}"
        assert "Acme" in render("support_assistant.j2", company="Acme")
    assert stats == []


def test_fixed_templates_keep_what_was_read_and_unfixed_ones_follow_edits(tmp_path: Path, stats: list[str]) -> None:
    template = tmp_path / "mine.j2"
    template.write_text("Hello {{ customer }}")
    fix_templates()
    assert render("mine.j2", folders=[tmp_path], customer="Ana") == "Hello Ana"
    template.write_text("Bye {{ customer }}")
    os.utime(template, (1, 1))  # another mtime, whatever the file system's clock resolution
    assert render("mine.j2", folders=[tmp_path], customer="Ana") == "Hello Ana"
    fix_templates(False)
    assert render("mine.j2", folders=[tmp_path], customer="Ana") == "Bye Ana"
    assert any(path.endswith("mine.j2") for path in stats)
