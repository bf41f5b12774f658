"""``agentkit serve --help`` says what ``--db-pool-size`` bounds, its default, and the connections a worker needs."""

from __future__ import annotations

import pytest

from agentkit.cli import main
from agentkit.storage import DEFAULT_POOL_SIZE


def test_serve_help_gives_the_pool_default_and_the_connection_budget(capsys: pytest.CaptureFixture[str]) -> None:
    main(["serve", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"(sets AGENTKIT_DB_POOL_SIZE; default {DEFAULT_POOL_SIZE})" in text
    assert "N bounds the transactions in flight, not the conversations" in text
    assert "max_connections must cover about (4N + 6) x workers" in text
