"""The exception tree in agentkit/exceptions.py's docstring names every AgentkitError subclass in the package."""

from __future__ import annotations

import importlib
import pkgutil
import re

import agentkit
from agentkit import exceptions


def all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(all_subclasses(c) for c in found)) if found else found


def test_every_error_class_is_drawn_in_the_tree() -> None:
    for module in pkgutil.walk_packages(agentkit.__path__, "agentkit."):
        importlib.import_module(module.name)
    drawn = set(re.findall(r"── (\w+)", exceptions.__doc__ or ""))
    missing = sorted(c.__name__ for c in all_subclasses(exceptions.AgentkitError) if c.__name__ not in drawn)
    assert not missing, f"add these to the tree in agentkit/exceptions.py: {missing}"
