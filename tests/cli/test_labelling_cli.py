"""The labelling queue as a team reaches it: ``agentkit eval import`` turns a CSV into cases, ``agentkit desk labelling
load`` queues them where ``agentkit serve`` keeps its data (a data folder, or a PostgreSQL database), two desk agents
label them through the served HTTP API and disagree once, a third adjudicates, ``status`` shows the progress and the
pair's kappa, and ``export`` writes cases that ``load_cases`` reads. Anonymous users get neither page nor API."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from agentkit.cli import main
from agentkit.evals import load_cases
from agentkit.handoff import PRIORITIES
from agentkit.testing import TemporaryPostgres

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "support_bot.py"
AGENTKIT = [sys.executable, "-c", "from agentkit.cli import main; raise SystemExit(main())"]
PASSWORD = "labelling-cli-password"
CSV = """message,handed_over
"Someone is spending on my card right now, I did not do this",yes
What are your opening hours on Sunday?,no
"I was charged twice for one order and want it back",yes
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """The flags that name the server's data, as a user passes them to both `serve` and `desk labelling`."""
    data = ["--data", str(tmp_path / "data")]
    if request.param == "sqlite":
        yield data
        return
    server: TemporaryPostgres = request.getfixturevalue("postgres")
    with server.fresh_schema() as url:
        yield [*data, "--db", url]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTKIT_")}
    return {**env, "PYTHONUNBUFFERED": "1", "AGENTKIT_MODEL": "offline"}


@pytest.fixture
def serve(where: list[str], tmp_path: Path) -> Iterator[str]:
    """`agentkit serve` on a free port with the same flags; yields its base URL."""
    process = subprocess.Popen(
        [*AGENTKIT, "serve", str(EXAMPLE), *where, "--port", "0", "--log-level", "warning"],
        cwd=tmp_path, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        banner: list[str] = []
        while not (banner and banner[-1].startswith("Ctrl-C")):
            line = process.stdout.readline()
            if not line:
                raise AssertionError("agentkit serve did not start:\n" + "\n".join(banner))
            banner.append(line.rstrip("\n"))
        match = next(m for line in banner if (m := re.search(r"^\s+labelling\s+(http://\S+)/desk/labelling$", line)))
        yield match.group(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        print(process.stdout.read())  # the server's log, shown when the test fails
        process.stdout.close()


def _add_agents(where: list[str], monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:
        monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
        assert main(["desk", "add-agent", name, "--password-stdin", *where]) == 0


@contextmanager
def _signed_in(base: str, name: str) -> Iterator[tuple[httpx2.Client, dict[str, str]]]:
    with httpx2.Client(base_url=base, timeout=30) as client:
        signed = client.post("/api/desk/login", json={"name": name, "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        yield client, {"X-CSRF-Token": signed.json()["csrf_token"]}


def _label_everything(base: str, name: str, labels: dict[str, tuple[bool, str | None]]) -> list[str]:
    """Label each case the queue offers ``name``, by the first user message; returns the case ids in order."""
    seen = []
    with _signed_in(base, name) as (client, csrf):
        while (offered := _json(client.get("/api/desk/labelling/next"))["next"]) is not None:
            case = offered["case"]
            escalate, priority = labels[case["conversation"][0]["content"][:12]]
            body = {"case_id": case["id"], "escalate": escalate, "priority": priority, "note": f"by {name}"}
            assert client.post("/api/desk/labelling/labels", json=body, headers=csrf).status_code == 200
            seen.append(case["id"])
    return seen


def test_import_load_label_adjudicate_export(
    where: list[str], serve: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "chats.csv").write_text(CSV, encoding="utf-8")
    imported, labelled = tmp_path / "cases.jsonl", tmp_path / "labelled.jsonl"
    assert main(["eval", "import", str(tmp_path / "chats.csv"), "--format", "csv", "--map", "text=message",
                 "--map", "escalate=handed_over", "--out", str(imported)]) == 0  # fmt: skip
    assert main(["desk", "labelling", "load", str(imported), "--labellers", "2", *where]) == 0
    assert "queued 3 cases for 2 labeller(s) each" in capsys.readouterr().out
    assert main(["desk", "labelling", "export", str(labelled), *where]) == 1  # nothing labelled yet
    assert "no case is finished (0 wait for adjudication, 3 for labels)" in capsys.readouterr().err
    _add_agents(where, monkeypatch, "ana", "ben", "cy")

    ana = {"Someone is s": (True, "urgent"), "What are you": (False, None), "I was charge": (True, "medium")}
    ben = {**ana, "I was charge": (True, "low")}  # the one disagreement: the priority of the double charge
    assert len(_label_everything(serve, "ana", ana)) == 3
    assert len(_label_everything(serve, "ben", ben)) == 3
    assert main(["desk", "labelling", "status", *where]) == 0
    status = capsys.readouterr().out
    assert "3 cases: 2 finished (2 agreed, 0 adjudicated), 1 to adjudicate" in status
    assert "ana ~ ben: 3 shared cases, decision agreement 1.000, Cohen's kappa 1.000" in status

    with _signed_in(serve, "cy") as (cy, csrf):
        [disagreement] = cy.get("/api/desk/labelling/next").json()["disagreements"]
        assert {who: x["priority"] for who, x in disagreement["labels"].items()} == {"ana": "medium", "ben": "low"}
        ruling = {"case_id": disagreement["case"]["id"], "escalate": True, "priority": "medium", "note": "billing"}
        assert cy.post("/api/desk/labelling/adjudications", json=ruling, headers=csrf).status_code == 200
        assert cy.get("/api/desk/labelling/next").json() == {"next": None, "disagreements": []}

    assert main(["desk", "labelling", "export", str(labelled), "--labels", str(tmp_path / "labels.jsonl"), *where]) == 0
    assert "wrote 3 labelled cases" in capsys.readouterr().out
    cases = {case.conversation[0].content[:12]: case.expected for case in load_cases(labelled)}
    assert {text: (e.escalate, e.priority) for text, e in cases.items()} == {
        "Someone is s": (True, "urgent"), "What are you": (False, None), "I was charge": (True, "medium"),
    }  # fmt: skip
    assert main(["eval", str(labelled), "--model", "offline", "--labels", str(tmp_path / "labels.jsonl"),
                 "--out", str(tmp_path / "run"), "--no-progress"]) == 0  # fmt: skip
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["agreement"][0]["labellers"] == ["ana", "ben"]


def test_serve_shows_the_queue_to_signed_in_agents_only(
    where: list[str], serve: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_agents(where, monkeypatch, "ana")
    with httpx2.Client(base_url=serve, timeout=30) as anonymous:
        page = anonymous.get("/desk/labelling")
        assert page.status_code == 200 and 'id="login"' in page.text and 'id="label-form"' not in page.text
        assert anonymous.get("/api/desk/labelling/next").status_code == 401
        assert anonymous.get("/api/desk/labelling/export").status_code == 401
        refused = anonymous.post("/api/desk/labelling/labels", json={"case_id": "x", "escalate": False})
        assert refused.status_code == 401
    with _signed_in(serve, "ana") as (client, _):
        page = client.get("/desk/labelling")
        assert page.status_code == 200 and 'id="label-form"' in page.text and "Labelling as <strong" in page.text
        for key, priority in enumerate(PRIORITIES, start=1):  # the radios, keyed 1..4 from the vocabulary's order
            assert f'id="priority-{priority}"> {priority.capitalize()} <kbd>{key}</kbd>' in page.text
        assert client.get("/static/labelling.js").status_code == 200
        assert client.get("/api/desk/labelling/next").json() == {"next": None, "disagreements": []}


def test_load_says_what_to_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data", str(tmp_path / "data")]
    load = ["desk", "labelling", "load"]
    assert main([*load, str(tmp_path / "missing.jsonl"), *data]) == 2
    assert "missing.jsonl: no such file" in capsys.readouterr().err
    (tmp_path / "chats.csv").write_text(CSV, encoding="utf-8")
    assert main([*load, str(tmp_path / "chats.csv"), *data]) == 2
    assert "is not JSONL" in (err := capsys.readouterr().err) and "agentkit eval import" in err
    (tmp_path / "bad.jsonl").write_text('{"id": "a", "conversation": []}\n', encoding="utf-8")
    assert main([*load, str(tmp_path / "bad.jsonl"), *data]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err  # the case format's own check, with the line
    case = {"id": "a-1", "conversation": [{"role": "user", "content": "hi"}], "expected": {"escalate": False}}
    (tmp_path / "one.jsonl").write_text(json.dumps(case) + "\n", encoding="utf-8")
    assert main([*load, str(tmp_path / "one.jsonl"), *data]) == 0
    assert main([*load, str(tmp_path / "one.jsonl"), *data]) == 2
    assert "in the queue already (a-1)" in (err := capsys.readouterr().err) and "--skip-loaded" in err
    assert main([*load, str(tmp_path / "one.jsonl"), "--skip-loaded", *data]) == 0
    assert "queued 0 cases" in capsys.readouterr().out
    assert main(["desk", "labelling", "export", str(tmp_path / "out.jsonl"), "--data", str(tmp_path / "empty")]) == 1
    assert "the labelling queue is empty" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


def _json(response: httpx2.Response) -> Any:
    assert response.status_code == 200, f"{response.status_code} {response.text}"
    return response.json()
