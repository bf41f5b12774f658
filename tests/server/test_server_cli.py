"""``agentkit serve examples/support_bot.py`` serves both pages to real HTTP requests and prints a working desk
login; ``agentkit desk add-agent`` / ``add-bot`` create accounts; a bot with an unregistered token is refused at
start with the command that registers it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from agentkit.cli import main
from agentkit.server import DatabaseServerStore

from .server_helpers import read_banner

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "support_bot.py"
AGENTKIT = [sys.executable, "-c", "from agentkit.cli import main; raise SystemExit(main())"]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTKIT_")}
    return {**env, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """``agentkit serve`` on a free port, run from ``tmp_path`` (where the example keeps its .agentkit files)."""
    process = subprocess.Popen(
        [*AGENTKIT, "serve", str(EXAMPLE), "--port", "0", "--log-level", "warning"],
        cwd=tmp_path, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        yield process, read_banner(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()


def _interrupt(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Ctrl-C, as a person stops the server; its exit code and what it printed meanwhile."""
    process.send_signal(signal.SIGINT)
    assert process.stdout is not None
    output = process.stdout.read()  # until it exits and closes its end
    return process.wait(timeout=15), output


def _url(banner: list[str], label: str) -> str:
    match = next(re.search(rf"^\s+{label}\s+(http://\S+)", line) for line in banner if line.strip().startswith(label))
    assert match is not None
    return match.group(1)


def test_serve_the_support_bot_example(served: tuple[subprocess.Popen[str], list[str]], tmp_path: Path) -> None:
    process, banner = served
    assert "model offline" in banner[0]
    webchat, desk = _url(banner, "webchat"), _url(banner, "desk")
    login = next(line for line in banner if "desk login:" in line)
    password = re.search(r"demo / (\S+)", login)
    assert password is not None, login
    with httpx2.Client() as browser:
        page = browser.get(webchat)
        assert page.status_code == 200 and "support-bot" in page.text and "webchat.js" in page.text
        sign_in = browser.get(desk)
        assert sign_in.status_code == 200 and 'id="login"' in sign_in.text
        assert "printed a demo login" in sign_in.text and "demo-login.txt" in sign_in.text
        base = webchat.rstrip("/")
        assert browser.post(f"{base}/api/desk/login", json={"name": "demo", "password": password.group(1)}).is_success
        inbox = browser.get(desk)
        assert 'name="csrf-token"' in inbox.text and "Signed in as <strong>demo</strong>" in inbox.text
        created = browser.post(f"{base}/api/conversations", json={"name": "Jo"}).json()
        said = browser.post(f"{base}/api/conversations/{created['id']}/messages", json={"text": "I want a real person"},
                            headers={"X-Conversation-Token": created["token"]})  # fmt: skip
        assert said.json()["messages"][0]["role"] == "system"  # the handoff notice
        [ticket] = browser.get(f"{base}/api/desk/tickets").json()["tickets"]
        assert ticket["user"]["name"] == "Jo"
        with browser.stream("GET", f"{base}/api/desk/events") as live:  # an open stream does not hold up the exit
            next(live.iter_lines())
            code, output = _interrupt(process)
    assert code == 0 and "Traceback" not in output, output
    assert (tmp_path / ".agentkit" / "desk.sqlite3").is_file() and (tmp_path / ".agentkit" / "server.sqlite3").is_file()
    assert oct((tmp_path / ".agentkit" / "secret_key").stat().st_mode)[-3:] == "600"


def test_desk_accounts_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["desk", "add-agent", "--data", data, "ana", "--password", "correct horse"]) == 0
    assert "--password is deprecated" in capsys.readouterr().err
    assert main(["desk", "add-agent", "--data", data, "ana", "--password", "correct horse"]) == 2
    assert "exists already; pass --replace" in capsys.readouterr().err
    assert main(["desk", "add-agent", "--data", data, "ben", "--password", "short"]) == 2
    assert main(["desk", "agents", "--data", data]) == 0
    assert capsys.readouterr().out.split() == ["ana"]
    assert main(["desk", "add-bot", "--data", data, "support-bot"]) == 0
    token = re.search(r"AGENTKIT_DESK_TOKEN=(\S+)", capsys.readouterr().out)
    assert token is not None

    import asyncio

    async def check() -> tuple[bool, str | None]:
        store = DatabaseServerStore(Path(data) / "server.sqlite3")
        try:
            return await store.check_agent("ana", "correct horse"), await store.bot_for_token(token.group(1))
        finally:
            await store.aclose()

    assert asyncio.run(check()) == (True, "support-bot")


def test_serve_refuses_an_unregistered_bot(tmp_path: Path) -> None:
    bot = tmp_path / "gated_bot.py"
    bot.write_text(
        textwrap.dedent("""
        import os
        from agentkit import Agent
        from agentkit.hitl import DeskHitl
        from agentkit.server import BotTokenDesk, DatabaseServerStore

        data = os.environ["AGENTKIT_DATA"]
        desk = BotTokenDesk(f"{data}/desk.sqlite3", token=os.environ.get("AGENTKIT_DESK_TOKEN"),
                            store=DatabaseServerStore(f"{data}/server.sqlite3"))
        agent = Agent("gated", plugins={"desk-hitl": DeskHitl(desk)}, store=f"sqlite:///{data}/bot.db")
    """)
    )
    env = {**_environment(), "AGENTKIT_DESK_TOKEN": "akbot_not-registered"}
    done = subprocess.run([*AGENTKIT, "serve", str(bot), "--port", "0"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the bot's token is not registered" in done.stderr
    assert "agentkit desk add-bot NAME --data .agentkit" in done.stderr
