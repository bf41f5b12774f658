"""The lexical baseline (dev-only: scikit-learn) is trained on train only, and the README reports its test F1."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sklearn.metrics import f1_score

from agentkit.evals import filter_cases, load_cases, run_eval

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "evals" / "escalation" / "tools" / "lexical_baseline.py"


def load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("lexical_baseline", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_readme_reports_the_lexical_baselines_test_f1() -> None:
    lexical = load_script()
    cases = load_cases(ROOT / "evals" / "escalation")
    run = await run_eval(cases, lexical.lexical_bot(cases), progress=False)
    test_ids = {c.id for c in filter_cases(cases, split="test")}
    test = [o for o in run.outcomes if o.case_id in test_ids]
    f1 = f1_score([o.expected_escalate for o in test], [o.predicted_escalate for o in test])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"| test | lexical | {f1:.3f} [" in readme and f"reaches {f1:.3f} test F1" in readme
    card = (ROOT / "evals" / "escalation" / "CARD.md").read_text(encoding="utf-8")
    assert f"test F1 {f1:.3f}" in card


def test_it_learns_from_train_only() -> None:
    lexical = load_script()
    cases = load_cases(ROOT / "evals" / "escalation")
    seen: list[str] = []
    original = lexical.last_user_text

    def spy(messages):  # type: ignore[no-untyped-def]
        text = original(messages)
        seen.append(text)
        return text

    lexical.last_user_text = spy
    lexical.train_lexical(cases)
    train = {original(c.messages()) for c in filter_cases(cases, split="train")}
    assert seen and set(seen) <= train
    with pytest.raises(StopIteration):
        original([{"role": "assistant", "content": "no user here"}])
