"""Fixtures of the eval-runner tests."""

from __future__ import annotations

import pytest

from agentkit.evals import EscalationCase, load_cases

from .runner_fakes import SHIPPED, SMALL_CASES


@pytest.fixture
def small_cases() -> list[EscalationCase]:
    return list(SMALL_CASES)


@pytest.fixture(scope="session")
def shipped_cases() -> list[EscalationCase]:
    return load_cases(SHIPPED)
