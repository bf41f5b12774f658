"""``agentkit eval``: the offline run of the shipped dataset, gates, resume, compare, baselines, bad input."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from agentkit.cli import main
from agentkit.testing import FakeOpenAIServer, Fault

from .runner_fakes import SHIPPED

DATASET = str(SHIPPED)


def test_offline_on_the_whole_shipped_dataset_in_well_under_a_minute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "offline"
    started = time.perf_counter()
    assert main(["eval", DATASET, "--model", "offline", "--out", str(out)]) == 0
    assert time.perf_counter() - started < 20
    for name in ("report.json", "report.html", "summary.txt", "results.jsonl", "cases.jsonl"):
        assert (out / name).stat().st_size > 0, name
    printed = capsys.readouterr()
    report = json.loads((out / "report.json").read_text())
    assert report["metrics"]["n_cases"] == len((out / "cases.jsonl").read_text().splitlines())
    assert f"f1 {report['headline']['f1']:.3f}" in printed.out and "reports:" in printed.out
    assert "eval [" in printed.err  # the progress bar
    assert report["config"]["dataset"]["path"] == DATASET and report["config"]["bot"]["model"] == "offline"


def test_split_prompt_and_repeats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompt = tmp_path / "terse.j2"
    prompt.write_text("You are {{ bot_name }}. Hand off with {{ handoff_tool }} when a person is needed.")
    args = ["eval", DATASET, "--model", "offline", "--split", "test", "--repeats", "2", "--prompt", str(prompt)]
    assert main([*args, "--var", "bot_name=Terse", "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["config"]["dataset"]["splits"].keys() == {"test"} and report["config"]["repeats"] == 2
    assert report["config"]["bot"]["prompt"] == str(prompt)
    assert capsys.readouterr().err == ""  # --no-progress


def test_gates_fail_with_each_metric_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gates = ["--fail-under", "f1=0.9", "--fail-under", "recall=0.95", "--fail-over", "under_triage_rate=0.05"]
    code = main(["eval", DATASET, "--model", "offline", "--split", "test", "--out", str(tmp_path), *gates])
    err = capsys.readouterr().err
    assert code == 1
    assert "gate failed: f1 = " in err and "gate failed: recall = " in err and "under_triage_rate" in err
    assert main(["eval", DATASET, "--model", "offline", "--out", str(tmp_path), "--fail-under", "f1=0.1"]) == 0


def test_a_misspelt_gate_fails_before_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", DATASET, "--model", "offline", "--out", str(tmp_path), "--fail-under", "f_1=0.9"]) == 2
    assert "unknown metric 'f_1'" in capsys.readouterr().err
    assert not (tmp_path / "results.jsonl").exists()
    assert main(["eval", DATASET, "--model", "offline", "--fail-under", "f1=high"]) == 2
    assert "METRIC=NUMBER" in capsys.readouterr().err


def test_rerunning_the_same_out_resumes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["eval", DATASET, "--model", "offline", "--split", "dev", "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    first = (tmp_path / "results.jsonl").read_text()
    assert main(args) == 0
    assert (tmp_path / "results.jsonl").read_text() == first  # nothing re-run, nothing appended
    assert json.loads((tmp_path / "report.json").read_text())["config"]["resumed"] == len(first.splitlines())


def test_baseline_and_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    never, offline = tmp_path / "never", tmp_path / "offline"
    common = ["--split", "test", "--no-progress"]
    assert main(["eval", DATASET, "--baseline-suite", "--out", str(tmp_path / "suite"), *common]) == 0
    capsys.readouterr()
    never = tmp_path / "suite" / "never-escalate"
    assert main(["eval", DATASET, "--model", "offline", "--out", str(offline), "--baseline", str(never), *common]) == 0
    out = capsys.readouterr().out
    assert "compared with never-escalate" in out and "McNemar exact p" in out
    report = json.loads((offline / "report.json").read_text())
    assert report["comparison"]["mcnemar"]["n_cases"] == report["metrics"]["n_cases"]
    assert main(["eval", "compare", str(never), str(offline)]) == 0
    assert "fixed in B:" in capsys.readouterr().out
    assert main(["eval", "compare", str(never), str(offline), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["f1_paired_bootstrap"]["n_resamples"] == 1000


def test_a_baseline_of_other_cases_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", DATASET, "--model", "offline", "--split", "dev", "--out", str(tmp_path / "dev")]) == 0
    args = ["eval", DATASET, "--model", "offline", "--split", "test", "--baseline", str(tmp_path / "dev")]
    assert main(args) == 2
    assert "use the same dataset, --split and --tag as the baseline" in capsys.readouterr().err


def test_the_baseline_suite_prints_a_markdown_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", DATASET, "--baseline-suite", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| split | baseline | F1 [95% CI] | precision |")
    assert "| test | always-escalate |" in out and "| test | never-escalate |" in out and "| test | offline |" in out
    assert (tmp_path / "baselines.md").read_text().startswith("| split | baseline |")


def test_bad_input_says_what_to_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "missing"), "--model", "offline"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["eval", "compare", str(tmp_path)]) == 2
    usage = capsys.readouterr().err
    assert "usage: agentkit eval compare" in usage and "RUN_A RUN_B" in usage
    assert main(["eval", "compare", str(tmp_path), str(tmp_path)]) == 2
    assert "holds no eval results" in capsys.readouterr().err


def test_every_case_failing_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeOpenAIServer(handler=lambda body: Fault.status(401)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        args = ["eval", DATASET, "--model", "openai:gpt-4o-mini", "--split", "test", "--out", str(tmp_path)]
        assert main([*args, "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "every case failed with an error; the first: ModelHTTPError" in err and "HTTP 401" in err


def test_the_bots_tools_come_from_a_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = tmp_path / "shop_tools.py"
    module.write_text(
        "from pydantic import BaseModel\nfrom agentkit import Tool\n\n"
        "class LookupInput(BaseModel):\n    order_id: str\n\n"
        "lookupOrder = Tool('lookupOrder', 'Find an order', LookupInput, lambda a: 'shipped')\n"
    )
    args = ["eval", DATASET, "--model", "offline", "--split", "test", "--tools", f"{module}:lookupOrder"]
    assert main([*args, "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["config"]["bot"]["tools"] == ["lookupOrder", "handToSupport"]  # the handoff tool is added
