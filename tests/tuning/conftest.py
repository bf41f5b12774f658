"""Fixtures of the tuning tests: the small dataset, a space over a small template, the prompt-reading fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.evals import EscalationCase

from .tuning_fakes import dataset, write_space


@pytest.fixture
def cases() -> list[EscalationCase]:
    return dataset()


@pytest.fixture
def space(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    folder.mkdir()
    return write_space(folder)
