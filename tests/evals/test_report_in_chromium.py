"""report.html in a real browser: headless chromium opens it with no console message, and a screenshot is kept.

The chromium command line is used rather than Playwright: no extra Python package, no driver to match to the
browser's version. Chromium writes the page's console messages to its stderr log as ``INFO:CONSOLE`` lines; a
control page with a deliberate error proves the check sees them.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from agentkit.evals import EscalationCase
from agentkit.evals._baselines import baseline_bot
from agentkit.evals._runner import EvalBot, run_eval

from .runner_fakes import ROOT

SCRIPT = ROOT / "scripts" / "ensure_chromium.sh"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def chromium() -> str:
    subprocess.run(["sh", str(SCRIPT)], capture_output=True, timeout=900, check=False)
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(
            "chromium is not installed and scripts/ensure_chromium.sh could not install it "
            "(it needs root and apt-get); install Debian's `chromium` package to run this test"
        )
    return found


def open_headless(chromium: str, page: Path, screenshot: Path, profile: Path) -> list[str]:
    """Load ``page``, save a screenshot, and return the console lines chromium logged."""
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--window-size=1280,3200",
        f"--screenshot={screenshot}", page.resolve().as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Failed to load resource" in line]


def test_the_console_check_sees_errors(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><title>x</title><script>console.error('deliberate'); missing();</script>")
    console = open_headless(chromium, page, tmp_path / "broken.png", tmp_path / "profile")
    assert any("deliberate" in line for line in console) and any("missing is not defined" in line for line in console)


def test_report_html_opens_without_console_errors(
    chromium: str, tmp_path: Path, shipped_cases: list[EscalationCase]
) -> None:
    never = asyncio.run(run_eval(shipped_cases, baseline_bot("never-escalate"), progress=False))
    run = asyncio.run(run_eval(shipped_cases, EvalBot("offline"), out_dir=tmp_path / "run", progress=False))
    paths = run.write_reports(baseline=never)  # every section: comparison and failing cases included
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "eval-report.png"
    screenshot.unlink(missing_ok=True)
    console = open_headless(chromium, paths["report.html"], screenshot, tmp_path / "profile")
    assert console == []
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
