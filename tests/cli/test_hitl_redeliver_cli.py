"""``agentkit hitl redeliver``: a mistyped store is refused, not created empty and reported as "delivered 0"."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.cli import main

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "support_bot.py")


def test_a_mistyped_store_is_refused_and_not_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENTKIT_DATA", str(tmp_path))
    monkeypatch.setenv("AGENTKIT_MODEL", "offline")
    typo = tmp_path / "supprot_bot.sqlite3"
    assert main(["hitl", "redeliver", EXAMPLE, "--store", f"sqlite:///{typo}"]) == 2
    err = capsys.readouterr().err
    assert f"no store at sqlite:///{typo}" in err and "delivered" not in err
    assert not typo.exists()
    assert main(["hitl", "redeliver", EXAMPLE, "--store", "sqlite://:memory:"]) == 2
    assert "an in-memory store holds nothing to redeliver" in capsys.readouterr().err
