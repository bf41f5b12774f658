"""The cache (a rerun makes no model request), rate limits, and 429s from a real loopback OpenAI endpoint."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from agentkit.evals import EscalationCase
from agentkit.evals._runner import EvalBot, default_handoff_tool, run_eval
from agentkit.exceptions import UserError
from agentkit.models import (
    Backoff,
    CachingModel,
    FunctionModel,
    OpenAIModel,
    RateLimitedModel,
    ScriptedModel,
    TokenBucket,
    cache_key,
    estimate_tokens,
    reply,
)
from agentkit.testing import FakeOpenAIServer, Fault

from .runner_fakes import keyword_model_fn, keyword_server_handler

FAST = Backoff(base=0.01, cap=0.05)


def decisions(run) -> list[tuple[str, int, bool, str | None, str | None]]:  # type: ignore[no-untyped-def]
    return [(o.case_id, o.repeat, o.predicted_escalate, o.predicted_priority, o.reason) for o in run.outcomes]


async def test_a_rerun_with_the_cache_makes_no_model_request(small_cases: list[EscalationCase], tmp_path: Path) -> None:
    async with FakeOpenAIServer(handler=keyword_server_handler) as server:
        async with OpenAIModel("gpt-4o-mini", base_url=server.base_url, api_key="test", backoff=FAST) as model:
            first = await run_eval(small_cases, EvalBot(model), repeats=2, cache_dir=tmp_path, progress=False)
            assert len(server.model_requests()) == 16  # repeats are separate samples: both are asked
            before = len(server.model_requests())
            second = await run_eval(small_cases, EvalBot(model), repeats=2, cache_dir=tmp_path, progress=False)
            assert len(server.model_requests()) - before == 0
    assert decisions(second) == decisions(first)
    assert [o.input_tokens for o in second.outcomes] == [o.input_tokens for o in first.outcomes]
    assert first.config["cache"] == {"hits": 0, "misses": 16}
    assert second.config["cache"] == {"hits": 16, "misses": 0}


async def test_the_key_covers_model_settings_messages_tools_and_repeat() -> None:
    tool = default_handoff_tool()
    messages = [{"role": "user", "content": "hi"}]
    base = cache_key("m", {"temperature": 0}, messages, [tool], 0)
    assert base == cache_key("m", {"temperature": 0}, [{"content": "hi", "role": "user"}], [tool], 0)
    others = [
        cache_key("m2", {"temperature": 0}, messages, [tool], 0),
        cache_key("m", {"temperature": 1}, messages, [tool], 0),
        cache_key("m", {"temperature": 0}, [{"role": "user", "content": "hi!"}], [tool], 0),
        cache_key("m", {"temperature": 0}, messages, [], 0),
        cache_key("m", {"temperature": 0}, messages, [tool], 1),
    ]
    assert len({base, *others}) == 6


async def test_cached_replies_round_trip_and_a_damaged_file_is_asked_again(tmp_path: Path) -> None:
    tool = default_handoff_tool()
    inner = ScriptedModel(
        [reply("first", input_tokens=7, output_tokens=3), "second"]  # the second answers after the damage
    )
    model = CachingModel(inner, tmp_path)
    messages = [{"role": "user", "content": "hi"}]
    original = await model.request(messages, [tool])
    assert await model.request(messages, [tool]) == original
    assert len(inner.requests) == 1 and model.stats.hits == 1
    path = model.path_for(cache_key("scripted", {}, messages, [tool], 0))
    path.write_text("{not json")
    assert (await model.request(messages, [tool])).text == "second"
    assert await asyncio.to_thread(lambda: list(tmp_path.rglob(".tmp-*"))) == []  # writes are atomic renames


async def test_429s_with_retry_after_end_with_the_same_results(small_cases: list[EscalationCase]) -> None:
    async with FakeOpenAIServer(handler=keyword_server_handler) as server:
        # Four retries (an eval run, not a live chat, so more patience than the interactive default of 2).
        async with OpenAIModel(
            "gpt-4o-mini", base_url=server.base_url, api_key="test", backoff=FAST, max_retries=4
        ) as model:
            clean = await run_eval(small_cases, EvalBot(model), repeats=2, concurrency=4, progress=False)
            assert len(server.model_requests()) == 16
            limited = Fault.status(429, headers={"retry-after-ms": "20"})
            server.inject(*[limited] * 10)
            throttled = await run_eval(small_cases, EvalBot(model), repeats=2, concurrency=4, progress=False)
            assert len(server.model_requests()) == 16 + 16 + 10  # every 429 was retried
    assert throttled.summary["n_errors"] == 0
    assert decisions(throttled) == decisions(clean)
    assert throttled.summary["decision"] == clean.summary["decision"]


async def test_429s_past_the_retries_are_recorded_per_case(small_cases: list[EscalationCase]) -> None:
    async with FakeOpenAIServer(handler=keyword_server_handler) as server:
        server.inject(*[Fault.status(429)] * 3)
        async with OpenAIModel(
            "gpt-4o-mini", base_url=server.base_url, api_key="test", max_retries=2, backoff=FAST
        ) as model:
            run = await run_eval(small_cases, EvalBot(model), concurrency=1, progress=False)
    assert run.outcomes[0].error is not None and "HTTP 429" in run.outcomes[0].error
    assert [o.error for o in run.outcomes[1:]] == [None] * 7


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_token_bucket_spends_bursts_then_waits_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(120, burst=2, clock=clock, sleep=clock.sleep)  # 2 a second
    for _ in range(6):
        await bucket.acquire()
    assert clock.now == pytest.approx(2.0)  # 2 at once, then 4 more at 0.5 s each
    await bucket.acquire(10)  # bigger than the bucket: goes once full, leaves a debt
    assert bucket.level == pytest.approx(-8.0)
    bucket.refund(5)
    assert bucket.level == pytest.approx(-3.0)
    with pytest.raises(UserError, match="positive"):
        TokenBucket(0)


async def test_requests_per_minute_are_held_in_real_time(small_cases: list[EscalationCase]) -> None:
    model = RateLimitedModel(FunctionModel(keyword_model_fn), rpm=1200)  # 20 a second, 20 at once at most
    assert model.requests is not None and model.requests.capacity == 20
    started = time.perf_counter()
    await asyncio.gather(*(model.request([{"role": "user", "content": "hi"}]) for _ in range(30)))
    assert time.perf_counter() - started >= 0.45  # 10 past the burst at 20/s


async def test_tokens_per_minute_charge_the_estimate_and_settle_on_the_real_usage() -> None:
    clock = FakeClock()
    inner = FunctionModel(lambda messages, tools: reply("ok", input_tokens=1000, output_tokens=200))
    model = RateLimitedModel(inner, tpm=60_000, clock=clock, sleep=clock.sleep)  # 1000 a second
    messages = [{"role": "user", "content": "x" * 400}]
    assert estimate_tokens(messages, []) == pytest.approx(100, abs=10)
    await model.request(messages)
    assert model.tokens is not None and model.tokens.level == pytest.approx(-200)
    await model.request(messages)  # must wait for the debt and the estimate: 0.2 s + 0.1 s
    assert clock.now == pytest.approx(0.2 + estimate_tokens(messages, []) / 1000)


async def test_run_eval_with_rate_limits_and_a_cache(small_cases: list[EscalationCase], tmp_path: Path) -> None:
    run = await run_eval(
        small_cases, EvalBot(FunctionModel(keyword_model_fn)), rpm=6000, tpm=10_000_000, cache_dir=tmp_path,
        progress=False,
    )  # fmt: skip
    assert run.summary["n_errors"] == 0 and run.config["rpm"] == 6000
