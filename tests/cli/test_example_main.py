"""``python examples/support_bot.py`` says how to run the bot instead of printing nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "support_bot.py"


def test_running_the_example_file_says_how_to_run_the_bot(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTKIT_")} | {"AGENTKIT_DATA": str(tmp_path)}
    result = subprocess.run([sys.executable, str(EXAMPLE)], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 0 and result.stderr == ""
    assert "agentkit chat examples/support_bot.py" in result.stdout and "agentkit serve" in result.stdout
