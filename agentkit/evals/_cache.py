"""What an eval keeps on disk so that no work is done twice: finished case records (model replies are cached by
``agentkit.models.CachingModel``).

``ResultsFile`` is ``out_dir/results.jsonl``: one ``CaseRecord`` a line, appended as each (case, repeat) finishes,
which is what lets a stopped run resume. Its line format is part of the report schema (REPORT_SCHEMA.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import UserError
from ._metrics import CaseOutcome

__all__ = ["CaseRecord", "ResultsFile", "read_records"]


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """One (case, repeat): the scored ``outcome`` and what the report shows besides it."""

    outcome: CaseOutcome
    cost_usd: float = 0.0
    status: str = ""
    model_requests: int = 0
    bot_messages: list[dict[str, Any]] = field(default_factory=list)
    bot_fingerprint: str = ""

    def to_json(self) -> dict[str, Any]:
        outcome = asdict(self.outcome)
        outcome["tags"], outcome["acceptable_priorities"] = (
            list(self.outcome.tags),
            list(self.outcome.acceptable_priorities),
        )
        return outcome | {
            "cost_usd": self.cost_usd,
            "status": self.status,
            "model_requests": self.model_requests,
            "bot_messages": self.bot_messages,
            "bot_fingerprint": self.bot_fingerprint,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseRecord:
        # Fields added later (replied, promised_human) have defaults: results written before them still load.
        fields = {name: data[name] for name in CaseOutcome.__dataclass_fields__ if name in data or name not in _LATER}
        fields["tags"], fields["acceptable_priorities"] = tuple(fields["tags"]), tuple(fields["acceptable_priorities"])
        return cls(
            outcome=CaseOutcome(**fields),
            cost_usd=float(data.get("cost_usd", 0.0)),
            status=str(data.get("status", "")),
            model_requests=int(data.get("model_requests", 0)),
            bot_messages=list(data.get("bot_messages", [])),
            bot_fingerprint=str(data.get("bot_fingerprint", "")),
        )


_LATER = frozenset({"replied", "promised_human"})


class ResultsFile:
    """``folder/results.jsonl``. ``fingerprint`` identifies the bot; records of another bot are refused."""

    def __init__(self, folder: Path, fingerprint: str | None = None) -> None:
        self.folder = folder
        self.path = folder / "results.jsonl"
        self.fingerprint = fingerprint
        folder.mkdir(parents=True, exist_ok=True)

    def load(self) -> dict[tuple[str, int], CaseRecord]:
        """The records by (case id, repeat); a later line wins, a torn last line (a killed run) is skipped."""
        records: dict[tuple[str, int], CaseRecord] = {}
        for record in read_records(self.path):
            key = (record.outcome.case_id, record.outcome.repeat)
            records[key] = record
        others = {r.bot_fingerprint for r in records.values()} - {self.fingerprint}
        if self.fingerprint is not None and others:
            raise UserError(
                f"{self.path} holds results of another bot (model, instructions, tools or settings differ); "
                "write this run to another out_dir, or delete that file to start over"
            )
        return records

    def append(self, record: CaseRecord) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")


def read_records(path: Path) -> list[CaseRecord]:
    """Every record of a results.jsonl file, in file order; missing file: none."""
    if not path.exists():
        return []
    records = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(CaseRecord.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as error:
            if number == len(lines):
                continue  # the run was killed while writing this line; the case runs again
            raise UserError(f"{path}:{number}: not a results record ({error}); was the file edited?") from None
    return records
