import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentkit.testing import TemporaryPostgres, block_remote_requests


@pytest.fixture(autouse=True)
def no_remote_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reaches a real model or helpdesk: remote httpx2 requests fail, and the OpenAI env is a dummy."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with block_remote_requests():
        yield


@pytest.fixture(autouse=True)
def no_finalizers_while_parsing_source(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that read our source with ``ast`` (imported at module level) run with the cyclic collector paused.

    CPython 3.11 keeps the AST constructor's recursion depth in interpreter-wide state. When a collection during
    ``ast.parse`` runs the finalizer of something an earlier test left behind, and that finalizer formats a traceback
    (3.11's traceback calls ``ast.parse`` for its carets), the outer parse fails with "SystemError: AST constructor
    recursion depth mismatch" (seen in full runs, never alone). Pausing the collector keeps foreign finalizers out
    of the parse. (No ``gc.collect()`` first: that would run those finalizers here and pin their warnings on this
    test rather than on the one that left the garbage.)
    """
    if not hasattr(request.module, "ast"):
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# -- storage backends: every store test that takes `store_url` runs on SQLite and on a real PostgreSQL --


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs on a throwaway PostgreSQL server (deselect: -m 'not postgres')")


@pytest.fixture(scope="session")
def postgres() -> Iterator[TemporaryPostgres]:
    """One PostgreSQL server on 127.0.0.1 for the whole run, started when a test first needs it."""
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture
def pg_url(postgres: TemporaryPostgres) -> Iterator[str]:
    """A fresh schema on the PostgreSQL server, for the tests that only make sense there (mark them postgres)."""
    with postgres.fresh_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL for an empty store: a SQLite file, or a fresh schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/store.db"
        return
    server: TemporaryPostgres = request.getfixturevalue("postgres")
    with server.fresh_schema() as url:
        yield url
