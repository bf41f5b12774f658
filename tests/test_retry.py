"""The one retry module: statuses, Retry-After, backoff, deadlines, and waits on an injected clock."""

from __future__ import annotations

import email.utils

import pytest

from agentkit.retry import Backoff, Deadline, GaveUp, Retrier, deadline, is_retryable_status, parse_retry_after
from agentkit.testing import FakeClock


class Flaky(Exception):
    def __init__(self, retryable: bool = True, asked: float | None = None) -> None:
        super().__init__(f"flaky (retryable={retryable})")
        self.retryable = retryable
        self.asked = asked


def retrier(clock: FakeClock, attempts: int = 5, backoff: Backoff | None = None) -> Retrier[Flaky]:
    return Retrier[Flaky](
        Flaky, lambda e: e.retryable, attempts=attempts, backoff=backoff or Backoff(base=1, cap=8, jitter=0),
        retry_after=lambda e: e.asked, clock=clock.clock,
    )  # fmt: skip


def failing(*errors: Flaky, then: str = "ok") -> tuple[list[int], object]:
    calls: list[int] = []

    async def send() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return then

    return calls, send


@pytest.mark.parametrize(
    ("status", "retried"),
    [(408, True), (409, True), (429, True), (500, True), (502, True), (599, True),
     (400, False), (401, False), (404, False), (422, False)],
)  # fmt: skip
def test_one_set_of_retryable_statuses(status: int, retried: bool) -> None:
    assert is_retryable_status(status) is retried


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the finer one wins, as OpenAI's client does
        ({"Retry-After": email.utils.formatdate(NOW + 12, usegmt=True)}, 12.0),
        ({"Retry-After": email.utils.formatdate(NOW - 60, usegmt=True)}, 0.0),  # a date in the past: now
        ({"Retry-After": "-3"}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "inf"}, None),
        ({}, None),
    ],
)
def test_retry_after_in_seconds_milliseconds_and_http_dates(headers: dict[str, str], seconds: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == seconds


def test_the_wait_is_the_longer_of_backoff_and_header_capped() -> None:
    backoff = Backoff(base=0.5, cap=30, max_retry_after=60)
    assert backoff.delay(1, 2.0) == 2
    assert backoff.delay(1, 600.0) == 60
    assert 8 * 0.75 <= backoff.delay(5, 1.0) <= 8


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    backoff = Backoff(base=0.5, cap=30)
    assert [0.75 * 0.5 * 2**n <= backoff.delay(n + 1) <= 0.5 * 2**n for n in range(5)] == [True] * 5
    assert 30 * 0.75 <= backoff.delay(20) <= 30


async def test_retries_until_success_waiting_on_the_clock_not_for_real() -> None:
    clock = FakeClock()
    calls, send = failing(Flaky(), Flaky(), Flaky())
    assert await retrier(clock)(send) == "ok"  # type: ignore[arg-type]
    assert (len(calls), clock.sleeps) == (4, [1.0, 2.0, 4.0])


async def test_the_servers_retry_after_stretches_the_wait() -> None:
    clock = FakeClock()
    calls, send = failing(Flaky(asked=5.0), Flaky(asked=0.1))
    assert await retrier(clock)(send) == "ok"  # type: ignore[arg-type]
    assert clock.sleeps == [5.0, 2.0]


async def test_gives_up_after_the_attempts_with_the_last_error() -> None:
    clock = FakeClock()
    last = Flaky()
    calls, send = failing(Flaky(), Flaky(), last)
    with pytest.raises(GaveUp) as raised:
        await retrier(clock, attempts=3)(send)  # type: ignore[arg-type]
    assert (raised.value.error, raised.value.tries, raised.value.why) == (last, 3, "attempts")
    assert len(calls) == 3


async def test_an_error_that_is_not_retryable_stops_at_once() -> None:
    clock = FakeClock()
    calls, send = failing(Flaky(), Flaky(retryable=False))
    with pytest.raises(GaveUp) as raised:
        await retrier(clock)(send)  # type: ignore[arg-type]
    assert (raised.value.tries, raised.value.why, len(calls)) == (2, "not retryable", 2)


async def test_after_a_first_try_made_by_the_caller_the_same_tries_follow() -> None:
    """``after_first``: the caller made the first try (it failed with ``first``); the waits, the count of tries and
    the deadline are those ``__call__`` would have had."""
    clock = FakeClock()
    calls, send = failing(Flaky(), Flaky())
    assert await retrier(clock).after_first(send, Flaky()) == "ok"  # type: ignore[arg-type]
    assert (len(calls), clock.sleeps) == (3, [1.0, 2.0, 4.0])
    last = Flaky()
    calls, send = failing(Flaky(), last)
    with pytest.raises(GaveUp) as raised:
        await retrier(clock, attempts=3).after_first(send, Flaky())  # type: ignore[arg-type]
    assert (raised.value.error, raised.value.tries, raised.value.why, len(calls)) == (last, 3, "attempts", 2)
    refused = Flaky(retryable=False)
    calls, send = failing()
    with pytest.raises(GaveUp) as raised:
        await retrier(clock).after_first(send, refused)  # type: ignore[arg-type]
    assert (raised.value.error, raised.value.why, calls) == (refused, "not retryable", [])
    with deadline(10.0, clock.clock), pytest.raises(GaveUp) as raised:
        await retrier(clock).after_first(send, Flaky(asked=30.0))  # type: ignore[arg-type]
    assert (raised.value.why, calls) == ("deadline", [])


async def test_other_exceptions_pass_through_untouched() -> None:
    async def send() -> str:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        await retrier(FakeClock())(send)


async def test_retries_stop_when_the_next_wait_would_pass_the_deadline() -> None:
    clock = FakeClock()
    calls, send = failing(*[Flaky() for _ in range(10)])
    with pytest.raises(GaveUp) as raised:
        await retrier(clock, attempts=10)(send, Deadline.after(5.0, clock.clock))  # type: ignore[arg-type]
    assert clock.sleeps == [1.0, 2.0]  # a wait of 4 more would end at 7 s, past the 5 s deadline
    assert (raised.value.why, raised.value.tries, len(calls)) == ("deadline", 3, 3)


async def test_a_retry_after_past_the_deadline_gives_up_before_waiting() -> None:
    clock = FakeClock()
    calls, send = failing(Flaky(asked=30.0))
    with deadline(10.0, clock.clock):
        with pytest.raises(GaveUp) as raised:
            await retrier(clock, backoff=Backoff(base=1, cap=8, max_retry_after=60, jitter=0))(send)  # type: ignore[arg-type]
    assert (clock.sleeps, raised.value.why, len(calls)) == ([], "deadline", 1)


async def test_the_sooner_of_nested_deadlines_wins() -> None:
    clock = FakeClock()
    with deadline(10.0, clock.clock) as outer, deadline(60.0, clock.clock) as inner:
        assert inner is outer and inner is not None and inner.remaining() == 10.0
        with deadline(2.0, clock.clock) as innermost:
            assert innermost is not None and innermost.remaining() == 2.0
    with deadline(None) as none:
        assert none is None
