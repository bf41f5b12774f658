"""``agentkit desk add-agent`` and ``remove-agent`` as a script runs them: the password from standard input, never
from the command line unless asked for (and then with a warning), checked before anything is written; a new
password or a removal ends the account's sessions; ``agentkit serve`` prints the demo password once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from agentkit.server import DatabaseServerStore

AGENTKIT = str(Path(sys.executable).parent / "agentkit")


def desk(*args: str, data: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([AGENTKIT, "desk", *args, "--data", str(data)], input=stdin, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


async def _check(data: Path, name: str, password: str) -> bool:
    store = DatabaseServerStore(data / "server.sqlite3")
    try:
        return await store.check_agent(name, password)
    finally:
        await store.aclose()


def test_the_password_comes_from_standard_input(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = desk("add-agent", "ana", "--password-stdin", data=data, stdin="a long enough passphrase\nignored\n")
    assert made.returncode == 0 and made.stderr == "", made.stderr
    assert "a long enough passphrase" not in made.stdout  # never echoed
    assert asyncio.run(_check(data, "ana", "a long enough passphrase"))
    raw = (data / "server.sqlite3").read_bytes()
    assert b"a long enough passphrase" not in raw and b"scrypt$131072$" in raw


def test_a_weak_or_missing_password_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for stdin, problem in (("", "read no password"), ("short\n", "at least 12"), ("password1234\n", "common")):
        refused = desk("add-agent", "ana", "--password-stdin", data=data, stdin=stdin)
        assert refused.returncode == 2 and problem in refused.stderr and "Traceback" not in refused.stderr
    listed = desk("agents", data=data)
    assert "no desk agents yet" in listed.stdout


def test_a_password_on_the_command_line_is_deprecated(tmp_path: Path) -> None:
    made = desk("add-agent", "ana", "--password", "a long enough passphrase", data=tmp_path)
    assert made.returncode == 0 and "--password is deprecated" in made.stderr and "--password-stdin" in made.stderr


def test_without_a_terminal_the_prompt_says_how_to_pipe_the_password(tmp_path: Path) -> None:
    refused = desk("add-agent", "ana", data=tmp_path)
    assert refused.returncode == 2 and "--password-stdin" in refused.stderr


def test_replace_and_remove_end_the_accounts_sessions(tmp_path: Path) -> None:
    data = tmp_path / "data"
    desk("add-agent", "ana", "--password-stdin", data=data, stdin="the first passphrase\n")

    async def open_session() -> str:
        store = DatabaseServerStore(data / "server.sqlite3")
        try:
            return await store.start_session("ana", lifetime=3600)
        finally:
            await store.aclose()

    async def is_open(session_id: str) -> bool:
        store = DatabaseServerStore(data / "server.sqlite3")
        try:
            return await store.check_session(session_id, "ana", idle=3600, lifetime=3600)
        finally:
            await store.aclose()

    session = asyncio.run(open_session())
    assert asyncio.run(is_open(session))
    changed = desk("add-agent", "ana", "--replace", "--password-stdin", data=data, stdin="the second passphrase\n")
    assert changed.returncode == 0 and "sessions signed in with the old one are ended" in changed.stdout
    assert not asyncio.run(is_open(session))
    session = asyncio.run(open_session())
    removed = desk("remove-agent", "ana", data=data)
    assert removed.returncode == 0 and not asyncio.run(is_open(session))
    again = desk("remove-agent", "ana", data=data)
    assert again.returncode == 2 and "no desk agent named 'ana'" in again.stderr
