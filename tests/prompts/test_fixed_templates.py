"""``fix_templates``: a server's templates are read once; a render no longer stats their files, and a render with the
same plain variables gives back the text it gave before. Without it (the
default: chat, evals, scripts) an edited template is read again at its next render."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from agentkit.prompts import environment, fix_templates, render


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


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The variables of each render jinja2 really does (a kept text does not get here)."""
    done: list[dict[str, Any]] = []
    real = jinja2.Template.render

    def counting(self: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        done.append(kwargs)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Template, "render", counting)
    yield done
    fix_templates(False)


def test_fixed_templates_keep_the_text_of_a_render_with_the_same_plain_variables(
    tmp_path: Path, renders: list[dict[str, Any]]
) -> None:
    (tmp_path / "mine.j2").write_text("Hello {{ customer }} {{ vip }}")
    fix_templates()
    for _ in range(3):
        assert render("mine.j2", folders=[tmp_path], customer="Ana", vip=1) == "Hello Ana 1"
    assert render("mine.j2", folders=[tmp_path], customer="Ana", vip=True) == "Hello Ana True"  # 1 == True
    assert render("mine.j2", folders=[tmp_path], customer="Bo", vip=1) == "Hello Bo 1"
    assert [r["customer"] for r in renders] == ["Ana", "Ana", "Bo"]


def test_renders_whose_text_could_change_are_not_kept(tmp_path: Path, renders: list[dict[str, Any]]) -> None:
    (tmp_path / "mine.j2").write_text("Hello {{ names | join(', ') }}")
    names = ["Ana"]
    assert render("mine.j2", folders=[tmp_path], names=["Ana"]) == "Hello Ana"  # not fixed: never kept
    fix_templates()
    assert render("mine.j2", folders=[tmp_path], names=names) == "Hello Ana"
    names.append("Bo")  # a list can change after the render
    assert render("mine.j2", folders=[tmp_path], names=names) == "Hello Ana, Bo"
    assert len(renders) == 3


def test_a_template_with_an_added_global_is_rendered_each_time(tmp_path: Path, renders: list[dict[str, Any]]) -> None:
    (tmp_path / "clock.j2").write_text("Turn {{ tick() }}")
    env = environment((str(tmp_path),))
    ticks = iter(range(1, 10))
    env.globals["tick"] = lambda: next(ticks)
    try:
        fix_templates()
        assert [render("clock.j2", folders=[tmp_path]) for _ in range(2)] == ["Turn 1", "Turn 2"]
    finally:
        del env.globals["tick"]
    assert len(renders) == 2
