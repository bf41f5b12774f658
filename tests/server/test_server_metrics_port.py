"""``/metrics`` on a listener of its own (``create_app(metrics_listener=True)`` + ``serve(metrics_sock=...)``;
``agentkit serve --metrics-port``): reachable there with the values of a scripted conversation, 404 on the public
port, and nothing but ``/metrics`` on the metrics port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx2

from agentkit.server import bind, running_server

from .server_helpers import harness, read_banner, say, start_chat
from .test_server_metrics import samples

ROOT = Path(__file__).resolve().parents[2]
AGENTKIT = [sys.executable, "-c", "from agentkit.cli import main; raise SystemExit(main())"]


async def test_metrics_apart_are_on_their_own_listener_and_not_on_the_public_one(tmp_path: Path) -> None:
    options = {"metrics": True, "metrics_listener": True}
    with closing(bind()) as metrics_sock:
        host, port = metrics_sock.getsockname()[:2]
        async with (
            harness(tmp_path, app_options=options) as h,
            running_server(h.app, metrics_sock=metrics_sock) as public,
            httpx2.AsyncClient(base_url=public) as user,
            httpx2.AsyncClient(base_url=f"http://{host}:{port}") as prometheus,
        ):
            chat = await start_chat(user)
            await say(user, chat, "hello")
            await say(user, chat, "I want to talk to a person")
            assert (await user.get("/metrics")).status_code == 404
            assert (await prometheus.get("/api/health")).status_code == 404  # the metrics port shows nothing else
            assert (await prometheus.post("/api/conversations", json={"name": "Jo"})).status_code == 404
            scraped = await prometheus.get("/metrics")
    assert scraped.status_code == 200, scraped.text
    found = samples(scraped.text)
    assert found[("agentkit_messages_received_total", ())] == 2
    assert found[("agentkit_turns_total", (("agent", "support"), ("outcome", "ok")))] == 2
    assert found[("agentkit_escalations_total", (("priority", "medium"),))] == 1
    assert found[("agentkit_open_streams", ())] == 0


async def test_a_token_is_still_asked_for_on_the_metrics_listener_when_given(tmp_path: Path) -> None:
    options = {"metrics": True, "metrics_listener": True, "metrics_token": "scrape-token-0123456789"}
    with closing(bind()) as metrics_sock:
        host, port = metrics_sock.getsockname()[:2]
        async with (
            harness(tmp_path, app_options=options) as h,
            running_server(h.app, metrics_sock=metrics_sock),
            httpx2.AsyncClient(base_url=f"http://{host}:{port}") as prometheus,
        ):
            assert (await prometheus.get("/metrics")).status_code == 401
            auth = {"Authorization": "Bearer scrape-token-0123456789"}
            assert (await prometheus.get("/metrics", headers=auth)).status_code == 200


@contextmanager
def served(data: Path, *flags: str) -> Iterator[dict[str, str]]:
    """``agentkit serve examples/support_bot.py`` on free ports; yields the banner's URLs by name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTKIT_")}
    process = subprocess.Popen(
        [*AGENTKIT, "serve", str(ROOT / "examples/support_bot.py"), "--port", "0", "--data", str(data),
         "--log-level", "warning", *flags],
        cwd=data, env={**env, "PYTHONUNBUFFERED": "1", "AGENTKIT_MODEL": "offline"}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        banner = read_banner(process)
        yield {m.group(1): m.group(2) for line in banner if (m := re.match(r"^\s+(webchat|metrics)\s+(\S+)", line))}
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_serve_metrics_port_serves_them_apart_without_a_token(tmp_path: Path) -> None:
    with served(tmp_path, "--metrics-port", "0") as urls:
        assert urls["metrics"].startswith("http://127.0.0.1:") and urls["metrics"].endswith("/metrics")
        public = urls["webchat"].rstrip("/")
        with httpx2.Client(base_url=public, timeout=60) as user, httpx2.Client(timeout=60) as prometheus:
            chat = user.post("/api/conversations", json={"name": "Jo"}).raise_for_status().json()
            headers = {"X-Conversation-Token": chat["token"]}
            user.post(f"/api/conversations/{chat['id']}/messages", json={"text": "hi"}, headers=headers)
            assert user.get("/metrics").status_code == 404
            scraped = prometheus.get(urls["metrics"])
    assert scraped.status_code == 200
    assert samples(scraped.text)[("agentkit_messages_received_total", ())] == 1
