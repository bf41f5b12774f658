"""Labeller agreement: Cohen's kappa on the decision and weighted kappa on the priority, per labeller pair, equal to
scikit-learn's; shown in the report next to the bot's own kappa against the labels."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score

from agentkit.cli import main
from agentkit.evals import EscalationCase, EvalBot, run_eval
from agentkit.evals._agreement import Label, agreement, cohen_kappa, read_labels, weighted_kappa
from agentkit.evals._metrics import PRIORITY_LEVELS
from agentkit.evals._report import terminal_summary
from agentkit.exceptions import UserError


def labels_of(seed: int, labellers: tuple[str, ...] = ("ana", "ben", "chi"), n: int = 60) -> list[Label]:
    rng = random.Random(seed)
    labels = []
    for case in range(n):
        truth = rng.random() < 0.5
        level = rng.randrange(4)
        for name in labellers:
            if rng.random() < 0.8 or case % 7 == 0:  # not every labeller sees every case
                escalate = truth if rng.random() < 0.85 else not truth
                shifted = min(3, max(0, level + rng.choice([-1, 0, 0, 0, 1])))
                labels.append(Label(f"c{case}", name, escalate, PRIORITY_LEVELS[shifted] if escalate else None))
    return labels


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weights", ["quadratic", "linear"])
def test_every_pair_equals_sklearn(seed: int, weights: str) -> None:
    labels = labels_of(seed)
    pairs = agreement(labels, weights=weights)  # type: ignore[arg-type]
    assert [p["labellers"] for p in pairs] == [["ana", "ben"], ["ana", "chi"], ["ben", "chi"]]
    for pair in pairs:
        a, b = ({x.case_id: x for x in labels if x.labeller == name} for name in pair["labellers"])
        shared = sorted(a.keys() & b.keys())
        assert pair["n_cases"] == len(shared)
        expected = cohen_kappa_score([a[c].escalate for c in shared], [b[c].escalate for c in shared])
        assert pair["decision_kappa"] == pytest.approx(expected)
        both = [c for c in shared if a[c].escalate and b[c].escalate]
        rank = {p: i for i, p in enumerate(PRIORITY_LEVELS)}
        first, second = [rank[a[c].priority or ""] for c in both], [rank[b[c].priority or ""] for c in both]
        priority = cohen_kappa_score(first, second, weights=weights, labels=list(range(4)))
        assert pair["n_priority"] == len(both) and pair["priority_kappa"] == pytest.approx(priority)


def test_kappa_is_none_when_undefined_and_one_for_perfect_agreement() -> None:
    assert cohen_kappa([True, True], [True, True]) is None  # one category: chance agreement is total
    assert cohen_kappa([], []) is None
    assert cohen_kappa([True, False, True], [True, False, True]) == 1.0
    assert weighted_kappa(["low", "high"], ["low", "high"], PRIORITY_LEVELS, "quadratic") == 1.0
    lone = agreement([Label("c1", "ana", True, "high"), Label("c2", "ben", False)])
    assert lone[0]["n_cases"] == 0 and lone[0]["decision_kappa"] is None and lone[0]["decision_agreement"] is None


def test_labels_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"case_id": "a", "labeller": "ana", "escalate": true, "priority": "high"}\n{"case_id": "b"}\n')
    with pytest.raises(UserError, match="labels.jsonl:2: not a label"):
        read_labels(path)
    path.write_text('{"case_id": "a", "labeller": "ana", "escalate": true, "priority": "p1"}\n')
    with pytest.raises(UserError, match="priority 'p1' is not one of"):
        read_labels(path)


CASES = [
    EscalationCase.model_validate({"id": f"c{i}", "conversation": [{"role": "user", "content": text}],
                                   "expected": {"escalate": esc, **({"priority": "medium"} if esc else {})}})
    for i, (text, esc) in enumerate([("I want to talk to a person", True), ("fraud on my card, get me a human", True),
                                     ("what are your opening hours?", False), ("track my order", False)])
]  # fmt: skip


async def test_the_report_shows_the_labellers_ceiling_next_to_the_bots_kappa() -> None:
    run = await run_eval(CASES, EvalBot("offline"), progress=False)
    expected = [c.expected.escalate for c in CASES]
    predicted = [o.predicted_escalate for o in run.outcomes]
    assert run.metrics()["decision_kappa"] == pytest.approx(cohen_kappa_score(expected, predicted))
    run.agreement = agreement([Label("c0", "ana", True, "high"), Label("c0", "ben", True, "medium"),
                               Label("c2", "ana", False), Label("c2", "ben", True, "low")])  # fmt: skip
    text = terminal_summary(run.report())
    assert "labellers   the ceiling to hold a model to: this run's decision kappa against the labels is" in text
    assert "ana vs ben: decision kappa 0.000 over 2 cases" in text


def test_the_cli_reads_labels_into_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dataset = tmp_path / "cases.jsonl"
    dataset.write_text("".join(c.to_json_line() + "\n" for c in CASES))
    labels = tmp_path / "labels.jsonl"
    rows = [("c0", "ana", True), ("c0", "ben", True), ("c1", "ana", True), ("c1", "ben", False),
            ("c2", "ana", False), ("c2", "ben", False)]  # fmt: skip
    labels.write_text("".join(json.dumps({"case_id": c, "labeller": who, "escalate": e}) + "\n" for c, who, e in rows))
    out = tmp_path / "run"
    assert main(["eval", str(dataset), "--model", "offline", "--out", str(out), "--no-progress",
                 "--labels", str(labels)]) == 0  # fmt: skip
    report = json.loads((out / "report.json").read_text())
    assert report["agreement"][0]["decision_kappa"] == pytest.approx(cohen_kappa_score([1, 1, 0], [1, 0, 0]))
    assert "ana vs ben: decision kappa" in capsys.readouterr().out
