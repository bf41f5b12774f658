"""``agentkit serve --metrics-port`` and ``--metrics-host``: their help, the refusal of a host without a port, and
the warning when the metrics listener is open to other machines without a token (the listener itself is tested in
tests/server/test_server_metrics_port.py)."""

from __future__ import annotations

import argparse
from contextlib import closing
from pathlib import Path

import pytest

from agentkit.cli import _serve, main
from agentkit.server import bind

ROOT = Path(__file__).resolve().parents[2]


def test_metrics_host_without_metrics_port_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AGENTKIT_METRICS_TOKEN", "AGENTKIT_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGENTKIT_DATA", str(tmp_path / "data"))  # restored after the test: serve sets it
    monkeypatch.setenv("AGENTKIT_MODEL", "offline")
    code = main(["serve", str(ROOT / "examples/support_bot.py"), "--metrics-host", "0.0.0.0", "--port", "0",
                 "--data", str(tmp_path / "data")])  # fmt: skip
    assert code == 2
    assert "--metrics-host needs --metrics-port" in capsys.readouterr().err


def test_serve_help_names_the_metrics_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "--metrics-port PORT serve /metrics on this port of its own instead of the public one" in shown
    assert "--metrics-host HOST" in shown


def test_metrics_open_to_other_machines_without_a_token_are_warned_about(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AGENTKIT_METRICS_TOKEN", raising=False)
    with closing(bind()) as metrics_sock:
        for host, token, warned in (("0.0.0.0", None, True), ("0.0.0.0", "t" * 20, False), ("127.0.0.1", None, False)):
            _serve._warn_open_metrics(argparse.Namespace(metrics_host=host, metrics_token=token), metrics_sock)
            assert ("WARNING: /metrics on 0.0.0.0 answers anyone" in capsys.readouterr().out) is warned
