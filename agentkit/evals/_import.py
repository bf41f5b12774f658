"""``agentkit eval import``: case candidates from a team's own conversations, PII scrubbed before anything is written.

Sources:

- **store + desk**: an agentkit message store and its desk. Every user turn the bot answered becomes a candidate
  labelled "don't escalate" (the conversation went on with the bot), and the turn that led to a desk ticket a
  candidate labelled "escalate" at the ticket's priority; the ticket's status, assignee, human replies and closing
  reason go in the notes. Turns after the handoff (the human's part) are not candidates.
- **zendesk**: a ticket export (JSON: ``tickets``, with ``comments`` in each ticket or by ticket id, and ``users``).
  The requester's messages before the first agent reply are the conversation; a ticket an agent worked (a public
  agent comment or an assignee) suggests "escalate" at its priority (Zendesk's ``normal`` is medium), one solved
  without an agent suggests "don't escalate".
- **csv / jsonl**: one conversation per row; a column map says which column holds what (``text`` or
  ``conversation``, and optionally ``id``, ``escalate``, ``priority``, ``name``, ``email``, ``split``, ``domain``,
  ``language``).

Labels are suggestions from outcomes, never ground truth: each candidate's notes say where its label came from, and
the labelling queue (or a person with an editor) confirms them. Duplicates (the same user text after scrubbing) are
dropped; ``sample`` keeps N candidates, ``stratify`` keeps the suggested labels' proportions while doing so.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..exceptions import UserError
from ..hitl.providers import ZENDESK_PRIORITIES
from ._cases import EscalationCase, dump_cases
from ._metrics import PRIORITY_LEVELS
from ._scrub import Scrubber

__all__ = ["COLUMNS", "CaseCandidate", "ImportResult", "import_rows", "import_zendesk", "select", "write_candidates"]

COLUMNS = ("id", "text", "conversation", "escalate", "priority", "name", "email", "split", "domain", "language")
# Zendesk's own priority names, read back into ours (the provider owns the map).
_ZENDESK_PRIORITY = {zendesk: ours for ours, zendesk in ZENDESK_PRIORITIES.items()}
_TRUE, _FALSE = {"true", "yes", "y", "1", "escalated"}, {"false", "no", "n", "0", ""}


@dataclass
class CaseCandidate:
    """A case candidate before validation: messages (OpenAI chat format), the suggested label, where it came from."""

    source_id: str
    messages: list[dict[str, Any]]
    escalate: bool | None
    priority: str | None
    notes: str
    names: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def stratum(self) -> str:
        return f"{self.escalate}:{self.priority}"


@dataclass
class ImportResult:
    """The cases to write and what happened on the way: read, duplicates dropped, rejected, PII scrubbed."""

    cases: list[EscalationCase]
    read: int
    duplicates: int
    rejected: list[str]
    scrubbed: dict[str, int]

    def summary(self) -> str:
        scrubbed = ", ".join(f"{n} {kind}" for kind, n in sorted(self.scrubbed.items())) or "nothing"
        return (
            f"{self.read} candidates read, {self.duplicates} duplicates dropped, {len(self.rejected)} rejected, "
            f"{len(self.cases)} cases written; scrubbed: {scrubbed}"
        )


# --- csv and jsonl --------------------------------------------------------------------------------------------


def _rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        return list(csv.DictReader(text.splitlines()))
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise UserError(f"{path}:{number}: invalid JSON ({error.msg})") from None
    return rows


def _flag(value: Any, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise UserError(f"{where}: escalate must be true/false, yes/no or 1/0, not {value!r}")


def import_rows(path: str | Path, column_map: Mapping[str, str]) -> list[CaseCandidate]:
    """Candidates from a CSV or JSONL file; ``column_map`` maps our names (``COLUMNS``) to the file's columns."""
    unknown = sorted(set(column_map) - set(COLUMNS))
    if unknown:
        raise UserError(f"unknown map keys {unknown}: map any of {', '.join(COLUMNS)} to your column names")
    if not {"text", "conversation"} & set(column_map):
        raise UserError("the column map needs text=COLUMN (the user's message) or conversation=COLUMN (JSON messages)")
    candidates = []
    for number, row in enumerate(_rows(Path(path)), start=1):
        value = {ours: row.get(theirs) for ours, theirs in column_map.items()}
        where = f"{path}:{number}"
        if "conversation" in value and value["conversation"] is not None:
            conversation = value["conversation"]
            messages = json.loads(conversation) if isinstance(conversation, str) else conversation
        else:
            messages = [{"role": "user", "content": str(value.get("text") or "")}]
        priority = (str(value["priority"]).lower() or None) if value.get("priority") else None
        extra = {k: value[k] for k in ("split", "domain", "language") if value.get(k)}
        candidates.append(CaseCandidate(
            str(value.get("id") or number), messages, _flag(value.get("escalate"), where), priority,
            f"imported from {Path(path).name} row {number}", [str(value[k]) for k in ("name",) if value.get(k)], extra,
        ))  # fmt: skip
    return candidates


# --- a zendesk export -----------------------------------------------------------------------------------------


def import_zendesk(path: str | Path) -> list[CaseCandidate]:
    """Candidates from a Zendesk ticket export (JSON with ``tickets`` and ``users``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UserError(f"{path}: not JSON ({error.msg}); export tickets as JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("tickets"), list):
        raise UserError(f"{path}: a Zendesk export is a JSON object with a 'tickets' list")
    users = {user["id"]: user for user in data.get("users", [])}
    comments_by_ticket = data.get("comments") or {}
    candidates = []
    for ticket in data["tickets"]:
        comments = ticket.get("comments") or comments_by_ticket.get(str(ticket["id"])) or []
        candidate = _zendesk_candidate(ticket, comments, users)
        if candidate is not None:
            candidates.append(candidate)
    return candidates


def _zendesk_candidate(
    ticket: Mapping[str, Any], comments: Sequence[Mapping[str, Any]], users: Mapping[Any, Mapping[str, Any]]
) -> CaseCandidate | None:
    requester = ticket.get("requester_id")
    said, agent_replied = [], False
    for comment in comments:
        if comment.get("author_id") != requester:
            agent_replied = agent_replied or bool(comment.get("public", True))
            break
        said.append(str(comment.get("body") or comment.get("plain_body") or ""))
    said = said or [str(ticket.get("description") or "")]
    if not any(text.strip() for text in said):
        return None
    worked = agent_replied or ticket.get("assignee_id") is not None
    person = users.get(requester, {})
    notes = (
        f"zendesk ticket {ticket['id']}: status {ticket.get('status')}, "
        f"{'worked by an agent' if worked else 'no agent reply'}, priority {ticket.get('priority') or 'none'}; "
        "suggested label, check it"
    )
    priority = _ZENDESK_PRIORITY.get(str(ticket.get("priority") or "normal"), "medium") if worked else None
    messages = [{"role": "user", "content": "\n\n".join(text for text in said if text.strip())}]
    return CaseCandidate(f"zendesk-{ticket['id']}", messages, worked, priority, notes, [str(person.get("name") or "")])


# --- selection and writing ------------------------------------------------------------------------------------


def _scrubbed(candidate: CaseCandidate, scrubber: Scrubber) -> CaseCandidate:
    messages = []
    for message in candidate.messages:
        copy = dict(message)
        if isinstance(copy.get("content"), str):
            copy["content"] = scrubber.scrub(copy["content"], candidate.names)
        messages.append(copy)
    notes = scrubber.scrub(candidate.notes, candidate.names)
    return CaseCandidate(
        candidate.source_id, messages, candidate.escalate, candidate.priority, notes, [], candidate.extra
    )


def _user_text_key(candidate: CaseCandidate) -> str:
    text = " ".join(str(m.get("content") or "") for m in candidate.messages if m.get("role") == "user")
    return hashlib.sha256(re.sub(r"\s+", " ", text.lower()).strip().encode()).hexdigest()


def select(candidates: Sequence[CaseCandidate], sample: int | None, stratify: bool, seed: int) -> list[CaseCandidate]:
    """``sample`` candidates drawn with ``seed`` (all when None); with ``stratify``, each suggested label keeps its
    share (largest remainders), so a rare label is not lost to chance."""
    if sample is None or sample >= len(candidates):
        return list(candidates)
    if sample < 1:
        raise UserError(f"--sample must be at least 1, not {sample}")
    rng = random.Random(seed)
    if not stratify:
        return sorted(rng.sample(list(candidates), sample), key=candidates.index)
    strata: dict[str, list[CaseCandidate]] = defaultdict(list)
    for candidate in candidates:
        strata[candidate.stratum].append(candidate)
    quotas = {name: sample * len(group) / len(candidates) for name, group in strata.items()}
    counts = {name: int(quota) for name, quota in quotas.items()}
    for name in sorted(quotas, key=lambda n: quotas[n] - counts[n], reverse=True)[: sample - sum(counts.values())]:
        counts[name] += 1
    chosen = [c for name, group in sorted(strata.items()) for c in rng.sample(group, counts[name])]
    return sorted(chosen, key=candidates.index)


def _to_case(candidate: CaseCandidate, number: int, prefix: str) -> EscalationCase:
    expected: dict[str, Any] = {"escalate": bool(candidate.escalate)}
    if candidate.escalate:
        priority = candidate.priority if candidate.priority in PRIORITY_LEVELS else "medium"
        expected["priority"] = priority
    record = {"id": f"{prefix}-{number:04d}", "conversation": candidate.messages, "expected": expected,
              "notes": candidate.notes, **candidate.extra}  # fmt: skip
    return EscalationCase.model_validate(record)


def write_candidates(
    candidates: Iterable[CaseCandidate],
    out: str | Path,
    *,
    sample: int | None = None,
    stratify: bool = False,
    seed: int = 0,
    prefix: str = "imported",
) -> ImportResult:
    """Scrub, deduplicate, sample and validate the candidates, then write them as cases to ``out`` (JSONL)."""
    scrubber, seen, unique, duplicates = Scrubber(), set(), [], 0
    everything = list(candidates)
    for candidate in everything:
        clean = _scrubbed(candidate, scrubber)
        key = _user_text_key(clean)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        unique.append(clean)
    cases: list[EscalationCase] = []
    rejected: list[str] = []
    for candidate in select(unique, sample, stratify, seed):
        try:
            cases.append(_to_case(candidate, len(cases) + 1, prefix))
        except ValidationError as error:
            rejected.append(f"{candidate.source_id}: {error.errors()[0]['msg']}")
    dump_cases(cases, out)
    return ImportResult(cases, len(everything), duplicates, rejected, dict(scrubber.counts))
