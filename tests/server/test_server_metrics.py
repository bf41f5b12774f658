"""``/metrics`` (Prometheus) on the served app: names, labels and values after a scripted conversation that hands
off and is claimed; off by default; the bearer token; prometheus_client not imported when off."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from agentkit.cli import main
from agentkit.storage import Connection, SqliteDatabase

from .server_helpers import Harness, harness, say, sign_in, start_chat

TOKEN = "metrics-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition: (name, sorted labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(h: Harness) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with h.client() as prometheus:
        response = await prometheus.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


@pytest.fixture
def writes_run_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every batch of SQLite writes is first run and rolled back, then run for real: what a batch does when another
    of its writes fails (``SqliteDatabase.run_batch``), so anything a write does outside its transaction shows."""
    original = SqliteDatabase.run_batch

    def twice(self: SqliteDatabase, work: Sequence[Callable[[Connection], Any]]) -> list[tuple[bool, Any]]:
        with contextlib.suppress(_RolledBack), self.transaction() as connection:
            for fn in work:
                with contextlib.suppress(Exception):
                    fn(connection)
            raise _RolledBack
        return original(self, work)

    monkeypatch.setattr(SqliteDatabase, "run_batch", twice)


class _RolledBack(Exception):
    pass


async def test_a_conversation_that_hands_off_and_is_claimed_shows_in_the_metrics(tmp_path: Path) -> None:
    await _hand_off_and_claim(tmp_path)


async def test_an_assignment_is_counted_once_when_its_write_runs_twice(tmp_path: Path, writes_run_twice: None) -> None:
    await _hand_off_and_claim(tmp_path)  # the assignment's count was 2: it was counted in the transaction


async def _hand_off_and_claim(tmp_path: Path) -> None:
    options = {"metrics": True, "metrics_token": TOKEN}
    async with harness(tmp_path, app_options=options) as h, h.app.router.lifespan_context(h.app):
        before = await scrape(h)
        assert before[("agentkit_messages_received_total", ())] == 0
        assert before[("agentkit_open_streams", ())] == 0
        async with h.client() as user, h.client() as ana:
            chat = await start_chat(user)
            await say(user, chat, "hello")
            await say(user, chat, "I want to talk to a person")
            csrf = await sign_in(ana)
            [ticket] = (await ana.get("/api/desk/tickets")).json()["tickets"]
            claimed = await ana.post(f"/api/desk/tickets/{ticket['id']}/claim", headers={"X-CSRF-Token": csrf})
            assert claimed.status_code == 200
            after = await _assigned(h)
    model = h.agent.model.name
    assert after[("agentkit_messages_received_total", ())] == 2
    assert after[("agentkit_turns_total", (("agent", "support"), ("outcome", "ok")))] == 2
    assert after[("agentkit_turn_seconds_count", (("agent", "support"),))] == 2
    assert after[("agentkit_turn_seconds_sum", (("agent", "support"),))] > 0
    assert after[("agentkit_model_requests_total", (("model", model), ("outcome", "ok")))] >= 2
    assert after[("agentkit_model_retries_total", ())] == 0
    assert after[("agentkit_escalations_total", (("priority", "medium"),))] == 1
    assert after[("agentkit_time_to_assignment_seconds_count", ())] == 1
    assert after[("agentkit_outbox_depth", (("plugin", "desk-hitl"),))] == 0  # the desk took it at once
    assert after[("agentkit_outbox_oldest_age_seconds", (("plugin", "desk-hitl"),))] == 0


async def _assigned(h: Harness) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The desk tells the plugin of the claim in the background: scrape until the assignment is counted."""
    for _ in range(250):
        found = await scrape(h)
        if found.get(("agentkit_time_to_assignment_seconds_count", ()), 0) >= 1:  # the test asserts == 1
            return found
        await asyncio.sleep(0.02)
    raise AssertionError("the assignment was never counted")


async def test_metrics_are_off_by_default_and_a_wrong_token_is_refused(tmp_path: Path) -> None:
    async with harness(tmp_path) as h, h.client() as client:
        assert (await client.get("/metrics", headers=AUTH)).status_code == 404
    async with harness(tmp_path / "on", app_options={"metrics": True, "metrics_token": TOKEN}) as h:
        async with h.client() as client:
            assert (await client.get("/metrics")).status_code == 401
            wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
            assert (await client.get("/metrics", headers=AUTH)).status_code == 200


def test_prometheus_client_is_not_imported_when_metrics_are_off(tmp_path: Path) -> None:
    script = f"""
import asyncio, sys
import httpx2
from agentkit.hitl import DeskHitl
from agentkit.runtime import Agent
from agentkit.server import create_app

async def main():
    app = create_app(Agent("bot", "offline", plugins={{"desk-hitl": DeskHitl("{tmp_path}/desk.db")}},
                           store="sqlite:///{tmp_path}/bot.db"), secret_key="x" * 32)
    async with app.router.lifespan_context(app):
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1") as c:
            assert (await c.get("/api/health")).status_code == 200
            assert (await c.get("/metrics")).status_code == 404

asyncio.run(main())
assert "prometheus_client" not in sys.modules
print("clean")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=os.environ)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"


def test_serve_metrics_without_a_token_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = tmp_path / "bot.py"
    bot.write_text(
        "from agentkit import Agent\nfrom agentkit.hitl import DeskHitl\n"
        f"agent = Agent('bot', plugins={{'desk-hitl': DeskHitl('{tmp_path}/desk.db')}}, "
        f"store='sqlite:///{tmp_path}/bot.db')\n"
    )
    for name in ("AGENTKIT_METRICS_TOKEN", "AGENTKIT_DATA", "AGENTKIT_MODEL", "AGENTKIT_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGENTKIT_DATA", str(tmp_path / "data"))  # restored after the test: serve sets it
    monkeypatch.setenv("AGENTKIT_MODEL", "offline")
    code = main(["serve", str(bot), "--metrics", "--port", "0", "--data", str(tmp_path / "data")])
    assert code == 2
    assert "--metrics needs a token: --metrics-token TOKEN or AGENTKIT_METRICS_TOKEN" in capsys.readouterr().err
