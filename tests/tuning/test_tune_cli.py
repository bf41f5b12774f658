"""``agentkit tune``: the dry-run plan, a whole run against a loopback OpenAI server, the budget stop, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentkit.cli import main
from agentkit.evals import EscalationCase, dump_cases, filter_cases, load_cases
from agentkit.testing import FakeOpenAIServer, Reply

from .tuning_fakes import CLAUSE, SPACE_WITHOUT_CLAUSE, decide, write_space

ROOT = Path(__file__).resolve().parents[2]


def handler(body: dict[str, Any]) -> Reply:
    """The prompt-reading fake over HTTP; as the proposer (gpt-4.1), it proposes the clause."""
    if body["model"] == "gpt-4.1":
        return Reply(text=f"<policy>Hand off for people. {CLAUSE}</policy>", input_tokens=900, output_tokens=40)
    response = decide(body["messages"], [])
    assert not isinstance(response, str)
    calls = [(c.name, c.arguments) for c in response.tool_calls]
    return Reply(text=response.text, tool_calls=calls, input_tokens=300, output_tokens=20)


@pytest.fixture
def dataset(cases: list[EscalationCase], tmp_path: Path) -> str:
    path = tmp_path / "cases.jsonl"
    dump_cases(cases, path)
    return str(path)


def test_a_dry_run_prints_the_plan_and_needs_no_key(
    dataset: str, space: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")  # no client is built for a plan
    out = tmp_path / "out"
    args = ["tune", dataset, "--space", str(space), "--model", "openai:gpt-4o-mini", "--budget", "300"]
    assert main([*args, "--budget-usd", "2", "--strategy", "halving", "--minibatch", "8", "--out", str(out),
                 "--dry-run"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "plan: strategy halving, seed 0, objective f1" in printed and "halving-1  " in printed
    assert "at most 368 model requests" in printed and "no model request was made (--dry-run)" in printed
    assert not out.exists()


def test_the_shipped_space_plans_on_the_shipped_dataset(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["tune", str(ROOT / "evals" / "escalation"), "--space", str(ROOT / "prompts" / "escalation_space.toml")]
    assert main([*args, "--model", "openai:gpt-4o-mini", "--budget", "500", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    shipped = load_cases(ROOT / "evals" / "escalation")  # the dataset grows: its counts, not pinned numbers
    train, dev, test = (len(filter_cases(shipped, split=split)) for split in ("train", "dev", "test"))
    kept = sum(round(0.25 * sum(c.expected.escalate is label for c in filter_cases(shipped, split="train")))
               for label in (True, False))  # the space's pool share of each label is kept for examples
    assert "48 prompts" in printed
    assert f"train {train} ({train - kept} for search, {kept} kept for examples), dev {dev}, test {test}" in printed
    assert "500 requests: too small; one search step plus dev and test need up to " in printed


@pytest.mark.parametrize("strategy", ["grid", "opro"])
def test_a_whole_run_through_a_loopback_openai_server(
    strategy: str, dataset: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    space = write_space(tmp_path, SPACE_WITHOUT_CLAUSE) if strategy == "opro" else write_space(tmp_path)
    out = tmp_path / "out"
    with FakeOpenAIServer(handler=handler) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        args = ["tune", dataset, "--space", str(space), "--model", "openai:gpt-4o-mini", "--budget", "400",
                "--budget-usd", "1", "--strategy", strategy, "--proposer", "openai:gpt-4.1", "--opro-steps", "1",
                "--minibatch", "8", "--out", str(out)]  # fmt: skip
        assert main(args) == 0
        requests = len(server.requests)
    printed = capsys.readouterr()
    assert "verdict: confirmed: the dev gain of +0.33 F1 is +0.33 on test" in printed.out
    assert "tuning.html" in printed.out
    assert "tune dev " in printed.err  # one progress line per evaluation
    report = json.loads((out / "tuning.json").read_text())
    assert report["spent"]["total"]["requests"] == requests <= 400 and 0 < report["spent"]["total"]["usd"] <= 1
    assert CLAUSE in (out / "best_prompt.j2").read_text()


def test_a_budget_too_small_exits_1_and_says_why(
    dataset: str, space: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["tune", dataset, "--space", str(space), "--model", "offline", "--budget", "50", "--out", str(tmp_path)]
    assert main([*args, "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "stopped before the test confirmation: the budget of 50 requests is too small to start" in err
    assert json.loads((tmp_path / "tuning.json").read_text())["status"] == "stopped"


def test_bad_input_exits_2_naming_the_fix(dataset: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    space = write_space(tmp_path, 'template = "base.j2"\n[blocks.policy]\nfiles = []\n')
    assert main(["tune", dataset, "--space", str(space), "--model", "offline", "--budget", "9", "--dry-run"]) == 2
    assert "[blocks.policy] names a block the template does not have; its blocks: " in capsys.readouterr().err
    space = write_space(tmp_path)
    assert main(["tune", dataset, "--space", str(space), "--model", "offline", "--budget", "9",
                 "--objective", "f2", "--dry-run"]) == 2  # fmt: skip
    assert "unknown metrics ['f2']" in capsys.readouterr().err
