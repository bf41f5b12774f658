"""The lexical baseline: TF-IDF + logistic regression on the last user message, trained on the train split.

    .venv/bin/python evals/escalation/tools/lexical_baseline.py        # the README's baseline table, per split

It asks what words alone can do on this dataset: a bag of words and bigrams, no conversation, no rubric. A dataset
that measures escalation judgement keeps it low on test while the labels stay right (the bar: test F1 <= 0.75).
scikit-learn is a dev dependency, not a runtime one: this script is the only place it runs outside the tests.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from agentkit.evals import (
    EscalationCase,
    EvalBot,
    EvalRun,
    baseline_table,
    filter_cases,
    load_cases,
    run_baseline_suite,
    run_eval,
)
from agentkit.models import FunctionModel, Message, ModelResponse, ToolSpecSource, call

DATASET = Path(__file__).resolve().parent.parent


def last_user_text(messages: Sequence[Message] | Sequence[dict[str, object]]) -> str:
    return next(str(m.get("content") or "") for m in reversed(messages) if m.get("role") == "user")


def train_lexical(cases: Sequence[EscalationCase]) -> Callable[[str], bool]:
    """A classifier of the last user message, fitted on ``cases`` (the train split)."""
    train = filter_cases(cases, split="train")
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=2000))
    model.fit([last_user_text(c.messages()) for c in train], [c.expected.escalate for c in train])
    return lambda text: bool(model.predict([text])[0])


def lexical_bot(cases: Sequence[EscalationCase]) -> EvalBot:
    escalates = train_lexical(cases)

    def decide(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
        if escalates(last_user_text(messages)):
            return call("handToSupport", reason="Lexical baseline: the words say so", priority="medium")
        return "Lexical baseline: I can help you with that right here."

    return EvalBot(FunctionModel(decide, name="lexical"), name="lexical")


async def all_baselines(cases: Sequence[EscalationCase], out_dir: Path) -> dict[str, EvalRun]:
    runs = await run_baseline_suite(cases, out_dir)
    runs["lexical"] = await run_eval(cases, lexical_bot(cases), out_dir=out_dir / "lexical", progress=False)
    return runs


def main() -> int:
    cases = load_cases(DATASET)
    with tempfile.TemporaryDirectory() as folder:
        print(baseline_table(asyncio.run(all_baselines(cases, Path(folder)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
