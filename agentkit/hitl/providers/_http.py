"""The helpdesk providers' one HTTP path: an authenticated client whose failures become ``ProviderError``.

Retryable: timeouts, connection errors and the statuses of ``agentkit.retry`` (408, 409: a concurrent request holds
the idempotency key, 429, 5xx). Any other 4xx is not: the request itself is wrong, and the message carries the
helpdesk's answer. ``Retry-After`` is read in seconds or as an HTTP date, by the one parser.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from typing import Any

import httpx2

from agentkit.hitl._provider import ProviderError
from agentkit.retry import current_deadline, is_retryable_status, parse_retry_after

__all__ = ["HelpdeskClient", "is_retryable_status"]

_MAX_TEXT = 500


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Building a context reads the CA bundle (tens of ms); one per process serves every provider's client.
    return httpx2.create_ssl_context()


class HelpdeskClient:
    """JSON over HTTP to one helpdesk, named ``provider`` in every error message."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        auth: httpx2.Auth | tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.provider = provider
        self.timeout = timeout
        self._client = httpx2.AsyncClient(
            base_url=base_url.rstrip("/"),
            auth=auth,
            headers=dict(headers or {}),
            timeout=timeout,
            verify=_tls_context(),
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON body (None when empty) or raise ``ProviderError``."""
        what = f"{self.provider}: {method} {path}"
        timeout = self._timeout()
        try:
            response = await self._client.request(
                method, path, json=json, content=content, headers=headers, params=params, timeout=timeout
            )
        except httpx2.TimeoutException as exc:
            raise ProviderError(
                f"{what} timed out after {timeout:.3g} s", retryable=True, provider=self.provider
            ) from exc
        except httpx2.TransportError as exc:
            raise ProviderError(
                f"{what} could not reach the helpdesk: {exc!r}", retryable=True, provider=self.provider
            ) from exc
        if response.is_success:
            return self._decode(what, response)
        raise self._status_error(what, response)

    def _timeout(self) -> float:
        """The client's timeout, cut to the time left before the enclosing deadline (a turn, an inline delivery)."""
        limit = current_deadline()
        return self.timeout if limit is None else max(0.01, min(self.timeout, limit.remaining()))

    def _decode(self, what: str, response: httpx2.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ProviderError(
                f"{what} answered {response.status_code} with a body that is not JSON: "
                f"{response.text[:_MAX_TEXT]!r}; check the base URL",
                retryable=False,
                provider=self.provider,
                status=response.status_code,
            ) from None

    def _status_error(self, what: str, response: httpx2.Response) -> ProviderError:
        status = response.status_code
        retryable = is_retryable_status(status)
        advice = (
            "will be retried" if retryable else "fix the request or the credentials; a retry will not help"
        )
        return ProviderError(
            f"{what} answered {status} ({advice}): {response.text[:_MAX_TEXT]}",
            retryable=retryable,
            provider=self.provider,
            status=status,
            retry_after=parse_retry_after(response.headers),
        )

    async def aclose(self) -> None:
        await self._client.aclose()
