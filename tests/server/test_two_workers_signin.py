"""The desk's sign-in throttles hold across two ``agentkit serve`` workers on one PostgreSQL: failed sign-ins sent
alternately to worker A and worker B are counted once, in the shared database, so a guesser gets the free tries of
one desk, not of one worker each.

``agentkit serve`` uses ``LoginThrottle()``'s defaults: 3 free failures per account, then each try waits 2, 4, 8 ...
seconds after the last failure (a right password ends the backoff); 20 failures per address in 5 minutes.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx2
import pytest

from agentkit.testing import TemporaryPostgres

from .test_two_workers_serve import AGENTKIT, _environment, _start, _stop

pytestmark = pytest.mark.postgres

PASSWORD = "right-password-for-ana"
FREE_FAILURES = 3  # LoginThrottle.free_failures
PER_ADDRESS = 20  # LoginThrottle.per_address


@pytest.fixture
def workers(postgres: TemporaryPostgres, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two workers on one fresh schema, with the agent ``ana`` added once; yields their base URLs."""
    with postgres.fresh_schema() as url, ExitStack() as stack:
        done = subprocess.run([*AGENTKIT, "desk", "add-agent", "ana", "--password-stdin", "--db", url],
                              input=PASSWORD + "\n", env=_environment(), capture_output=True, text=True,
                              cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        bases = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            process, base = _start(url, tmp_path / name)
            stack.callback(_stop, process)
            bases.append(base)
        yield bases[0], bases[1]


def _login(base: str, password: str, name: str = "ana") -> httpx2.Response:
    return httpx2.post(f"{base}/api/desk/login", json={"name": name, "password": password}, timeout=30)


def _statuses(responses: list[httpx2.Response]) -> list[int]:
    return [r.status_code for r in responses]


def _wait_out(refused: httpx2.Response) -> None:
    """Sleep past the Retry-After of a 429 (generously: the backoff counts from the last failure, before it)."""
    assert refused.status_code == 429, refused.text
    time.sleep(int(refused.headers["retry-after"]) + 1.5)


def test_the_account_backoff_counts_failures_from_both_workers(workers: tuple[str, str]) -> None:
    a, b = workers
    guesses = [_login(base, f"guess {n}") for n, base in enumerate((a, b, a))]
    assert _statuses(guesses) == [401] * FREE_FAILURES
    # Worker B has seen one failure itself; had it counted alone, this would be a 401 (and a fourth checked guess).
    fourth = _login(b, "guess 3")
    assert fourth.status_code == 429 and 1 <= int(fourth.headers["retry-after"]) <= 2, fourth.text
    assert "too many failed sign-ins for 'ana'" in fourth.json()["error"]
    assert _statuses([_login(a, PASSWORD), _login(b, PASSWORD)]) == [429, 429]  # the owner waits too, everywhere

    _wait_out(fourth)
    assert _login(b, "guess 4").status_code == 401  # checked once the 2 s are over: the 4th failure, on B
    refused = _login(a, PASSWORD)  # A knows of B's failure: the backoff doubled to 4 s
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 4, refused.text
    assert _login(b, PASSWORD).status_code == 429

    _wait_out(refused)
    assert _statuses([_login(b, PASSWORD), _login(a, PASSWORD)]) == [200, 200]  # the right password, on both
    # B's success cleared the count for A too: three free failures again, then the backoff, whichever worker.
    again = [_login(base, f"guess {n}") for n, base in enumerate((a, b, a, b), start=5)]
    assert _statuses(again) == [401] * FREE_FAILURES + [429]


def test_the_per_address_limit_counts_failures_from_both_workers(workers: tuple[str, str]) -> None:
    """Each guess names another account, so no account backs off: only the address's count (127.0.0.1) grows."""
    a, b = workers
    guesses = [_login(base, "guess", name=f"nobody{n}") for n, base in enumerate((a, b) * (PER_ADDRESS // 2))]
    assert _statuses(guesses) == [401] * PER_ADDRESS  # ten on each worker: each alone is far from its limit
    for base in (a, b):
        refused = _login(base, PASSWORD)
        assert refused.status_code == 429, refused.text
        assert "too many failed sign-ins from this address" in refused.json()["error"]
        assert int(refused.headers["retry-after"]) >= 1
