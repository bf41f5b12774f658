"""``agentkit.tuning``'s ``__all__`` is sorted and names exactly what it exports; the exception tree stays whole."""

from __future__ import annotations

import agentkit.tuning as tuning
from agentkit.exceptions import AgentkitError


def test_all_is_sorted_and_complete() -> None:
    exported = list(tuning.__all__)
    assert exported == sorted(exported)
    assert all(hasattr(tuning, name) for name in exported)
    public = {n for n, v in vars(tuning).items() if not n.startswith("_") and type(v).__name__ != "module"}
    assert public == set(exported)


def test_tuning_adds_no_exception_class() -> None:
    # Its errors are ConfigError (drawn in agentkit/exceptions.py); the budget stop never leaves tune().
    from agentkit.tuning._budget import BudgetStop

    assert not issubclass(BudgetStop, AgentkitError)
