"""Loading what a command names: ``MODULE:ATTR``, ``path/to/file.py:ATTR``, or a file/module alone."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from ..exceptions import ConfigError


def load_module(target: str) -> ModuleType:
    """Import a module by dotted name or by a path to a ``.py`` file."""
    path = Path(target)
    if path.suffix == ".py":
        if not path.is_file():
            raise ConfigError(f"no such file: {target}")
        return _import_file(path)
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as error:
        raise ConfigError(f"cannot import {target!r}: {error}; give a module name or a path to a .py file") from None


def load_attr(target: str, default_attr: str | None = None) -> Any:
    """The object ``ATTR`` of ``MODULE:ATTR`` (or ``default_attr`` when no ``:ATTR`` is given)."""
    module_name, _, attr = target.rpartition(":") if ":" in target else (target, "", default_attr or "")
    module = load_module(module_name)
    if not attr:
        return module
    try:
        return getattr(module, attr)
    except AttributeError:
        names = ", ".join(n for n in dir(module) if not n.startswith("_"))
        raise ConfigError(f"{module_name} has no attribute {attr!r}; it has: {names}") from None


def _import_file(path: Path) -> ModuleType:
    name = f"agentkit_user_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path.resolve())
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.resolve().parent))  # so the example can import its neighbours
    spec.loader.exec_module(module)
    return module
