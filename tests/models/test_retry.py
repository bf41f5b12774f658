from __future__ import annotations

import email.utils
import time

import httpx2
import openai
import pytest

from agentkit.models import Backoff
from agentkit.models._retry import is_retryable, retry_after


def status_error(status: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx2.Response(status, headers=headers, request=request)
    return openai.APIStatusError("failed", response=response, body=None)


@pytest.mark.parametrize(("status", "retried"), [(408, True), (409, True), (429, True), (500, True),
                                                 (503, True), (400, False), (401, False), (404, False)])  # fmt: skip
def test_which_statuses_are_retried(status: int, retried: bool) -> None:
    assert is_retryable(status_error(status)) is retried


def test_x_should_retry_overrides_the_status() -> None:
    assert not is_retryable(status_error(500, {"x-should-retry": "false"}))
    assert is_retryable(status_error(400, {"x-should-retry": "true"}))


def test_retry_after_as_an_http_date() -> None:
    in_ten_seconds = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 <= (retry_after(status_error(429, {"retry-after": in_ten_seconds})) or 0) <= 10


def test_the_wait_is_the_longer_of_backoff_and_header_capped() -> None:
    backoff = Backoff(base=0.5, cap=30, max_retry_after=60)
    assert backoff.delay(1, status_error(429, {"retry-after": "2"})) == 2
    assert backoff.delay(1, status_error(429, {"retry-after": "600"})) == 60
    assert 8 * 0.75 <= backoff.delay(5, status_error(429, {"retry-after": "1"})) <= 8


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    backoff = Backoff(base=0.5, cap=30)
    assert [0.75 * 0.5 * 2**n <= backoff.delay(n + 1) <= 0.5 * 2**n for n in range(5)] == [True] * 5
    assert 30 * 0.75 <= backoff.delay(20) <= 30
