"""How the ``agentkit`` command fails: one line on stderr and an exit code, the traceback only when asked for.

Exit codes: 2 for a usage or configuration mistake (the message says what to change), 1 for a failure of the
setup or the environment (a database that is down, a bot file that does not import), 130 for Ctrl-C. With
``--debug`` or ``AGENTKIT_DEBUG=1`` the traceback follows the line.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable

from ..exceptions import UserError

__all__ = ["CommandFailed", "debug_wanted", "describe", "run_reporting_errors"]

USAGE, FAILURE, INTERRUPTED = 2, 1, 130
_DEBUG_HINT = "(--debug or AGENTKIT_DEBUG=1 shows the traceback)"


class CommandFailed(Exception):
    """A setup or environment failure the command reports in one line, with exit code 1."""


def debug_wanted(flag: bool) -> bool:
    return flag or os.environ.get("AGENTKIT_DEBUG", "").strip().lower() in ("1", "true", "yes")


def run_reporting_errors(command: str, action: Callable[[], int], *, debug: bool) -> int:
    """``action()``'s exit code; an exception becomes one line on stderr (and its exit code) unless ``debug``."""
    try:
        code = action()
        sys.stdout.flush()  # here, so that a reader gone away (``| head``) is noticed while we can still answer
        return code
    except KeyboardInterrupt:
        print(f"\nagentkit {command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()  # the reader left (``--json | head``): nothing to say, and nothing to flush at exit
        return FAILURE
    except UserError as error:
        return _report(command, str(error), error, USAGE, debug)
    except CommandFailed as error:
        return _report(command, str(error), error, FAILURE, debug)
    except Exception as error:
        return _report(command, f"{describe(error)} {_DEBUG_HINT}", error, FAILURE, debug)


def _report(command: str, message: str, error: BaseException, code: int, debug: bool) -> int:
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    print(f"agentkit {command}: {message}", file=sys.stderr)
    return code


def describe(error: BaseException) -> str:
    """The error in one line: its type (for a database driver, "the database failed") and its first line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    kind = type(error).__name__
    if isinstance(error, OSError) and error.strerror:
        text = f"{error.strerror}" + (f": {error.filename}" if error.filename else "")
    if type(error).__module__.split(".")[0] in ("psycopg", "psycopg_pool", "sqlite3"):
        kind = "the database failed"  # the driver's class names (OperationalError) mean little to a user
    return f"{kind}: {text}" if text else kind


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
