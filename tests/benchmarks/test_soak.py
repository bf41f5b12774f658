"""``benchmarks/soak.py`` at a small scale: its conversations (half hand off, are answered and closed by a person,
then go on with the bot), its checks (every message once and in order, one closed ticket per escalation) and its
memory report. The full soak (1,000 conversations) is a benchmark, not a test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .test_load_webchat import ROOT, load_benchmark

SCRIPT = ROOT / "benchmarks/soak.py"


def test_every_other_conversation_hands_off_and_each_sends_ten_messages() -> None:
    soak = load_benchmark(SCRIPT)
    for n in range(4):
        sent, escalates = soak.script(n)
        assert len(sent) == 10 and len(set(sent)) > 1
        assert escalates is (n % 2 == 0)
        assert (soak.HANDOFF in sent) is escalates
        if escalates:
            assert sent.index(soak.HANDOFF) == 2


def test_a_short_soak_runs_with_its_checks_and_reports_memory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--conversations", "4", "--concurrency", "2", "--rss-bound", "1000"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 conversations, 40 messages in" in done.stdout
    assert "every message stored once and in order; 2 tickets, one per escalating conversation, all closed" in (
        done.stdout
    )
    assert "after 1 conversations (warm-up)" in done.stdout and "within the 1000 MB bound" in done.stdout
