from __future__ import annotations

import email.utils
import time

import httpx2
import openai
import pytest

from agentkit.models._retry import BadBody, decode_body, is_retryable, retry_after


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


@pytest.mark.parametrize(
    ("body", "truncated"),
    [('{"choices": [{"mess', True), ("[1, 2", True), ("<html>Bad gateway</html>", False), ("", False),
     ('"a string"', False), ("[]", False)],
)  # fmt: skip
def test_a_body_that_is_not_a_json_object_is_a_bad_body_retried_only_when_cut_short(body: str, truncated: bool) -> None:
    response = httpx2.Response(200, text=body)
    with pytest.raises(BadBody) as raised:
        decode_body(response)
    assert raised.value.truncated is truncated
    assert is_retryable(raised.value) is truncated


def test_a_json_object_body_is_decoded() -> None:
    assert decode_body(httpx2.Response(200, json={"choices": []})) == {"choices": []}
