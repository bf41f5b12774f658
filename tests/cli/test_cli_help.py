"""The command's help is written for users: a version, every option explained, defaults shown, no reST."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from agentkit.cli import build_parser, main

COMMANDS = [["chat"], ["serve"], ["eval"], ["eval", "compare"], ["eval", "view"], ["tune"], ["tools"], ["hitl"],
            ["hitl", "redeliver"], ["desk"], ["desk", "add-agent"], ["desk", "add-bot"], ["desk", "agents"],
            ["desk", "bots"]]  # fmt: skip


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("agentkit 0.")


def test_every_option_of_every_command_has_help() -> None:
    missing = [
        f"{parser.prog} {action.dest}"
        for parser in _parsers(build_parser())
        for action in parser._actions
        if not action.help and not isinstance(action, argparse._SubParsersAction)
    ]
    assert missing == []


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_is_for_users(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: agentkit {' '.join(command)}")
    assert "``" not in text and ":class:" not in text and "(default: None)" not in text


def test_top_level_help_lists_the_commands_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "agentkit serve examples/support_bot.py" in text and "--version" in text
    for name in ("chat", "serve", "eval", "tune", "tools", "hitl", "desk"):
        assert f"\n    {name} " in text
    assert "eval-compare" not in text and "eval-view" not in text  # reached through `eval`


def test_defaults_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    text = capsys.readouterr().out
    assert "(default: 8000)" in text and "(default: 127.0.0.1)" in text
    assert main(["tune", "--help"]) == 0
    assert "(default: grid)" in capsys.readouterr().out


def test_eval_compare_is_a_subcommand_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "compare", "--help"]) == 0
    compare = capsys.readouterr().out
    assert main(["eval", "--help"]) == 0
    assert compare != capsys.readouterr().out
    assert "RUN_A" in compare and "which run is better" in compare and "--fail-under" not in compare


def test_a_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve"]) == 2
    assert "the following arguments are required: BOT" in capsys.readouterr().err
