"""``agentkit desk labelling``: the labelling queue that ``agentkit serve`` shows desk agents at ``/desk/labelling``.

    agentkit desk labelling load cases.jsonl --labellers 2    queue cases (``agentkit eval import --out`` writes them)
    agentkit desk labelling status                            progress, and kappa per labeller pair
    agentkit desk labelling export labelled.jsonl             finished cases, in the case format ``agentkit eval`` reads

The queue lives where ``agentkit serve`` keeps its accounts: ``server.sqlite3`` under ``--data``, or the ``--db``
database, so the same flags reach the same queue.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigError
from ._errors import CommandFailed

if TYPE_CHECKING:
    from ..desk import LabellingQueue

__all__ = ["open_labelling_queue", "register"]


def open_labelling_queue(data: Path, db: str | None) -> LabellingQueue:
    """The queue of the server whose data folder is ``data`` (or whose database is ``db``)."""
    from ..desk import LabellingQueue
    from ._desk import server_store_url

    return LabellingQueue(server_store_url(data, db))


def register(actions: Any) -> list[argparse.ArgumentParser]:
    """Add ``labelling load|status|export`` under ``agentkit desk``; returns the parsers that take --data/--db."""
    parser = actions.add_parser("labelling", help="the labelling queue at /desk/labelling: load, status, export",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    steps = parser.add_subparsers(dest="labelling_command", required=True, metavar="STEP")
    load = steps.add_parser("load", help="queue cases for labelling", description="Queue eval cases (JSONL, the case "
                            "format) for desk agents to label at /desk/labelling.")  # fmt: skip
    load.add_argument("cases", metavar="CASES.jsonl", help="cases, e.g. from `agentkit eval import --out`")
    load.add_argument("--labellers", type=int, choices=(1, 2), default=1,
                      help="labels needed per case; with 2, disagreements go to adjudication (default 1)")  # fmt: skip
    load.add_argument("--skip-loaded", action="store_true", help="queue only the cases not in the queue yet")
    load.set_defaults(run=_load, command_label="desk labelling load")
    status = steps.add_parser("status", help="progress, and agreement (Cohen's kappa) per labeller pair",
                              description="How many cases are finished, and how well each pair of labellers agrees.")
    status.set_defaults(run=_status, command_label="desk labelling status")
    export = steps.add_parser("export", help="write the finished cases in the case format",
                              description="Write the finished cases (agreed or adjudicated) with their labels as "
                              "`expected`, for `agentkit eval` and load_cases.")  # fmt: skip
    export.add_argument("out", metavar="OUT.jsonl", help="where the labelled cases go")
    export.add_argument("--labels", metavar="LABELS.jsonl",
                        help="also write every label, for `agentkit eval --labels` (kappa in the report)")  # fmt: skip
    export.set_defaults(run=_export, command_label="desk labelling export")
    return [load, status, export]


def _queue(args: argparse.Namespace) -> LabellingQueue:
    from ._desk import data_dir

    data = data_dir(args.data)
    if not args.db:
        data.mkdir(parents=True, exist_ok=True, mode=0o700)
    return open_labelling_queue(data, args.db)


def _load(args: argparse.Namespace) -> int:
    cases = _read_cases(Path(args.cases))
    queue = _queue(args)
    try:
        loaded = queue.loaded(case["id"] for case in cases)
        if loaded and not args.skip_loaded:
            shown = ", ".join(loaded[:5]) + (f" and {len(loaded) - 5} more" if len(loaded) > 5 else "")
            raise ConfigError(f"{len(loaded)} of these cases are in the queue already ({shown}): remove them "
                              f"from {args.cases}, rename them, or pass --skip-loaded to queue the others")  # fmt: skip
        added = queue.add(cases, labellers=args.labellers)
        total = queue.progress()["cases"]
    finally:
        queue.close()
    skipped = f" ({len(loaded)} already queued, skipped)" if loaded else ""
    print(f"queued {added} cases for {args.labellers} labeller(s) each{skipped}; {total} in the queue")
    print("label them at /desk/labelling (agentkit serve); see progress with: agentkit desk labelling status")
    return 0


def _read_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of a JSONL file, checked as ``agentkit eval`` checks them, as JSON objects."""
    from ..evals import load_cases

    if not path.is_file():
        raise ConfigError(f"{path}: no such file; give the JSONL file of cases (`agentkit eval import ... --out`)")
    first = next((line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()),
                 None)  # fmt: skip
    if first is None:
        raise ConfigError(f"{path} is empty: no cases to queue")
    try:
        json.loads(first)
    except ValueError:
        raise ConfigError(f"{path} is not JSONL (one JSON case per line); turn a CSV or a helpdesk export into cases "
                          f"first: agentkit eval import {path} --out cases.jsonl") from None  # fmt: skip
    return [json.loads(case.to_json_line()) for case in load_cases(path)]


def _status(args: argparse.Namespace) -> int:
    from ..evals import Label, agreement

    queue = _queue(args)
    try:
        done = queue.progress()
        _, labels = queue.export()
    finally:
        queue.close()
    if not done["cases"]:
        print("the labelling queue is empty; queue cases with: agentkit desk labelling load CASES.jsonl")
        return 0
    print(f"{done['cases']} cases: {done['finished']} finished ({done['agreed']} agreed, {done['adjudicated']} "
          f"adjudicated), {done['to_adjudicate']} to adjudicate, {done['in_progress']} waiting for a second label, "
          f"{done['unlabelled']} not labelled yet")  # fmt: skip
    pairs = agreement(Label(x["case_id"], x["labeller"], x["escalate"], x["priority"]) for x in labels)
    for pair in pairs:
        print(_pair_line(pair))
    if not pairs:
        print("agreement: needs two labellers on the same cases (load with --labellers 2)")
    return 0


def _pair_line(pair: dict[str, Any]) -> str:
    def shown(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    a, b = pair["labellers"]
    if not pair["n_cases"]:
        return f"{a} ~ {b}: no case labelled by both"
    return (f"{a} ~ {b}: {pair['n_cases']} shared cases, decision agreement {shown(pair['decision_agreement'])}, "
            f"Cohen's kappa {shown(pair['decision_kappa'])}; priority kappa ({pair['priority_weights']}) "
            f"{shown(pair['priority_kappa'])} over {pair['n_priority']} both escalated")  # fmt: skip


def _export(args: argparse.Namespace) -> int:
    queue = _queue(args)
    try:
        done = queue.progress()
        cases, labels = queue.export()
    finally:
        queue.close()
    left = done["cases"] - done["finished"]
    waiting = (f"{done['to_adjudicate']} wait for adjudication, {done['in_progress'] + done['unlabelled']} for "
               "labels")  # fmt: skip
    if not cases:
        if not done["cases"]:
            raise CommandFailed("the labelling queue is empty: queue cases with: agentkit desk labelling load FILE")
        raise CommandFailed(f"nothing to export yet: no case is finished ({waiting}); label and adjudicate them at "
                            "/desk/labelling")  # fmt: skip
    Path(args.out).write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    if args.labels:
        Path(args.labels).write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in labels), "utf-8")
    print(f"wrote {len(cases)} labelled cases to {args.out}" + (f" and {len(labels)} labels to {args.labels}"
                                                                   if args.labels else ""))  # fmt: skip
    if left:
        print(f"not exported: {left} unfinished cases ({waiting}); see: agentkit desk labelling status")
    return 0
