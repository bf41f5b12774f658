"""The webchat's quotas hold across two ``agentkit serve`` workers on one PostgreSQL: a client alternating between
them gets the quota once, not once per worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx2
import pytest

from agentkit.testing import TemporaryPostgres

from .test_two_workers_serve import _start, _stop

pytestmark = pytest.mark.postgres

FLAGS = ("--quota-conversations-per-minute", "4", "--quota-messages-per-minute", "6")


@pytest.fixture
def workers(postgres: TemporaryPostgres, tmp_path: Path) -> Iterator[tuple[str, str]]:
    with postgres.fresh_schema() as url, ExitStack() as stack:
        bases = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            process, base = _start(url, tmp_path / name, *FLAGS)
            stack.callback(_stop, process)
            bases.append(base)
        yield bases[0], bases[1]


def _post(base: str, path: str, **kwargs: object) -> httpx2.Response:
    return httpx2.post(f"{base}{path}", timeout=30, **kwargs)  # type: ignore[arg-type]


def test_two_workers_count_one_quota(workers: tuple[str, str]) -> None:
    while time.time() % 60 > 40:  # the flood stays inside one minute's window
        time.sleep(1)
    a, b = workers
    created = [_post(base, "/api/conversations", json={"name": "Flood"}) for base in (a, b) * 5]
    assert [r.status_code for r in created] == [201] * 4 + [429] * 6
    assert all(int(r.headers["retry-after"]) >= 1 for r in created[4:])

    first = created[0].json()
    headers = {"X-Conversation-Token": first["token"]}
    sent = [_post(base, f"/api/conversations/{first['id']}/messages", json={"text": f"question {n}"},
                  headers=headers) for n, base in enumerate((a, b) * 5)]  # fmt: skip
    assert [r.status_code for r in sent] == [200] * 6 + [429] * 4
    history = httpx2.get(f"{b}/api/conversations/{first['id']}/messages", headers=headers, timeout=30).json()
    users = [m["text"] for m in history["messages"] if m["role"] == "user"]
    assert users == [f"question {n}" for n in range(6)]  # the refused ones were not stored
