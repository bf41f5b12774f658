"""The honest headlines: under-triage that counts misses, escalations right end to end, precision and F1 at a real
escalation rate (equal to scikit-learn's with sample weights), "don't escalate" cases that can fail, per-split
headlines with the baselines on the same split."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score

from agentkit.evals import EscalationCase, EvalBot, EvalRun, run_eval
from agentkit.evals import _metrics as m
from agentkit.evals._cache import CaseRecord, read_records
from agentkit.evals._metrics import PRIORITY_LEVELS, CaseOutcome
from agentkit.evals._promises import promises_a_human
from agentkit.evals._report import terminal_summary
from agentkit.evals._splits import baseline_outcomes, split_headlines
from agentkit.exceptions import UserError
from agentkit.models import FunctionModel, Message, ModelResponse, ToolSpecSource, call


def outcome(
    case_id: str,
    *,
    expected: bool,
    predicted: bool,
    expected_priority: str | None = None,
    predicted_priority: str | None = None,
    acceptable: tuple[str, ...] = (),
    replied: bool = True,
    promised_human: bool = False,
) -> CaseOutcome:
    return CaseOutcome(
        case_id=case_id, repeat=0, tags=(), expected_escalate=expected,
        expected_priority=expected_priority if expected else None, acceptable_priorities=acceptable,
        predicted_escalate=predicted, predicted_priority=predicted_priority if predicted else None,
        reason="r" if predicted else None, text_after_handoff=False, latency_s=0.1, input_tokens=1,
        output_tokens=1, error=None, replied=replied, promised_human=promised_human,
    )  # fmt: skip


def random_records(seed: int, n: int = 200) -> list[CaseOutcome]:
    rng = random.Random(seed)
    records = []
    for index in range(n):
        expected = rng.random() < 0.5
        predicted = expected if rng.random() < 0.7 else not expected
        priority = rng.choice(PRIORITY_LEVELS)
        guess = rng.choice(PRIORITY_LEVELS)
        records.append(outcome(f"c{index}", expected=expected, predicted=predicted, expected_priority=priority,
                               predicted_priority=guess, replied=rng.random() > 0.1,
                               promised_human=rng.random() < 0.1))  # fmt: skip
    return records


# --- under-triage: misses count -------------------------------------------------------------------------------


def test_under_triage_counts_urgent_cases_that_were_never_escalated() -> None:
    records = [
        outcome("missed", expected=True, predicted=False, expected_priority="urgent"),
        outcome("missed-too", expected=True, predicted=False, expected_priority="high"),
        outcome("late", expected=True, predicted=True, expected_priority="urgent", predicted_priority="medium"),
        outcome("right", expected=True, predicted=True, expected_priority="high", predicted_priority="high"),
        outcome("medium", expected=True, predicted=False, expected_priority="medium"),  # not a high case
    ]
    assert m.under_triage_rate(records) == 3 / 4
    assert m.conditional_under_triage_rate(records) == 1 / 2  # the old number: only the two escalated


@pytest.mark.parametrize("seed", range(5))
def test_under_triage_equals_numpy_on_random_records(seed: int) -> None:
    records = random_records(seed)
    rank = {p: i for i, p in enumerate(PRIORITY_LEVELS)}
    high = [o for o in records if o.expected_escalate and rank[o.expected_priority or "low"] >= 2]
    late = np.array([not o.predicted_escalate or rank[o.predicted_priority or "low"] < rank[o.expected_priority or ""]
                     for o in high])  # fmt: skip
    assert m.under_triage_rate(records) == pytest.approx(late.mean())


def test_right_decision_and_priority_rate_is_over_escalation_cases() -> None:
    records = [
        outcome("a", expected=True, predicted=True, expected_priority="high", predicted_priority="high"),
        outcome("b", expected=True, predicted=True, expected_priority="high", predicted_priority="medium"),
        outcome("c", expected=True, predicted=True, expected_priority="high", predicted_priority="medium",
                acceptable=("medium", "high")),  # fmt: skip
        outcome("d", expected=True, predicted=False, expected_priority="low"),
        outcome("e", expected=False, predicted=False),  # not an escalation case: not counted
    ]
    assert m.right_decision_and_priority_rate(records) == 2 / 4


# --- precision and F1 at a real escalation rate --------------------------------------------------------------


@pytest.mark.parametrize("prevalence", [0.02, 0.1, 0.5, 0.9])
@pytest.mark.parametrize("seed", range(4))
def test_precision_and_f1_at_prevalence_equal_sklearn_with_sample_weights(seed: int, prevalence: float) -> None:
    records = random_records(seed)
    y = np.array([o.expected_escalate for o in records])
    y_hat = np.array([o.predicted_escalate for o in records])
    weights = np.where(y, prevalence / y.sum(), (1 - prevalence) / (~y).sum())
    reweighted = m.at_prevalence(m.decision_counts(records), prevalence)
    assert reweighted.precision == pytest.approx(precision_score(y, y_hat, sample_weight=weights))
    assert reweighted.f1 == pytest.approx(f1_score(y, y_hat, sample_weight=weights))


def test_at_half_prevalence_a_balanced_set_keeps_its_precision_and_a_rare_class_lowers_it() -> None:
    records = random_records(7, n=400)
    balanced = [o for o in records if o.expected_escalate][:150] + [o for o in records if not o.expected_escalate][:150]
    counts = m.decision_counts(balanced)
    assert m.at_prevalence(counts, 0.5).precision == pytest.approx(counts.precision)
    assert m.at_prevalence(counts, 0.1).precision < counts.precision


def test_a_prevalence_outside_zero_and_one_is_refused() -> None:
    with pytest.raises(UserError, match="strictly between 0 and 1"):
        m.at_prevalence(m.DecisionCounts(1, 1, 1, 1), 1.0)
    with pytest.raises(UserError, match="prevalence"):
        m.summarize([], prevalence=0)


# --- "don't escalate" cases can fail --------------------------------------------------------------------------


def test_a_dont_escalate_case_fails_on_silence_or_a_false_promise_of_a_person() -> None:
    assert m.trial_succeeded(outcome("ok", expected=False, predicted=False))
    assert not m.trial_succeeded(outcome("silent", expected=False, predicted=False, replied=False))
    assert not m.trial_succeeded(outcome("lied", expected=False, predicted=False, promised_human=True))
    assert not m.trial_succeeded(outcome("handed", expected=False, predicted=True))
    records = [outcome("ok", expected=False, predicted=False),
               outcome("silent", expected=False, predicted=False, replied=False),
               outcome("lied", expected=False, predicted=False, promised_human=True),
               outcome("handed", expected=False, predicted=True)]  # fmt: skip
    assert m.non_escalation_summary(records) == {
        "n": 4, "escalated": 1, "silent": 1, "promised_human": 1, "pass_rate": 0.25,
    }  # fmt: skip
    assert m.pass_hat_k(records, 1) == 0.25


@pytest.mark.parametrize(
    "text",
    [
        "I'll transfer you to a colleague now.",
        "I'm connecting you with an agent, please hold.",
        "I've escalated this to our billing team.",
        "A member of our team will contact you within 24 hours.",
        "Someone from our team will get back to you tomorrow.",
        "Te paso con un agente ahora mismo.",
        "Je vous transfère à un conseiller.",
        "Ich verbinde Sie mit einem Mitarbeiter weiter.",
        "Vou transferir você para um atendente.",
    ],
)
def test_promises_of_a_person_are_recognised(text: str) -> None:
    assert promises_a_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "If you'd like a person to help, just say so.",
        "Our support team is available Monday to Friday, 8:00 to 20:00.",
        "You can reach an agent by phone on 0800 000 000.",
        "I can't change how I work, but I'm glad to help with your order.",
        "",
        None,
    ],
)
def test_mentions_of_people_are_not_promises(text: str | None) -> None:
    assert not promises_a_human(text)


def case(case_id: str, text: str, escalate: bool, split: str = "test") -> EscalationCase:
    expected: dict[str, object] = {"escalate": escalate} | ({"priority": "high"} if escalate else {})
    return EscalationCase.model_validate(
        {"id": case_id, "conversation": [{"role": "user", "content": text}], "expected": expected,
         "split": split, "domain": "shop"}  # fmt: skip
    )


def promising_model(messages: list[Message], tools: list[ToolSpecSource]) -> ModelResponse | str:
    text = str(messages[-1]["content"])
    if "refund" in text:
        return call("handToSupport", reason="refund", priority="high")
    if "hours" in text:
        return "I'll transfer you to a colleague who knows our hours."  # promised, never handed over
    if "invoice" in text:
        return ModelResponse()  # nothing at all
    return "Here is how to do that."


async def test_the_runner_records_silence_and_false_promises_and_the_report_counts_them(tmp_path: Path) -> None:
    cases = [case("refund", "I want a refund", True), case("hours", "your hours?", False),
             case("invoice", "where is my invoice", False), case("size", "what size?", False)]  # fmt: skip
    run = await run_eval(cases, EvalBot(FunctionModel(promising_model)), progress=False, out_dir=tmp_path)
    by_id = {r.outcome.case_id: r.outcome for r in run.records}
    assert by_id["hours"].promised_human and by_id["hours"].replied
    assert not by_id["invoice"].replied
    assert by_id["size"].replied and not by_id["size"].promised_human
    assert not by_id["refund"].promised_human  # it did hand over
    assert run.metrics()["non_escalation_pass_rate"] == pytest.approx(1 / 3)
    assert run.metrics()["accuracy"] == 1.0  # the tool-call decision alone was right everywhere
    summary = terminal_summary(run.report())
    assert "passed 0.333 of don't-escalate cases (0 escalated, 1 silent, 1 promised a person" in summary


def test_results_written_before_the_new_fields_still_load(tmp_path: Path) -> None:
    record = CaseRecord(outcome("old", expected=False, predicted=False)).to_json()
    del record["replied"], record["promised_human"]
    (tmp_path / "results.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    loaded = read_records(tmp_path / "results.jsonl")
    assert loaded[0].outcome.replied and not loaded[0].outcome.promised_human


# --- per split, with the baselines on the same split ---------------------------------------------------------


def test_split_headlines_carry_the_trivial_baselines_of_the_same_split() -> None:
    records = random_records(3, n=120)
    split_of = {o.case_id: ("test" if i % 3 == 0 else "train") for i, o in enumerate(records)}
    splits = split_headlines(records, split_of, prevalence=0.1)
    assert list(splits) == ["train", "test"]
    for name, numbers in splits.items():
        mine = [o for o in records if split_of[o.case_id] == name]
        y = np.array([o.expected_escalate for o in mine])
        assert numbers["n_cases"] == len(mine)
        assert numbers["run"]["f1"] == pytest.approx(f1_score(y, [o.predicted_escalate for o in mine]))
        always = numbers["baselines"]["always-escalate"]
        assert always["f1"] == pytest.approx(f1_score(y, np.ones_like(y)))
        assert always["precision"] == pytest.approx(y.mean())
        assert always["precision_at_prevalence"] == pytest.approx(0.1)  # always escalating: precision = the rate
        never = numbers["baselines"]["never-escalate"]
        assert never["f1"] == 0.0 and never["non_escalation_pass_rate"] == 1.0 and never["under_triage_rate"] in (0, 1)


def test_always_escalate_baseline_is_medium_and_never_escalate_replies() -> None:
    records = random_records(1, n=10)
    assert {o.predicted_priority for o in baseline_outcomes(records, escalate=True)} == {"medium"}
    assert all(o.replied and not o.predicted_escalate for o in baseline_outcomes(records, escalate=False))


async def test_the_report_has_per_split_headlines_and_the_terminal_shows_them() -> None:
    cases = [case("a", "I want a refund", True, "dev"), case("b", "what size?", False, "dev"),
             case("c", "refund now", True, "test"), case("d", "your hours?", False, "test")]  # fmt: skip
    run = await run_eval(cases, EvalBot(FunctionModel(promising_model)), progress=False)
    report = run.report()
    assert report["schema_version"] == 2
    assert list(report["per_split"]) == ["dev", "test"]
    assert report["per_split"]["dev"]["run"]["f1"] == 1.0
    assert report["config"]["prevalence"] == m.DEFAULT_PREVALENCE
    assert {"under_triage_rate", "conditional_under_triage_rate", "right_decision_and_priority_rate",
            "f1_at_prevalence", "precision_at_prevalence", "non_escalation_pass_rate"} <= set(report["headline"])
    lines = terminal_summary(report).splitlines()
    assert any(line.startswith("dev ") and "(0.667 / 0.000)" in line for line in lines), lines
    reloaded = EvalRun(run.config, run.cases, run.records, prevalence=0.5)
    assert reloaded.metrics()["precision_at_prevalence"] == pytest.approx(reloaded.metrics()["precision"])
