"""Help written for users: every parser shows defaults and keeps the line breaks of its description."""

from __future__ import annotations

import argparse
from importlib import metadata
from typing import Any

from ..exceptions import ConfigError
from ..models import parse_model_string

__all__ = ["MODEL_HELP", "Parser", "add_model_argument", "model_string", "version"]

MODEL_HELP = "the model: offline (a rule-based stand-in, no API key) or openai:MODEL_NAME, e.g. openai:gpt-4o-mini"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions keep their layout; an option's default is shown unless it is empty or its help names it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if "default" in text.lower() or default in (None, False, [], argparse.SUPPRESS):
            return text
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return f"{text} (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` with ``HelpFormatter``; subcommand parsers are made of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def model_string(value: str) -> str:
    """An argparse type: a model string, checked now (usage error, exit 2) rather than at the first request."""
    try:
        parse_model_string(value)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error).replace("the model string ", "", 1)) from None
    return value


def add_model_argument(parser: argparse.ArgumentParser, default_note: str = "$AGENTKIT_MODEL") -> None:
    parser.add_argument("--model", type=model_string, help=f"{MODEL_HELP} (default: {default_note})")


def version() -> str:
    try:
        return metadata.version("agentkit")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"
