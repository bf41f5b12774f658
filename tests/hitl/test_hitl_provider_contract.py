"""What every HTTP provider promises: failures classified for the outbox, and webhooks refused with a 4xx."""

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from agentkit.exceptions import ConfigError
from agentkit.handoff import User
from agentkit.hitl import (
    EscalationRequest,
    FreshdeskProvider,
    HitlProvider,
    IntercomProvider,
    LocalDeskProvider,
    ProviderError,
    WebhookProvider,
    WebhookRejected,
    ZendeskProvider,
)
from agentkit.hitl._signatures import hmac_base64, hmac_hex, sign_agentkit
from agentkit.testing import FakeFreshdesk, FakeIntercom, FakeWebhookReceiver, FakeZendesk, Fault

NOW = 1_700_000_000.0
SECRETS = {"zendesk": "zd-secret", "freshdesk": "fd-secret", "intercom": "ic-secret", "webhook": "wh-secret"}
KINDS = list(SECRETS)

MakeRequest = Callable[..., EscalationRequest]


@dataclass(frozen=True)
class Signer:
    """Builds the headers and body of a webhook for one provider from raw JSON text (which may be broken)."""

    sign: Callable[[bytes, float, str], tuple[dict[str, str], bytes]]
    signature_header: str


def _sign_zendesk(body: bytes, at: float, secret: str) -> tuple[dict[str, str], bytes]:
    stamp = str(int(at))
    return {
        "X-Zendesk-Webhook-Signature": hmac_base64(secret, stamp.encode() + body),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }, body


def _sign_freshdesk(body: bytes, at: float, secret: str) -> tuple[dict[str, str], bytes]:
    try:
        body = json.dumps(dict(json.loads(body), timestamp=at)).encode()
    except (TypeError, ValueError):
        pass  # a broken body stays broken
    return {"X-Agentkit-Secret": secret}, body


def _sign_intercom(body: bytes, at: float, secret: str) -> tuple[dict[str, str], bytes]:
    try:
        body = json.dumps(dict(json.loads(body), created_at=at)).encode()
    except (TypeError, ValueError):
        pass
    return {"X-Hub-Signature": "sha1=" + hmac_hex(secret, body, "sha1")}, body


def _sign_webhook(body: bytes, at: float, secret: str) -> tuple[dict[str, str], bytes]:
    stamp = str(int(at))
    return {"X-Agentkit-Timestamp": stamp, "X-Agentkit-Signature": sign_agentkit(secret, stamp, body)}, body


SIGNERS = {
    "zendesk": Signer(_sign_zendesk, "X-Zendesk-Webhook-Signature"),
    "freshdesk": Signer(_sign_freshdesk, "X-Agentkit-Secret"),
    "intercom": Signer(_sign_intercom, "X-Hub-Signature"),
    "webhook": Signer(_sign_webhook, "X-Agentkit-Signature"),
}

VALID_BODIES: dict[str, dict[str, Any]] = {
    "zendesk": {"event": "solved", "ticket_id": 101},
    "freshdesk": {"event": "closed", "ticket_id": 1},
    "intercom": {
        "type": "notification_event",
        "topic": "conversation.admin.closed",
        "id": "notif_1",
        "data": {"item": {"id": "5001", "conversation_parts": {"conversation_parts": []}}},
    },
    "webhook": {"id": "cb_1", "type": "session_stopped", "session_id": "ws_1"},
}


@dataclass
class Setup:
    fake: Any
    provider: HitlProvider


FAKES = {"zendesk": FakeZendesk, "freshdesk": FakeFreshdesk, "intercom": FakeIntercom, "webhook": FakeWebhookReceiver}
CALM = 30.0
"""The providers' timeout, except where a timeout is the point: generous, so that a loaded machine never turns an
answer the test waits for into a timeout."""
IMPATIENT = 0.3
"""The timeout of the one call that meets a stalled helpdesk (which stalls for far longer)."""


def _provider(kind: str, url: str, timeout: float) -> HitlProvider:
    if kind == "zendesk":
        return ZendeskProvider(url, "bot@example.com", "zd-token", "zd-secret", timeout=timeout)
    if kind == "freshdesk":
        return FreshdeskProvider(url, "fd-key", "fd-secret", timeout=timeout)
    if kind == "intercom":
        return IntercomProvider("ic-token", "ic-secret", admin_id="814860", base_url=url, timeout=timeout)
    return WebhookProvider(url, "wh-secret", timeout=timeout)


@pytest.fixture(params=KINDS)
async def setup(request: pytest.FixtureRequest) -> AsyncIterator[Setup]:
    fake = FAKES[request.param]().start()
    built = Setup(fake, _provider(request.param, fake.url, timeout=CALM))
    yield built
    await built.provider.aclose()
    built.fake.stop()


Operation = Callable[[HitlProvider, str, EscalationRequest], Awaitable[object]]
OPERATIONS: dict[str, Operation] = {
    "start": lambda provider, session, request: provider.start_hitl(request),
    "relay": lambda provider, session, request: provider.send_to_agent(session, "hello?", User("u-1")),
    "stop": lambda provider, session, request: provider.stop_hitl(session, "done"),
}


async def _fail(setup: Setup, operation: str, fault: Fault, make_request: MakeRequest) -> ProviderError:
    session = await setup.provider.start_hitl(make_request())
    setup.fake.inject(fault)
    # Only the call that meets a stall has a short timeout: the stall (seconds) outlasts it however slow the machine.
    provider = _provider(setup.provider.name, setup.fake.url, IMPATIENT) if fault.kind == "stall" else setup.provider
    try:
        with pytest.raises(ProviderError) as caught:
            await OPERATIONS[operation](provider, session, make_request(idempotency_key="esc-9"))
    finally:
        if provider is not setup.provider:
            await provider.aclose()
    return caught.value


async def test_every_provider_satisfies_the_protocol(setup: Setup) -> None:
    assert isinstance(setup.provider, HitlProvider)
    local = LocalDeskProvider()
    assert isinstance(local, HitlProvider)
    await local.aclose()


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(500),
        Fault.status(503),
        Fault.status(429, headers={"Retry-After": "7"}),
        Fault.status(408),
        Fault.status(409),
        Fault.stall(30.0),
        Fault.drop(),
    ],
    ids=["500", "503", "429", "408", "409", "timeout", "connection-dropped"],
)
async def test_transient_failures_are_retryable(
    setup: Setup, operation: str, fault: Fault, make_request: MakeRequest
) -> None:
    error = await _fail(setup, operation, fault, make_request)
    assert error.retryable is True
    assert error.provider == setup.provider.name
    if fault.kind == "status":
        assert fault.response is not None and error.status == fault.response.status
    if error.status == 429:
        assert error.retry_after == 7.0


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_client_errors_are_final_and_carry_the_helpdesks_answer(
    setup: Setup, operation: str, status: int, make_request: MakeRequest
) -> None:
    fault = Fault.status(status, json={"error": "the helpdesk explains why"})
    error = await _fail(setup, operation, fault, make_request)
    assert error.retryable is False and error.status == status
    assert "the helpdesk explains why" in str(error)


def _signed(
    kind: str, body: bytes, at: float = NOW, secret: str | None = None
) -> tuple[dict[str, str], bytes]:
    return SIGNERS[kind].sign(body, at, secret or SECRETS[kind])


def _reject(setup: Setup, headers: dict[str, str], body: bytes) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as caught:
        setup.provider.verify_webhook(headers, body, now=NOW)
    return caught.value


def test_a_valid_webhook_gives_its_event(setup: Setup) -> None:
    kind = setup.provider.name
    [event] = setup.provider.verify_webhook(*_signed(kind, json.dumps(VALID_BODIES[kind]).encode()), now=NOW)
    assert event.kind == "session_stopped"


def test_lower_case_header_names_are_fine(setup: Setup) -> None:
    kind = setup.provider.name
    headers, body = _signed(kind, json.dumps(VALID_BODIES[kind]).encode())
    assert setup.provider.verify_webhook({k.lower(): v for k, v in headers.items()}, body, now=NOW)


def test_a_forged_signature_is_401(setup: Setup) -> None:
    kind = setup.provider.name
    error = _reject(setup, *_signed(kind, json.dumps(VALID_BODIES[kind]).encode(), secret="guessed"))
    assert error.status == 401 and "signature" in error.reason


def test_a_tampered_body_is_401(setup: Setup) -> None:
    kind = setup.provider.name
    if kind == "freshdesk":
        pytest.skip("Freshdesk sends a shared secret, not a signature over the body; TLS guards the body")
    headers, body = _signed(kind, json.dumps(VALID_BODIES[kind]).encode())
    assert _reject(setup, headers, body.replace(b"}", b" }", 1)).status == 401


def test_a_missing_signature_is_401(setup: Setup) -> None:
    kind = setup.provider.name
    headers, body = _signed(kind, json.dumps(VALID_BODIES[kind]).encode())
    del headers[SIGNERS[kind].signature_header]
    error = _reject(setup, headers, body)
    assert error.status == 401 and SIGNERS[kind].signature_header in error.reason


@pytest.mark.parametrize("offset", [-301, 301], ids=["301s-old", "301s-ahead"])
def test_a_timestamp_outside_the_window_is_refused(setup: Setup, offset: int) -> None:
    kind = setup.provider.name
    error = _reject(setup, *_signed(kind, json.dumps(VALID_BODIES[kind]).encode(), at=NOW + offset))
    assert error.status == 401 and "window" in error.reason


def test_a_timestamp_300s_old_is_still_accepted(setup: Setup) -> None:
    kind = setup.provider.name
    assert setup.provider.verify_webhook(
        *_signed(kind, json.dumps(VALID_BODIES[kind]).encode(), NOW - 300), now=NOW
    )


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"], ids=["broken", "array", "not-utf8"])
def test_a_signed_body_that_is_not_a_json_object_is_400(setup: Setup, body: bytes) -> None:
    assert _reject(setup, *_signed(setup.provider.name, body)).status == 400


def test_a_body_over_one_mib_is_413(setup: Setup) -> None:
    kind = setup.provider.name
    big = dict(VALID_BODIES[kind], padding="x" * (1024 * 1024))
    assert _reject(setup, *_signed(kind, json.dumps(big).encode())).status == 413


def test_a_signed_body_missing_its_ids_is_400(setup: Setup) -> None:
    kind = setup.provider.name
    broken = {k: v for k, v in VALID_BODIES[kind].items() if k not in ("ticket_id", "session_id", "data")}
    assert _reject(setup, *_signed(kind, json.dumps(broken).encode())).status == 400


async def test_the_local_desk_has_no_webhooks() -> None:
    local = LocalDeskProvider()
    with pytest.raises(WebhookRejected) as caught:
        local.verify_webhook({}, b"{}")
    await local.aclose()
    assert caught.value.status == 400 and "subscribe" in caught.value.reason


@pytest.mark.parametrize(
    "build",
    [
        lambda: ZendeskProvider("acme", "bot@example.com", "token", ""),
        lambda: FreshdeskProvider("acme", "", "secret"),
        lambda: IntercomProvider("token", "", admin_id="1"),
        lambda: WebhookProvider("https://example.com/hook", ""),
    ],
    ids=["zendesk", "freshdesk", "intercom", "webhook"],
)
def test_an_empty_credential_is_refused_when_the_provider_is_built(build: Callable[[], object]) -> None:
    with pytest.raises(ConfigError, match="is empty"):
        build()


# -- input edges: what an attacker holding the secret (or replaying a capture) might send --


def _signed_with_stamp(kind: str, body: dict[str, Any], stamp: Any) -> tuple[dict[str, str], bytes]:
    """A correctly signed webhook whose timestamp is ``stamp`` exactly (a string header, or a JSON value)."""
    secret = SECRETS[kind]
    if kind == "zendesk":
        raw = json.dumps(body).encode()
        headers = {"X-Zendesk-Webhook-Signature": hmac_base64(secret, str(stamp).encode() + raw),
                   "X-Zendesk-Webhook-Signature-Timestamp": str(stamp)}  # fmt: skip
        return headers, raw
    if kind == "webhook":
        raw = json.dumps(body).encode()
        return {"X-Agentkit-Timestamp": str(stamp), "X-Agentkit-Signature": sign_agentkit(secret, str(stamp), raw)}, raw
    field = "timestamp" if kind == "freshdesk" else "created_at"
    raw = json.dumps({**body, field: stamp}).encode()  # json.dumps writes float("nan") as the bare word NaN
    if kind == "freshdesk":
        return {"X-Agentkit-Secret": secret}, raw
    return {"X-Hub-Signature": "sha1=" + hmac_hex(secret, raw, "sha1")}, raw


@pytest.mark.parametrize("stamp", ["NaN", "nan", "inf", "-Infinity", float("nan"), float("inf")])
def test_a_nan_or_infinite_timestamp_is_refused_by_every_provider(setup: Setup, stamp: Any) -> None:
    kind = setup.provider.name
    if kind in ("zendesk", "webhook") and not isinstance(stamp, str):
        stamp = str(stamp)  # a header is text
    error = _reject(setup, *_signed_with_stamp(kind, VALID_BODIES[kind], stamp))
    assert error.status == 400 and "finite" in str(error)


def test_json_nested_100k_deep_is_400_not_a_crash(setup: Setup) -> None:
    kind = setup.provider.name
    deep = b'{"event": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    if kind == "freshdesk":  # signed as is: the helpers would parse the body to date it
        signed = {"X-Agentkit-Secret": SECRETS[kind]}, deep
    elif kind == "intercom":
        signed = {"X-Hub-Signature": "sha1=" + hmac_hex(SECRETS[kind], deep, "sha1")}, deep
    else:
        signed = _signed(kind, deep)
    assert _reject(setup, *signed).status == 400


def test_a_nul_character_anywhere_in_the_body_is_422(setup: Setup) -> None:
    kind = setup.provider.name
    body = {**VALID_BODIES[kind], "note": {"deep": ["fine", "bad\u0000text"]}}
    error = _reject(setup, *_signed(kind, json.dumps(body).encode()))
    assert error.status == 422 and "NUL" in str(error)
