"""``test_split_uses.jsonl`` next to the tuning runs' folders: every time a tuning run looked at a test split.

Test confirms a gain only as long as it stays held out. Each tuning run that reads it and lets its verdict steer
the next attempt spends some of that: after enough looks one of them confirms by luck. The log makes the count
visible: the verdict says how many runs have used this test split, and the file lists them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["TEST_USES_FILE", "record_test_use"]

TEST_USES_FILE = "test_split_uses.jsonl"


def record_test_use(out_dir: Path, test_split: str, n_cases: int, confirmed: bool | None) -> tuple[int, Path]:
    """Append this run's use of the test split (``test_split``: its content key) to the log beside ``out_dir``;
    return how many distinct runs (out folders) have used that test split, this one included, and the log's path.

    A resumed run is the same run: it is counted once however many times it reaches test.
    """
    path = out_dir.resolve().parent / TEST_USES_FILE
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": str(out_dir.resolve()),
        "test_split": test_split,
        "n_cases": n_cases,
        "confirmed": confirmed,
    }
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
    runs = {use["run"] for use in _read(path) if use.get("test_split") == test_split}
    return len(runs), path


def _read(path: Path) -> list[dict[str, Any]]:
    uses = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            use = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn line from a killed run: the others still count
        if isinstance(use, dict):
            uses.append(use)
    return uses
