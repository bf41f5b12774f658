"""Loading what a command names: ``MODULE:ATTR``, ``path/to/file.py:ATTR``, or a file/module alone."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from ..exceptions import AgentkitError, ConfigError
from ._errors import CommandFailed, describe


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
        if error.name is not None and target.startswith(error.name):  # the module itself, not one it imports
            hint = "give a module name or a path to a .py file"
            raise ConfigError(f"cannot import {target!r}: {error}; {hint}") from None
        raise _broken(target, error) from error
    except AgentkitError:
        raise
    except Exception as error:
        raise _broken(target, error) from error


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
    try:
        spec.loader.exec_module(module)
    except AgentkitError:  # the bot's own configuration mistake: its message says what to fix
        raise
    except Exception as error:
        del sys.modules[name]
        raise _broken(str(path), error, path) from error
    return module


def _broken(target: str, error: Exception, path: Path | None = None) -> CommandFailed:
    """A bot file that exists but does not load, in one line: where and why."""
    if isinstance(error, SyntaxError):
        in_file = path is not None and error.filename is not None and Path(error.filename) == path.resolve()
        where = f"line {error.lineno}" if in_file else f"{error.filename}, line {error.lineno}"
        return CommandFailed(f"{target} has a syntax error at {where}: {error.msg}")
    line = _line_in(error, path)
    if isinstance(error, ImportError):
        return CommandFailed(f"{target} does not load{line}: an import failed: {error}")
    return CommandFailed(f"{target} does not load{line}: {describe(error)}")


def _line_in(error: Exception, path: Path | None) -> str:
    """`` (line N)``: the last line of the bot's own file in the traceback, when there is one."""
    if path is None:
        return ""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path.resolve()]
    return f" (line {lines[-1]})" if lines else ""
