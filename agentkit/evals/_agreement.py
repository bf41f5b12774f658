"""Agreement between labellers: Cohen's kappa on the escalation decision, weighted kappa on the priority, per pair.

Two careful people do not label every case alike; how often they agree beyond chance is the ceiling a model can be
held to on these labels (a model "better" than the labellers agree with each other is fitting noise). Kappa is
``(observed - chance) / (1 - chance)`` agreement, as scikit-learn's ``cohen_kappa_score``; the priority's is
weighted (quadratic by default: two levels apart is four times as bad as one), over the cases both labellers
escalated. None when undefined (no shared case, or a single category everywhere).
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..exceptions import UserError
from ._metrics import PRIORITY_LEVELS

__all__ = ["Label", "agreement", "cohen_kappa", "read_labels", "weighted_kappa"]

Weights = Literal["linear", "quadratic"]


@dataclass(frozen=True, slots=True)
class Label:
    """One labeller's decision on one case."""

    case_id: str
    labeller: str
    escalate: bool
    priority: str | None = None
    note: str = ""


def weighted_kappa(
    first: Sequence[str], second: Sequence[str], labels: Sequence[str], weights: Weights | None = None
) -> float | None:
    """Cohen's kappa of two raters over ordered ``labels``; ``weights`` linear or quadratic (None: unweighted)."""
    index = {label: i for i, label in enumerate(labels)}
    k, n = len(labels), len(first)
    observed = [[0] * k for _ in range(k)]
    for a, b in zip(first, second, strict=True):
        observed[index[a]][index[b]] += 1
    rows = [sum(row) for row in observed]
    columns = [sum(observed[i][j] for i in range(k)) for j in range(k)]

    def weight(i: int, j: int) -> float:
        if weights is None:
            return float(i != j)
        return float(abs(i - j) if weights == "linear" else (i - j) ** 2)

    cells = list(itertools.product(range(k), repeat=2))
    disagreement = math.fsum(weight(i, j) * observed[i][j] for i, j in cells)
    chance = math.fsum(weight(i, j) * rows[i] * columns[j] / n for i, j in cells) if n else 0.0
    return 1.0 - disagreement / chance if chance else None


def cohen_kappa(first: Sequence[bool], second: Sequence[bool]) -> float | None:
    """Unweighted Cohen's kappa of two raters' escalation decisions."""
    names = ["no", "yes"]
    return weighted_kappa([names[a] for a in first], [names[b] for b in second], names)


def agreement(labels: Iterable[Label], weights: Weights = "quadratic") -> list[dict[str, Any]]:
    """Per labeller pair (sorted): shared cases, raw agreement and kappa on the decision, and weighted kappa on
    the priority over the shared cases both escalated with a priority."""
    by_labeller: dict[str, dict[str, Label]] = defaultdict(dict)
    for label in labels:
        by_labeller[label.labeller][label.case_id] = label  # a later label of the same case replaces an earlier one
    pairs = []
    for a, b in itertools.combinations(sorted(by_labeller), 2):
        shared = sorted(by_labeller[a].keys() & by_labeller[b].keys())
        first, second = [by_labeller[a][c] for c in shared], [by_labeller[b][c] for c in shared]
        both = [(x.priority, y.priority) for x, y in zip(first, second, strict=True)
                if x.escalate and y.escalate and x.priority and y.priority]  # fmt: skip
        pairs.append({
            "labellers": [a, b],
            "n_cases": len(shared),
            "decision_agreement": sum(x.escalate == y.escalate for x, y in zip(first, second, strict=True))
            / len(shared) if shared else None,
            "decision_kappa": cohen_kappa([x.escalate for x in first], [y.escalate for y in second]),
            "n_priority": len(both),
            "priority_kappa": weighted_kappa([p for p, _ in both], [q for _, q in both], PRIORITY_LEVELS, weights),
            "priority_weights": weights,
        })  # fmt: skip
    return pairs


def read_labels(path: str | Path) -> list[Label]:
    """Labels from JSONL: ``{"case_id", "labeller", "escalate", "priority", "note"}`` per line."""
    labels = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data: Mapping[str, Any] = json.loads(line)
            label = Label(str(data["case_id"]), str(data["labeller"]), bool(data["escalate"]),
                          data.get("priority"), str(data.get("note") or ""))  # fmt: skip
        except (ValueError, KeyError, TypeError) as error:
            text = f"{path}:{number}: not a label ({error}); each line needs case_id, labeller, escalate"
            raise UserError(text) from None
        if label.priority is not None and label.priority not in PRIORITY_LEVELS:
            raise UserError(f"{path}:{number}: priority {label.priority!r} is not one of {PRIORITY_LEVELS}")
        labels.append(label)
    return labels
