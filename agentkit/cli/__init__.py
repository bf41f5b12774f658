"""The ``agentkit`` command line: ``chat``, ``serve``, ``eval``, ``tune``, ``tools``, ``hitl``, ``desk``.

``main`` builds the parser from each command module's ``register`` and runs the chosen command through
``run_reporting_errors``: one line on stderr for an error, the traceback only with ``--debug``.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
