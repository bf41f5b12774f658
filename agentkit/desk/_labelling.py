"""The labelling queue: eval cases shown one at a time to desk agents, labelled (decision, priority, note), by two
labellers when asked; cases where they disagree go to adjudication; the result exports in the case format.

``LabellingQueue(url)`` keeps cases, labels and adjudications in its own tables (the ``labelling`` component's
migrations). ``labelling_routes()`` is the page ``/desk/labelling`` and its API under ``/api/desk/labelling``; the
signed-in desk agent is the labeller. Cases are stored as given (JSON objects of the case format: ``id``,
``conversation``, and whatever else they carry); their labels replace ``expected`` on export. A case's final label is
the labellers' when they agree, the adjudicator's when they did not.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..handoff import PRIORITIES, Priority
from ..storage import Component, Connection, Migration, migrate, open_database
from ._auth import current_session, desk_session
from ._state import desk_state
from ._web import ApiError, read_json

__all__ = ["LABELLING_MIGRATIONS", "LabelIn", "LabellingQueue", "labelling_routes"]

LABELLING_MIGRATIONS = Component(
    "labelling",
    (
        Migration(1, "labelling queue: cases, labels, adjudications", """
CREATE TABLE IF NOT EXISTS labelling_cases (
    id TEXT PRIMARY KEY, position INTEGER NOT NULL, case_json TEXT NOT NULL, labellers_needed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS labelling_labels (
    case_id TEXT NOT NULL, labeller TEXT NOT NULL, escalate INTEGER NOT NULL, priority TEXT, note TEXT NOT NULL,
    at REAL NOT NULL, PRIMARY KEY (case_id, labeller)
);
CREATE TABLE IF NOT EXISTS labelling_adjudications (
    case_id TEXT PRIMARY KEY, adjudicator TEXT NOT NULL, escalate INTEGER NOT NULL, priority TEXT,
    note TEXT NOT NULL, at REAL NOT NULL
)"""),
    ),
)


class LabelIn(BaseModel):
    case_id: str
    escalate: bool
    priority: Priority | None = None
    note: str = ""


def _label_dict(row: Any) -> dict[str, Any]:
    return {"escalate": bool(row["escalate"]), "priority": row["priority"], "note": row["note"]}


def _agree(labels: list[dict[str, Any]]) -> bool:
    first = labels[0]
    return all(x["escalate"] == first["escalate"] and x["priority"] == first["priority"] for x in labels[1:])


class LabellingQueue:
    """Cases to label at ``url_or_path`` (a SQLite file, ``":memory:"`` or a PostgreSQL URL). Not async."""

    def __init__(self, url_or_path: str | os.PathLike[str]) -> None:
        self._db = open_database(url_or_path)
        self._db.open()
        migrate(self._db, [LABELLING_MIGRATIONS])

    def close(self) -> None:
        self._db.close()

    def add(self, cases: Iterable[Mapping[str, Any]], *, labellers: int = 1) -> int:
        """Queue cases (case-format objects); ``labellers``: how many must label each (2 brings adjudication)."""
        if labellers not in (1, 2):
            raise ValueError(f"labellers must be 1 or 2, not {labellers}")
        added = 0
        with self._db.transaction() as db:
            position = db.execute("SELECT COUNT(*) AS n FROM labelling_cases").fetchone()["n"]
            for case in cases:
                if not isinstance(case.get("id"), str) or not isinstance(case.get("conversation"), list):
                    raise ValueError("each case needs an 'id' and a 'conversation' (the eval case format)")
                exists = db.execute("SELECT 1 FROM labelling_cases WHERE id = ?", (case["id"],)).fetchone()
                if exists is None:
                    values = (case["id"], position + added, json.dumps(case), labellers)
                    db.execute("INSERT INTO labelling_cases (id, position, case_json, labellers_needed) "
                               "VALUES (?, ?, ?, ?)", values)  # fmt: skip
                    added += 1
        return added

    def loaded(self, case_ids: Iterable[str]) -> list[str]:
        """Which of ``case_ids`` are in the queue already (in the order given)."""
        with self._db.transaction(write=False) as db:
            rows = db.execute("SELECT id FROM labelling_cases").fetchall()
        known = {row["id"] for row in rows}
        return [case_id for case_id in case_ids if case_id in known]

    def progress(self) -> dict[str, int]:
        """How far the labelling is: ``cases``; ``finished`` (``agreed`` + ``adjudicated``, what ``export`` writes);
        ``to_adjudicate`` (labellers disagree, no ruling yet); ``in_progress`` (some labels, more needed);
        ``unlabelled``."""
        counts = dict.fromkeys(("cases", "agreed", "adjudicated", "to_adjudicate", "in_progress", "unlabelled"), 0)
        with self._db.transaction(write=False) as db:
            ruled = {row["case_id"] for row in db.execute("SELECT case_id FROM labelling_adjudications").fetchall()}
            for row in db.execute("SELECT * FROM labelling_cases ORDER BY position").fetchall():
                counts["cases"] += 1
                labels = list(self._labels(db, row["id"]).values())
                counts[_stage(row["id"] in ruled, labels, row["labellers_needed"])] += 1
        return {**counts, "finished": counts["agreed"] + counts["adjudicated"]}

    def _labels(self, db: Connection, case_id: str) -> dict[str, dict[str, Any]]:
        rows = db.execute("SELECT * FROM labelling_labels WHERE case_id = ? ORDER BY at", (case_id,)).fetchall()
        return {row["labeller"]: _label_dict(row) for row in rows}

    def next_case(self, labeller: str) -> dict[str, Any] | None:
        """The first case this labeller has not labelled that still needs a label, with counts of what is left."""
        with self._db.transaction(write=False) as db:
            rows = db.execute("SELECT * FROM labelling_cases ORDER BY position").fetchall()
            left = 0
            first = None
            for row in rows:
                labels = self._labels(db, row["id"])
                if labeller not in labels and len(labels) < row["labellers_needed"]:
                    left += 1
                    first = first or json.loads(row["case_json"])
        return {"case": first, "left": left} if first else None

    def label(self, labeller: str, label: LabelIn) -> None:
        if label.escalate and label.priority is None:
            raise ApiError(422, "an escalation needs a priority: low, medium, high or urgent")
        with self._db.transaction() as db:
            if db.execute("SELECT 1 FROM labelling_cases WHERE id = ?", (label.case_id,)).fetchone() is None:
                raise ApiError(404, f"no case {label.case_id!r} in the labelling queue")
            db.execute("DELETE FROM labelling_labels WHERE case_id = ? AND labeller = ?", (label.case_id, labeller))
            db.execute("INSERT INTO labelling_labels VALUES (?, ?, ?, ?, ?, ?)",
                       (label.case_id, labeller, int(label.escalate), label.priority if label.escalate else None,
                        label.note, time.time()))  # fmt: skip

    def disagreements(self) -> list[dict[str, Any]]:
        """Cases whose labellers disagree (decision or priority) and that nobody has adjudicated yet."""
        out = []
        with self._db.transaction(write=False) as db:
            for row in db.execute("SELECT * FROM labelling_cases ORDER BY position").fetchall():
                labels = self._labels(db, row["id"])
                done = db.execute("SELECT 1 FROM labelling_adjudications WHERE case_id = ?", (row["id"],)).fetchone()
                if len(labels) >= 2 and not _agree(list(labels.values())) and done is None:
                    out.append({"case": json.loads(row["case_json"]), "labels": labels})
        return out

    def adjudicate(self, adjudicator: str, label: LabelIn) -> None:
        if label.escalate and label.priority is None:
            raise ApiError(422, "an escalation needs a priority: low, medium, high or urgent")
        with self._db.transaction() as db:
            if db.execute("SELECT 1 FROM labelling_cases WHERE id = ?", (label.case_id,)).fetchone() is None:
                raise ApiError(404, f"no case {label.case_id!r} in the labelling queue")
            db.execute("DELETE FROM labelling_adjudications WHERE case_id = ?", (label.case_id,))
            db.execute("INSERT INTO labelling_adjudications VALUES (?, ?, ?, ?, ?, ?)",
                       (label.case_id, adjudicator, int(label.escalate), label.priority if label.escalate else None,
                        label.note, time.time()))  # fmt: skip

    def export(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(cases with their final label in ``expected``, every label for agreement): finished cases only."""
        cases, labels_out = [], []
        with self._db.transaction(write=False) as db:
            for row in db.execute("SELECT * FROM labelling_cases ORDER BY position").fetchall():
                labels = self._labels(db, row["id"])
                labels_out += [{"case_id": row["id"], "labeller": who, **x} for who, x in labels.items()]
                ruling = db.execute("SELECT * FROM labelling_adjudications WHERE case_id = ?", (row["id"],)).fetchone()
                final = _label_dict(ruling) if ruling is not None else None
                if final is None and len(labels) >= row["labellers_needed"] and _agree(list(labels.values())):
                    final = next(iter(labels.values()))
                if final is not None:
                    cases.append(_with_label(json.loads(row["case_json"]), final))
        return cases, labels_out


def _stage(ruled: bool, labels: list[dict[str, Any]], needed: int) -> str:
    if ruled:
        return "adjudicated"
    if not labels:
        return "unlabelled"
    if len(labels) >= 2 and not _agree(labels):
        return "to_adjudicate"
    return "agreed" if len(labels) >= needed else "in_progress"


def _with_label(case: dict[str, Any], label: dict[str, Any]) -> dict[str, Any]:
    expected: dict[str, Any] = {"escalate": label["escalate"]}
    if label["escalate"]:
        expected["priority"] = label["priority"]
    notes = " ".join(part for part in (case.get("notes", ""), label["note"]) if part).strip()
    return {**case, "expected": expected, "notes": notes}


# --- the routes --------------------------------------------------------------------------------------------------


def _queue(request: Request) -> LabellingQueue:
    queue: LabellingQueue | None = getattr(desk_state(request), "labelling", None)
    if queue is None:
        raise ApiError(404, "this desk has no labelling queue")
    return queue


async def labelling_page(request: Request) -> Response:
    from ._pages import render_page  # the pages module imports the app's templates; load it with the page

    state = desk_state(request)
    session = await current_session(request, state)
    if session is None:
        return render_page("desk_login.html", title="Desk · sign in")
    return render_page(
        "labelling.html", title="Desk · labelling", agent=session.agent, csrf=session.csrf, priorities=PRIORITIES
    )


async def next_case(request: Request) -> Response:
    session = await desk_session(request, desk_state(request), write=False)
    found = await asyncio.to_thread(_queue(request).next_case, session.agent)
    disagreements = await asyncio.to_thread(_queue(request).disagreements)
    return JSONResponse({"next": found, "disagreements": disagreements})


async def post_label(request: Request) -> Response:
    session = await desk_session(request, desk_state(request), write=True)
    label = await read_json(request, LabelIn)
    await asyncio.to_thread(_queue(request).label, session.agent, label)
    return JSONResponse({"ok": True})


async def post_adjudication(request: Request) -> Response:
    session = await desk_session(request, desk_state(request), write=True)
    label = await read_json(request, LabelIn)
    await asyncio.to_thread(_queue(request).adjudicate, session.agent, label)
    return JSONResponse({"ok": True})


async def export(request: Request) -> Response:
    await desk_session(request, desk_state(request), write=False)
    cases, labels = await asyncio.to_thread(_queue(request).export)
    if request.query_params.get("what") == "labels":
        body = "".join(json.dumps(label) + "\n" for label in labels)
        return Response(body, media_type="application/x-ndjson")
    body = "".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases)
    headers = {"Content-Disposition": 'attachment; filename="labelled_cases.jsonl"'}
    return Response(body, media_type="application/x-ndjson", headers=headers)


def labelling_routes() -> list[Route]:
    return [
        Route("/desk/labelling", labelling_page, methods=["GET"]),
        Route("/api/desk/labelling/next", next_case, methods=["GET"]),
        Route("/api/desk/labelling/labels", post_label, methods=["POST"]),
        Route("/api/desk/labelling/adjudications", post_adjudication, methods=["POST"]),
        Route("/api/desk/labelling/export", export, methods=["GET"]),
    ]
