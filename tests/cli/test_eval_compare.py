"""``agentkit eval compare A B`` says which run is better, by how much, and whether the cases can tell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentkit.cli import main
from agentkit.cli._eval_compare import metric_changes, verdict


def _comparison(difference: float, low: float, high: float, **metrics_b: float) -> dict[str, Any]:
    return {
        "name_a": "runs/old (bot)",
        "name_b": "runs/new (bot)",
        "f1_paired_bootstrap": {"difference": difference, "low": low, "high": high},
        "mcnemar": {"p_value": 0.012},
        "metrics_a": {"f1": 0.70, "recall": 0.80, "under_triage_rate": 0.10},
        "metrics_b": {"f1": 0.70, "recall": 0.80, "under_triage_rate": 0.10} | metrics_b,
    }


def test_the_verdict_follows_the_interval() -> None:
    assert verdict(_comparison(0.06, 0.02, 0.10)).startswith(
        "B is better: runs/new (bot) beats runs/old (bot) by F1 +0.060"
    )
    assert verdict(_comparison(-0.06, -0.10, -0.02)).startswith("B is worse:")
    undecided = verdict(_comparison(0.01, -0.03, 0.05))
    assert undecided.startswith("no clear winner") and "cannot tell them apart" in undecided
    assert "95 % interval -0.030 to +0.050; McNemar p = 0.012" in undecided


def test_each_metric_is_better_or_worse_by_its_direction() -> None:
    lines = metric_changes(_comparison(0.0, -0.1, 0.1, f1=0.75, recall=0.70, under_triage_rate=0.05))
    assert lines == ["  better in B: f1 +0.050, under_triage_rate -0.050", "  worse in B: recall -0.100"]


def test_compare_two_runs_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = ["eval", "evals/escalation", "--model", "offline", "--split", "test", "--no-progress"]
    assert main([*run, "--out", str(tmp_path / "a")]) == 0
    assert main([*run, "--out", str(tmp_path / "b")]) == 0
    capsys.readouterr()
    assert main(["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no clear winner: b (") and "F1 +0.000" in out
    assert "fixed in B: none" in out and "f1" not in out.split("better in B:")[1]  # only latency may move
    assert main(["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"].startswith("no clear winner")
