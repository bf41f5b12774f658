"""``agentkit chat`` in a real terminal (a pty driven by pexpect): the prompt, line editing and history, Ctrl-C,
and a person's claim and reply shown during a handoff, while another process also listens to the desk."""

from __future__ import annotations

import asyncio
import os
import runpy
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from agentkit.desk import LocalDesk

AGENTKIT = str(Path(sys.executable).parent / "agentkit")
EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "support_bot.py")
LEFT, UP = "\x1b[D", "\x1b[A"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[pexpect.spawn]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTKIT_")}
    env |= {"AGENTKIT_DATA": str(tmp_path), "AGENTKIT_MODEL": "offline", "TERM": "xterm",
            "PROMPT_TOOLKIT_NO_CPR": "1"}  # fmt: skip  # no cursor-position queries: pexpect would not answer
    child = pexpect.spawn(AGENTKIT, ["chat", EXAMPLE, "--conversation", "c1"], env=env, cwd=str(tmp_path),
                          encoding="utf-8", timeout=60, dimensions=(40, 160))  # fmt: skip
    try:
        yield child
    finally:
        child.close(force=True)


def user_lines(data: Path) -> list[str]:
    with sqlite3.connect(data / "support_bot.sqlite3") as db:
        rows = db.execute("SELECT text FROM messages WHERE role = 'user' ORDER BY seq").fetchall()
    return [text for (text,) in rows]


def test_prompt_editing_history_and_ctrl_c(terminal: pexpect.spawn, tmp_path: Path) -> None:
    terminal.expect("you>")
    terminal.send("helo" + LEFT + "l\r")  # Left moves into the line: "hel|o" + "l" = "hello"
    terminal.expect("bot> Hello! I can help")
    terminal.expect("you>")
    terminal.send(UP + "\r")  # Up recalls the last line
    terminal.expect("bot> Hello! I can help")
    terminal.expect("you>")
    terminal.send("never sent")
    terminal.sendcontrol("c")  # clears the line
    terminal.sendcontrol("c")  # on an empty line: leaves
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 0 and "Traceback" not in (terminal.before or "")
    assert user_lines(tmp_path) == ["hello", "hello"]


async def test_a_persons_claim_and_reply_show_up_during_a_handoff(terminal: pexpect.spawn, tmp_path: Path) -> None:
    async def expect(pattern: str) -> None:
        await asyncio.to_thread(terminal.expect, pattern)

    await expect("you>")
    terminal.send("I want to talk to a person\r")
    await expect("escalated this conversation to a human agent")
    await expect("type /end to hand it back to the bot")
    os.environ["AGENTKIT_DATA"] = str(tmp_path)  # noqa: TID251 - restored below; the example reads it on import
    try:
        server = runpy.run_path(EXAMPLE)["agent"]  # as `make run` would: another process on the same desk and store
    finally:
        del os.environ["AGENTKIT_DATA"]
    async with server, LocalDesk(str(tmp_path / "desk.sqlite3")) as desk:
        (ticket,) = await desk.tickets(status="open")
        await desk.assign(ticket.id, "Sam")
        await expect("A human agent has joined the conversation")
        await desk.reply(ticket.id, "Hi, Sam here. What happened?")
        await expect(r"Sam \(person\)> Hi, Sam here. What happened\?")
        await desk.close(ticket.id)
        await expect("The human agent closed the conversation")
    terminal.sendcontrol("d")
    await asyncio.to_thread(terminal.expect, pexpect.EOF)


def test_piped_lines_each_show_once(tmp_path: Path) -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTKIT_")} | {"AGENTKIT_DATA": str(tmp_path)}
    result = subprocess.run([AGENTKIT, "chat", EXAMPLE], input="hello\n/quit\n", env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines.count("you> hello") == 1 and sum(line.startswith("bot> Hello!") for line in lines) == 1
