"""``tuning.html``: the JSON report as one self-contained page (inline CSS, no script, nothing fetched).

Every text that came from a candidate or a model is escaped by jinja2's autoescaping.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..prompts import jinja_environment

__all__ = ["render_html"]

TEMPLATES = Path(__file__).parent / "templates"


def render_html(report: Mapping[str, Any]) -> str:
    """The page for ``report`` (the dict of tuning.json)."""
    confirmation = report["confirmation"]
    return (
        jinja_environment(TEMPLATES, html=True)
        .get_template("tuning.html.j2")
        .render(
            report=report,
            plan=report["plan"],
            scores=_scores(report),
            confirmation=confirmation,
            comparison=confirmation["comparison"] if confirmation else None,
            objective=confirmation["objective_paired_bootstrap"] if confirmation else None,
            diff=[{"kind": _kind(line), "text": line} for line in report["diff"].splitlines()],
            num=_number,
        )
    )


def _scores(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of the dev and test table: the start and the winner on dev, then on test with F1 intervals."""
    selected = report["selected"]["id"]
    rows = []
    for e in report["dev"]:
        if e["candidate"]["id"] in (report["start"]["id"], selected):
            label = "start" if e["candidate"]["id"] == report["start"]["id"] else "winner"
            rows.append({"label": f"{label}: {e['candidate']['name']}", "split": "dev", "e": e, "ci": None})
    for label, scores in (report["test"] or {}).items():
        e = scores["evaluation"]
        rows.append({"label": f"{label}: {e['candidate']['name']}", "split": "test", "e": e,
                     "ci": scores["intervals"]["f1"]})  # fmt: skip
    return rows


def _kind(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "hunk"
    return {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
