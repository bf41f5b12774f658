"""Every setup and environment failure of the command is one line on stderr with the right exit code; the
traceback only with ``--debug`` or ``AGENTKIT_DEBUG=1``. Each test runs the real ``agentkit`` executable."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

AGENTKIT = str(Path(sys.executable).parent / "agentkit")
EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "support_bot.py")
CLOSED_DB = "postgresql://someone:secret@127.0.0.1:1/nothing"  # port 1: nothing listens, refused at once


def agentkit(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("AGENTKIT_DEBUG", "AGENTKIT_DB")}
    return subprocess.run(
        [AGENTKIT, *args], cwd=cwd, env=environment | (env or {}), input=stdin,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unreachable_database(tmp_path: Path) -> None:
    line = one_line(
        agentkit("desk", "add-agent", "sam", "--password-stdin", "--db", CLOSED_DB, cwd=tmp_path,
                 stdin="a long enough passphrase\n"), 1
    )
    assert line.startswith("agentkit desk add-agent: the database failed: connection failed") and "secret" not in line
    line = one_line(agentkit("serve", EXAMPLE, "--port", "0", "--db", CLOSED_DB, cwd=tmp_path), 1)
    assert line.startswith("agentkit serve: ") and "support_bot.py does not load (line " in line
    assert "the database failed: connection failed" in line and "Connection refused" in line


def test_the_traceback_when_asked_for(tmp_path: Path) -> None:
    for args, env in (((), {"AGENTKIT_DEBUG": "1"}), (("--debug",), {})):
        result = agentkit(*args, "desk", "agents", "--db", CLOSED_DB, cwd=tmp_path, env=env)
        assert result.returncode == 1 and "Traceback" in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("agentkit desk agents: the database failed")


@pytest.mark.parametrize(
    ("command", "source", "says"),
    [
        (
            "chat",
            "from agentkit import Agent\nagent = Agent(\n",
            "bot.py has a syntax error at line 2: '(' was never closed",
        ),
        (
            "serve",
            "import os\nimport no_such_module_here\n",
            "bot.py does not load (line 2): an import failed: No module named",
        ),
        (
            "chat",
            "x = 1\nraise RuntimeError('the bot broke')\n",
            "bot.py does not load (line 2): RuntimeError: the bot broke",
        ),
    ],
    ids=["syntax", "import", "raises"],
)
def test_a_broken_bot_file(command: str, source: str, says: str, tmp_path: Path) -> None:
    (tmp_path / "bot.py").write_text(source)
    line = one_line(agentkit(command, "bot.py", cwd=tmp_path), 1)
    assert line.startswith(f"agentkit {command}: ") and says in line


def test_a_missing_bot_file_is_a_usage_error(tmp_path: Path) -> None:
    assert one_line(agentkit("chat", "nobot.py", cwd=tmp_path), 2) == "agentkit chat: no such file: nobot.py"
    line = one_line(agentkit("serve", "no_such_module_xyz", cwd=tmp_path), 2)
    assert "cannot import 'no_such_module_xyz'" in line


def test_a_bot_module_that_imports_something_missing_is_not_called_missing(tmp_path: Path) -> None:
    (tmp_path / "mybot.py").write_text("import no_such_dependency\n")
    line = one_line(agentkit("chat", "mybot", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)}), 1)
    assert "mybot does not load: an import failed: No module named 'no_such_dependency'" in line


def test_no_terminal_for_the_password_prompt(tmp_path: Path) -> None:
    line = one_line(agentkit("desk", "add-agent", "sam", cwd=tmp_path), 2)
    assert (
        line
        == "agentkit desk add-agent: no terminal to ask for sam's password: run this in a terminal, or pipe it in "
        "with --password-stdin"
    )


def test_a_reader_that_goes_away(tmp_path: Path) -> None:
    """``agentkit tools ... | head -1``: the pipe closes before the output is written; no error, no traceback."""
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    with subprocess.Popen([AGENTKIT, "tools", EXAMPLE], cwd=tmp_path, **pipes) as process:  # type: ignore[call-overload]
        process.stdout.close()
        assert process.wait(timeout=120) == 1
        assert process.stderr.read() == ""


def test_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        line = one_line(agentkit("serve", EXAMPLE, "--port", port, "--data", str(tmp_path / "data"), cwd=tmp_path), 1)
    assert (
        line
        == f"agentkit serve: cannot listen on 127.0.0.1:{port}: Address already in use; pick another --port or --host"
    )
