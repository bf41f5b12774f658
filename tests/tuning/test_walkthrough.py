"""``examples/tuning_walkthrough.py`` runs offline and leaves the reports it announces."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tuning_walkthrough.py"
README = Path(__file__).resolve().parents[2] / "README.md"


async def test_the_walkthrough_runs_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("tuning_walkthrough", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    await module.main(tmp_path)
    printed = capsys.readouterr().out
    assert "plan: strategy halving" in printed
    assert "power      smallest F1 gain each split can confirm" in printed  # the dry run states the power
    verdict = next(line for line in printed.splitlines() if line.startswith("verdict: "))
    assert verdict.startswith(("verdict: confirmed: the dev gain of ", "verdict: not confirmed (the test split can "
                               "confirm gains of "))  # fmt: skip
    assert "did not hold" not in printed and "test split: used once by tuning runs so far" in printed
    power = next(line.strip() for line in printed.splitlines() if line.strip().startswith("power "))
    readme = README.read_text(encoding="utf-8")
    assert f"{power}\n{verdict}\n" in readme  # the README shows this run's power and verdict, word for word
    report = json.loads((tmp_path / "tuning.json").read_text())
    assert report["status"] == "finished" and report["spent"]["total"]["requests"] <= 3000
    assert (
        "Before each reply" in report["selected"]["instructions"]
        or "Answer yourself" in (report["selected"]["instructions"])
    )  # a better policy than the start's was selected on dev
