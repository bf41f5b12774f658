"""The index of eval runs: one page (``index.html`` in a folder of runs) that lists every run found under it, newest
first, with its model, dataset, headline numbers and a link to its report. ``agentkit eval view DIR`` writes it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..prompts import jinja_environment

__all__ = ["find_runs", "write_runs_index"]

TEMPLATES = Path(__file__).parent / "templates"
_DEPTH = 3  # runs/<name>/report.json, runs/baselines/<baseline>/report.json, and one level more


def find_runs(folder: Path) -> list[dict[str, Any]]:
    """One row per ``report.json`` under ``folder`` (``_DEPTH`` levels at most), newest first."""
    rows = []
    for depth in range(1, _DEPTH + 1):
        for path in sorted(folder.glob("/".join(["*"] * depth) + "/report.json")):
            try:
                report = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # a run being written, or not an eval report: not listed
            rows.append(_row(folder, path.parent, report))
    return sorted(rows, key=lambda row: row["started_at"], reverse=True)


def write_runs_index(folder: Path) -> tuple[Path, int]:
    """Write ``folder/index.html``; returns its path and the number of runs listed."""
    runs = find_runs(folder)
    page = jinja_environment(TEMPLATES, html=True).get_template("runs_index.html.j2").render(folder=folder, runs=runs)
    target = folder / "index.html"
    target.write_text(page, encoding="utf-8")
    return target, len(runs)


def _row(folder: Path, run: Path, report: Mapping[str, Any]) -> dict[str, Any]:
    config, head = report.get("config", {}), report.get("headline", {})
    bot, dataset = config.get("bot", {}), config.get("dataset", {})
    f1_interval = report.get("intervals", {}).get("f1") or [None, None]
    return {
        "name": str(run.relative_to(folder)),
        "report": f"{run.relative_to(folder).as_posix()}/report.html",
        "model": bot.get("model", "?"),
        "prompt": bot.get("prompt", ""),
        "dataset": Path(str(dataset.get("path", "?"))).name,
        "split": dataset.get("split") or "all",
        "n_cases": dataset.get("n_cases"),
        "repeats": config.get("repeats", 1),
        "f1": head.get("f1"),
        "f1_interval": f1_interval,
        "recall": head.get("recall"),
        "under_triage_rate": head.get("under_triage_rate"),
        "cost_usd": head.get("cost_usd"),
        "started_at": str(config.get("started_at", "")),
    }
