from collections.abc import Iterator

import pytest

from agentkit.testing import block_remote_requests


@pytest.fixture(autouse=True)
def no_remote_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reaches a real model or helpdesk: remote httpx2 requests fail, and the OpenAI env is a dummy."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with block_remote_requests():
        yield
