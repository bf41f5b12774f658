"""The drawing in agentkit/exceptions.py's docstring and the exception classes of agentkit agree, both ways:
every class drawn exists with the drawn parent, and every exception class agentkit defines is drawn."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import agentkit
from agentkit import exceptions

# A drawn line: the tree's guides, then a class name (roots have no guides). Its depth is its column / 4.
_LINE = re.compile(r"^(?P<guides>[│├└─ ]*)(?P<name>[A-Z]\w*)")


def drawn_parents(doc: str) -> dict[str, str | None]:
    """``{class name: drawn parent name}`` from the code blocks of ``doc`` (None for a root)."""
    parents: dict[str, str | None] = {}
    for block in re.findall(r"```\n(.*?)```", doc, re.S):
        stack: list[str] = []
        for line in block.splitlines():
            match = _LINE.match(line)
            if match is None:
                continue
            depth = len(match["guides"]) // 4
            del stack[depth:]
            assert match["name"] not in parents, f"{match['name']} is drawn twice"
            parents[match["name"]] = stack[-1] if stack else None
            stack.append(match["name"])
    return parents


def defined_exceptions() -> dict[str, type[BaseException]]:
    """Every public exception class defined in agentkit's modules, by name (one class per name)."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(agentkit.__path__, "agentkit."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == info.name:
                if not name.startswith("_"):
                    assert found.setdefault(name, value) is value, f"two exception classes are named {name}"
    found.update({c.__name__: c for c in (Exception, BaseException)})
    return found


DRAWN = drawn_parents(exceptions.__doc__ or "")


def test_the_drawing_parses_into_the_tree_we_expect() -> None:
    assert DRAWN["AgentkitError"] is None and DRAWN["Exception"] is None
    assert DRAWN["DuplicateToolError"] == "ToolDefinitionError"
    assert DRAWN["ModelHTTPError"] == "ModelError"
    assert DRAWN["TicketClosed"] == "DeskError"


@pytest.mark.parametrize("name", sorted(DRAWN))
def test_every_class_drawn_exists_under_its_drawn_parent(name: str) -> None:
    classes = defined_exceptions()
    assert name in classes, f"{name} is drawn in agentkit/exceptions.py but no such class exists"
    parent = DRAWN[name]
    if parent is not None:
        assert classes[name].__bases__[0].__name__ == parent, f"{name} is drawn under {parent}"


def test_every_exception_class_of_agentkit_is_drawn() -> None:
    missing = sorted(set(defined_exceptions()) - set(DRAWN))
    assert not missing, f"draw these in the docstring of agentkit/exceptions.py: {missing}"


def test_the_root_is_agentkit_error() -> None:
    assert exceptions.AgentkitError.__bases__ == (Exception,)
