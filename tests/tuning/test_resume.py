"""Reproducible and resumable: the same seed writes the same log; a stopped run resumes without redoing work."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agentkit.evals import EscalationCase
from agentkit.exceptions import ConfigError
from agentkit.tuning import Evaluation, Strategy, tune

from .tuning_fakes import log_lines, prompt_model, proposer

OPTIONS: dict[str, Any] = {"minibatch": 8, "candidates": 4}


class Interrupted(Exception):
    """What the callback raises to stop a run, as a crash or a Ctrl-C would."""


def stop_after(n: int) -> Callable[[Evaluation], None]:
    seen: list[Evaluation] = []

    def callback(evaluation: Evaluation) -> None:
        seen.append(evaluation)
        if len(seen) == n:
            raise Interrupted(f"stopped after {n} evaluations")

    return callback


@pytest.mark.parametrize("strategy", ["random", "halving", "opro"])
async def test_the_same_seed_writes_the_same_log(
    strategy: Strategy, cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    logs = []
    for folder in ("a", "b"):
        fake_proposer, _ = proposer(["Hand off for people.", "Hand off for people and losses."])
        result = await tune(cases, space, prompt_model(), budget=500, strategy=strategy, seed=3,
                            proposer=fake_proposer, out_dir=tmp_path / folder, **OPTIONS)  # fmt: skip
        logs.append((tmp_path / folder / "candidates.jsonl").read_text())
        assert result.status == "finished"
    assert logs[0] == logs[1] and len(logs[0].splitlines()) > 5
    other = await tune(cases, space, prompt_model(), budget=500, strategy=strategy, seed=4,
                       proposer=proposer(["x"])[0], out_dir=tmp_path / "c", **OPTIONS)  # fmt: skip
    assert other.status == "finished" and (tmp_path / "c" / "candidates.jsonl").read_text() != logs[0]


@pytest.mark.parametrize("strategy", ["grid", "halving", "opro"])
@pytest.mark.parametrize("after", [1, 3, 7])
async def test_an_interrupted_run_resumes_without_redoing_work(
    strategy: Strategy, after: int, cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    texts = ["Hand off for people.", "Hand off for people and losses."]
    whole, whole_proposer = prompt_model(), proposer(texts)[0]
    full = await tune(cases, space, whole, budget=500, strategy=strategy, proposer=whole_proposer,
                      out_dir=tmp_path / "whole", **OPTIONS)  # fmt: skip
    total = len(whole.requests) + len(whole_proposer.requests)

    first, first_proposer = prompt_model(), proposer(texts)[0]
    with pytest.raises(Interrupted):
        await tune(cases, space, first, budget=500, strategy=strategy, proposer=first_proposer,
                   out_dir=tmp_path / "cut", on_evaluation=stop_after(after), **OPTIONS)  # fmt: skip
    spent_first = len(first.requests) + len(first_proposer.requests)
    assert 0 < spent_first < total

    second, second_proposer = prompt_model(), proposer(texts)[0]
    resumed = await tune(cases, space, second, budget=500, strategy=strategy, proposer=second_proposer,
                         out_dir=tmp_path / "cut", **OPTIONS)  # fmt: skip
    assert len(second.requests) + len(second_proposer.requests) == total - spent_first  # only what was left
    assert resumed.resumed == after and resumed.spent.requests == total
    assert resumed.verdict == full.verdict and resumed.best.id == full.best.id
    assert log_lines(tmp_path / "cut") == log_lines(tmp_path / "whole")  # same evaluations, same order, once each


async def test_a_run_stopped_by_its_budget_resumes_with_a_larger_one(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    small = await tune(cases, space, prompt_model(), budget=200, out_dir=tmp_path, **OPTIONS)
    assert small.status == "finished" and small.stop_reason and len(small.search) < 6
    done = {line["key"] for line in log_lines(tmp_path)[1:]}
    model = prompt_model()
    large = await tune(cases, space, model, budget=500, out_dir=tmp_path, **OPTIONS)
    new = [line for line in log_lines(tmp_path)[1:] if line["key"] not in done]
    assert len(log_lines(tmp_path)) == 1 + len(done) + len(new)  # nothing evaluated twice
    assert len(model.requests) == sum(line["requests"] for line in new) == large.spent_this_run.requests
    assert large.spent.requests == small.spent.requests + len(model.requests) <= 500
    assert large.status == "finished" and large.stop_reason is None and len(large.search) == 6


async def test_an_evaluation_cut_off_before_it_was_logged_resumes_from_its_case_records(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    await tune(cases, space, prompt_model(), budget=500, out_dir=tmp_path, **OPTIONS)
    log = tmp_path / "candidates.jsonl"
    rows = log.read_text().splitlines()
    log.write_text("\n".join(rows[:-1]) + "\n" + rows[-1][:40])  # the last line torn, as by a kill mid-write
    model = prompt_model()
    result = await tune(cases, space, model, budget=500, out_dir=tmp_path, **OPTIONS)
    assert not model.requests  # its cases were in the eval folder's results.jsonl: nothing asked again
    redone, before = log_lines(tmp_path)[-1], json.loads(rows[-1])
    assert redone["requests"] == 0 and before["requests"] == 16 and result.status == "finished"
    assert {k: v for k, v in redone.items() if k not in ("requests", "usd")} == {
        k: v for k, v in before.items() if k not in ("requests", "usd")
    }


async def test_a_folder_holding_another_run_is_refused(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    await tune(cases, space, prompt_model(), budget=500, out_dir=tmp_path, **OPTIONS)
    with pytest.raises(ConfigError, match=r"other settings \(differing: minibatch, seed\).*another --out"):
        await tune(cases, space, prompt_model(), budget=500, out_dir=tmp_path, seed=1, minibatch=4, candidates=4)


async def test_the_eval_cache_is_reused(cases: list[EscalationCase], space: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = await tune(cases, space, prompt_model(), budget=500, cache_dir=cache, out_dir=tmp_path / "a", **OPTIONS)
    model = prompt_model()
    again = await tune(cases, space, model, budget=500, cache_dir=cache, out_dir=tmp_path / "b", **OPTIONS)
    assert first.spent.requests > 0 and not model.requests and again.spent.requests == 0  # a cache hit is free
    assert again.verdict == first.verdict and log_lines(tmp_path / "a")[1:] != []


async def test_an_evaluation_killed_halfway_runs_only_its_missing_cases(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    await tune(cases, space, prompt_model(), budget=500, out_dir=tmp_path, **OPTIONS)
    rows = (tmp_path / "candidates.jsonl").read_text().splitlines()
    last = json.loads(rows[-1])  # the winner on test: 16 cases
    results = tmp_path / "evals" / last["candidate"]["id"] / "test" / "results.jsonl"
    records = results.read_text().splitlines()
    results.write_text("\n".join(records[:5]) + "\n")  # killed after 5 of its 16 cases were recorded
    (tmp_path / "candidates.jsonl").write_text("\n".join(rows[:-1]) + "\n")  # ... and before it was logged
    model = prompt_model()
    result = await tune(cases, space, model, budget=500, out_dir=tmp_path, **OPTIONS)
    assert len(model.requests) == 11 and result.status == "finished"
    assert log_lines(tmp_path)[-1]["requests"] == 11
