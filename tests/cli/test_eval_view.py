"""``agentkit eval view DIR`` writes an index of every run under DIR, newest first, linking to their reports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentkit.cli import main


def test_the_index_lists_every_run_newest_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = ["eval", "evals/escalation", "--model", "offline", "--split", "test", "--no-progress"]
    assert main([*run, "--out", str(tmp_path / "first")]) == 0
    assert main([*run, "--out", str(tmp_path / "prompts" / "second"), "--tag", "explicit_request"]) == 0
    (tmp_path / "notes").mkdir()  # not a run: not listed
    capsys.readouterr()
    assert main(["eval", "view", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("2 runs listed: file://")
    page = (tmp_path / "index.html").read_text()
    links = re.findall(r'<a href="([^"]+)">', page)
    assert links == ["prompts/second/report.html", "first/report.html"]
    assert all((tmp_path / link).is_file() for link in links)
    assert "<code>offline</code>" in page and "escalation · test" in page


def test_a_missing_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "view", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err
