"""The HTML report: one self-contained file (inline CSS, SVG and one small script that filters the failing cases;
nothing is fetched from the network).

It is rendered from the JSON report, so it shows exactly the numbers report.json holds; the cases add the
conversations of the failing ones. Everything from a case or a model is escaped by jinja2's autoescaping.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from ..prompts import jinja_environment
from ._cases import EscalationCase

__all__ = ["render_html"]

TEMPLATES = Path(__file__).parent / "templates"
MAX_FAILING_CASES = 300  # beyond this the page gets slow to open; report.json has them all
_ESCALATE, _STAY, _MIXED = "#2563eb", "#d97706", "#6b7280"


def render_html(report: Mapping[str, Any], cases: Sequence[EscalationCase]) -> str:
    """The report page for ``report`` (the dict of report.json); ``cases`` give the failing conversations."""
    failing = failing_cases(report["results"], {case.id: case for case in cases})
    return (
        jinja_environment(TEMPLATES, html=True)
        .get_template("report.html.j2")
        .render(
            report=report,
            bot=report["config"].get("bot", {}),
            cards=_cards(report),
            tag_chart=tag_chart_svg(report),
            confusion=report["metrics"]["decision"]["confusion_matrix"],
            priority=report["priority_confusion"],
            comparison=report["comparison"],
            failing=failing[:MAX_FAILING_CASES],
            n_failing=len(failing),
            shade=_shade,
        )
    )


def _cards(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    head, intervals = report["headline"], report["intervals"]
    cards = [
        {
            "name": name,
            "value": head[name],
            "interval": intervals[name],
            "svg": interval_svg(head[name], intervals[name]),
        }
        for name in ("f1", "precision", "recall", "accuracy")
    ]
    for name in ("specificity", "priority_exact_accuracy", "under_triage_rate", "expected_cost_per_case"):
        cards.append({"name": name, "value": head[name], "interval": None, "svg": ""})
    return cards


def interval_svg(value: float, interval: Sequence[float], width: int = 140) -> Markup:
    """A tiny 0..1 scale with the interval as a bar and the value as a dot."""
    x = [round(8 + v * (width - 16), 1) for v in (interval[0], interval[1], value)]
    return Markup(
        f'<svg class="ci" width="{width}" height="14" viewBox="0 0 {width} 14" role="img" '
        f'aria-label="95% interval {interval[0]:.3f} to {interval[1]:.3f}">'
        f'<line x1="8" y1="7" x2="{width - 8}" y2="7" stroke="#d1d5db"/>'
        f'<line x1="{x[0]}" y1="7" x2="{x[1]}" y2="7" stroke="#2563eb" stroke-width="4" stroke-linecap="round"/>'
        f'<circle cx="{x[2]}" cy="7" r="3.5" fill="#111827"/></svg>'
    )


def tag_chart_svg(report: Mapping[str, Any]) -> Markup:
    """Horizontal bars: per tag, the share of records with the right escalation decision; a tick marks the
    baseline's share when the report compares with one."""
    per_tag = report["metrics"]["per_tag"]
    kinds = _tag_kinds(report["results"])
    baseline = (report.get("comparison") or {}).get("tag_accuracy_a", {})
    label_w, bar_w, row_h = 190, 380, 24
    height = row_h * len(per_tag) + 30
    parts = [
        f'<svg class="tags" width="{label_w + bar_w + 120}" height="{height}" role="img" '
        'aria-label="share of correct decisions per tag">'
    ]
    for tick in (0.0, 0.5, 1.0):
        x = label_w + tick * bar_w
        parts.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 20}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{x}" y="{height - 6}" text-anchor="middle" class="axis">{tick:.1f}</text>')
    ordered = sorted(per_tag.items(), key=lambda item: (item[1]["accuracy"], item[0]))
    for row, (tag, metrics) in enumerate(ordered):
        parts.append(_tag_bar(row * row_h, tag, metrics, kinds.get(tag, _MIXED), baseline.get(tag), label_w, bar_w))
    parts.append("</svg>")
    return Markup("".join(parts))


def _tag_bar(
    y: int, tag: str, metrics: Mapping[str, Any], color: str, baseline: float | None, label_w: int, bar_w: int
) -> str:
    width = round(metrics["accuracy"] * bar_w, 1)
    bar = (
        f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(tag)}</text>'
        f'<rect x="{label_w}" y="{y + 5}" width="{width}" height="14" fill="{color}" rx="2">'
        f"<title>{escape(tag)}: {metrics['accuracy']:.3f} of {metrics['n']} records right</title></rect>"
        f'<text x="{label_w + bar_w + 8}" y="{y + 16}">{metrics["accuracy"]:.2f} (n={metrics["n"]})</text>'
    )
    if baseline is not None:
        x = round(label_w + baseline * bar_w, 1)
        bar += f'<line x1="{x}" y1="{y + 2}" x2="{x}" y2="{y + 22}" stroke="#111827" stroke-width="2"/>'
    return bar


def _tag_kinds(results: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Per tag, the bar colour: its records all escalate, all stay with the bot, or both."""
    expected: dict[str, set[bool]] = defaultdict(set)
    for record in results:
        for tag in record["tags"]:
            expected[tag].add(record["expected_escalate"])
    colors = {frozenset({True}): _ESCALATE, frozenset({False}): _STAY}
    return {tag: colors.get(frozenset(values), _MIXED) for tag, values in expected.items()}


def _shade(count: int, total: int, hue: str = "37, 99, 235") -> str:
    alpha = 0.08 + 0.6 * count / total if total else 0.0
    return f"background: rgba({hue}, {alpha:.2f})"


def record_failed(record: Mapping[str, Any]) -> bool:
    """Wrong decision, an error, or (both escalating) a priority the case does not accept."""
    if record["error"] is not None or record["predicted_escalate"] != record["expected_escalate"]:
        return True
    if not record["expected_escalate"] or record["expected_priority"] is None:
        return False
    accepted = {record["expected_priority"], *record["acceptable_priorities"]}
    return record["predicted_priority"] not in accepted


def failing_cases(results: Sequence[Mapping[str, Any]], cases: Mapping[str, EscalationCase]) -> list[dict[str, Any]]:
    """The cases with at least one failed repeat, with their repeats and transcripts, in report order."""
    by_case: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in results:
        by_case[record["case_id"]].append(record)
    failing = []
    for case_id, records in by_case.items():
        if any(map(record_failed, records)):
            case = cases.get(case_id)
            failing.append(
                {
                    "id": case_id,
                    "first": records[0],
                    "notes": case.notes if case is not None else "",
                    "conversation": [_message(m) for m in case.messages()] if case is not None else [],
                    "repeats": [{**r, "failed": record_failed(r), "bot": [_message(m) for m in r["bot_messages"]]}
                                for r in records],
                }
            )  # fmt: skip
    return failing


def _message(message: Mapping[str, Any]) -> dict[str, str]:
    """A chat message as (role, text) for the transcript, tool calls written out as name(arguments)."""
    text = message.get("content")
    text = text if isinstance(text, str) else (json.dumps(text, ensure_ascii=False) if text else "")
    for call in message.get("tool_calls") or []:
        function = call.get("function", {})
        text += f"\n→ {function.get('name')}({function.get('arguments')})"
    return {"role": str(message.get("role")), "text": text.strip()}
