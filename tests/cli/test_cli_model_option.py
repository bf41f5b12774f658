"""``--model`` and ``AGENTKIT_MODEL`` are checked before any work: a typo exits 2 with a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.cli import main

TUNE = ["tune", "evals/escalation", "--space", "prompts/escalation_space.toml", "--budget", "10", "--dry-run"]


@pytest.mark.parametrize(
    "command",
    [
        TUNE,
        ["eval", "evals/escalation", "--split", "test", "--no-progress"],
        ["chat", "examples/support_bot.py"],
        ["serve", "examples/support_bot.py"],
    ],
    ids=lambda command: command[0],
)
def test_a_misspelt_model_option_is_a_usage_error(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--model", "ofline"]) == 2
    err = capsys.readouterr().err
    assert "argument --model: 'ofline' is not a model" in err and "did you mean offline?" in err


def test_tune_dry_run_refuses_nonsense(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*TUNE, "--model", "nonsense"]) == 2
    assert "use 'offline' or 'openai:MODEL_NAME'" in capsys.readouterr().err
    assert main([*TUNE, "--model", "openai:gpt-4o", "--strategy", "opro", "--proposer", "openai:"]) == 2
    assert "argument --proposer: 'openai:' is not a model" in capsys.readouterr().err


def test_tune_dry_run_checks_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENTKIT_MODEL", "nonsense")
    assert main(TUNE) == 2
    assert "agentkit tune: AGENTKIT_MODEL='nonsense' is not a model" in capsys.readouterr().err


def test_eval_checks_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("AGENTKIT_MODEL", "gpt-4o-mini")
    assert main(["eval", "evals/escalation", "--split", "test", "--no-progress", "--out", str(tmp_path)]) == 2
    assert "did you mean openai:gpt-4o-mini?" in capsys.readouterr().err
