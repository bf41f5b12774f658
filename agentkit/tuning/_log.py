"""``out/candidates.jsonl``: the run's settings, then every finished evaluation and every proposal, in order.

It is what a stopped run resumes from: an evaluation or a proposal whose key is in the log is read back, never
made again. Lines carry no clock times, so two runs with the same seed write the same log. A torn last line
(a run killed while writing) is ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from ._candidate import Candidate

__all__ = ["Evaluation", "TuningLog", "content_key"]


def content_key(*parts: Any) -> str:
    """A short sha256 of JSON-able ``parts``: the identity of an evaluation or a proposal."""
    canonical = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One candidate scored on one set of cases: its metrics, its objective, and what it spent."""

    key: str
    stage: str
    split: str
    candidate: Candidate
    n_cases: int
    metrics: dict[str, float | None]
    quality: float
    prompt_tokens: int
    objective: float
    requests: int
    usd: float

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "evaluation", "key": self.key, "stage": self.stage, "split": self.split,
            "candidate": self.candidate.to_json(), "n_cases": self.n_cases, "metrics": self.metrics,
            "quality": self.quality, "prompt_tokens": self.prompt_tokens, "objective": self.objective,
            "requests": self.requests, "usd": round(self.usd, 6),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evaluation:
        return cls(
            key=data["key"], stage=data["stage"], split=data["split"],
            candidate=Candidate.from_json(data["candidate"]), n_cases=data["n_cases"], metrics=data["metrics"],
            quality=data["quality"], prompt_tokens=data["prompt_tokens"], objective=data["objective"],
            requests=data["requests"], usd=data["usd"],
        )  # fmt: skip


class TuningLog:
    """The log file; ``settings`` identify the run, and a folder holding another run's log is refused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.evaluations: dict[str, Evaluation] = {}
        self.proposals: dict[str, str] = {}
        self.resumed = 0

    def open(self, settings: Mapping[str, Any]) -> None:
        lines = self._read()
        if lines and lines[0].get("settings") != json.loads(json.dumps(settings)):
            differing = _differences(lines[0].get("settings") or {}, settings)
            raise ConfigError(
                f"{self.path} holds a tuning run with other settings (differing: {', '.join(differing)}); "
                "give another --out, or delete that folder to start over"
            )
        if not lines:
            self._write({"kind": "run", "settings": settings})
        for line in lines[1:]:
            if line.get("kind") == "evaluation":
                self.evaluations[line["key"]] = Evaluation.from_json(line)
            elif line.get("kind") == "proposal":
                self.proposals[line["key"]] = line["text"]
        self.resumed = len(self.evaluations)

    def add_evaluation(self, evaluation: Evaluation) -> None:
        self.evaluations[evaluation.key] = evaluation
        self._write(evaluation.to_json())

    def add_proposal(self, key: str, step: int, text: str) -> None:
        self.proposals[key] = text
        self._write({"kind": "proposal", "key": key, "step": step, "text": text})

    def _write(self, line: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")

    def _read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        rows = self.path.read_text(encoding="utf-8").splitlines()
        lines = []
        for number, row in enumerate(rows, start=1):
            try:
                lines.append(json.loads(row))
            except ValueError:
                if number == len(rows):  # torn by a killed run: drop it (later lines go after it), redo that step
                    self.path.write_text("".join(r + "\n" for r in rows[:-1]), encoding="utf-8")
                    continue
                raise ConfigError(f"{self.path}:{number}: not a log line; was the file edited?") from None
        return lines


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> Sequence[str]:
    keys = sorted(set(old) | set(new))
    return [key for key in keys if json.dumps(old.get(key), sort_keys=True) != json.dumps(new.get(key), sort_keys=True)]
