"""The labelling queue in the desk: two labellers in a real browser (Debian's chromium, Playwright) label cases one
at a time with the keyboard, disagree on one, a third person adjudicates it, and the export is in the case format
(``load_cases`` reads it) with the agreed and adjudicated labels; the labels give per-pair kappa."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentkit.desk import DeskAccounts, DeskApp, LabelIn, LabellingQueue, LocalDesk
from agentkit.evals import load_cases
from agentkit.evals._agreement import Label, agreement
from agentkit.server import ServerThread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
PASSWORD = "correct horse battery"
SECRET = "labelling-test-secret-key-0123456789"
WAIT = 10_000
CASES = [
    {"id": "q-1", "conversation": [{"role": "user", "content": "I want to talk to a person about my refund"}],
     "expected": {"escalate": False}, "notes": "imported"},
    {"id": "q-2", "conversation": [{"role": "user", "content": "What are your opening hours?"}],
     "expected": {"escalate": False}},
    {"id": "q-3", "conversation": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"},
                                   {"role": "user", "content": "Someone is using my card right now"}],
     "expected": {"escalate": False}},
]  # fmt: skip


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, LabellingQueue]]:
    accounts = DeskAccounts(tmp_path / "accounts.sqlite3")
    for name in ("Ana", "Ben", "Cy"):
        asyncio.run(accounts.add_agent(name, PASSWORD))
    queue = LabellingQueue(tmp_path / "labels.sqlite3")
    queue.add(CASES, labellers=2)
    app = DeskApp(LocalDesk(tmp_path / "desk.sqlite3"), accounts, secret_key=SECRET, labelling=queue).standalone()
    try:
        with ServerThread(app) as running:
            yield running.base_url, queue
    finally:
        queue.close()


def sign_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/desk/labelling")
    page.fill("#login-name", name)
    page.fill("#login-password", PASSWORD)
    page.click("#login button[type=submit]")


def label(page: Any, expect: Any, case_id: str, keys: str, note: str = "") -> None:
    expect(page.locator("#case-id")).to_have_text(case_id, timeout=WAIT)
    for key in keys:
        page.keyboard.press(key)
    if note:
        page.fill("#note", note)
        page.locator("#note").press("Enter")
    else:
        page.keyboard.press("Enter")


@pytest.mark.slow
def test_two_labellers_one_disagreement_adjudication_and_export(server: tuple[str, LabellingQueue]) -> None:
    base, queue = server
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure_chromium.sh (as root) to install Debian's chromium")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            ana, ben, cy = (browser.new_context().new_page() for _ in range(3))
            sign_in(ana, base, "Ana")
            expect(ana.locator("#conversation")).to_contain_text("talk to a person about my refund", timeout=WAIT)
            expect(ana.locator("#left")).to_have_text("3 left to label")
            label(ana, expect, "q-1", "e2")
            label(ana, expect, "q-2", "n")
            expect(ana.locator("#conversation")).to_contain_text("assistant: Hello!", timeout=WAIT)
            label(ana, expect, "q-3", "e4", note="card in use now")
            expect(ana.locator("#mode")).to_have_text("Nothing left to label", timeout=WAIT)

            sign_in(ben, base, "Ben")
            label(ben, expect, "q-1", "e2")
            label(ben, expect, "q-2", "n")
            label(ben, expect, "q-3", "e3")  # high, where Ana said urgent: the one disagreement
            expect(ben.locator("#mode")).to_have_text("Adjudicate", timeout=WAIT)  # nothing left but q-3

            sign_in(cy, base, "Cy")
            expect(cy.locator("#mode")).to_have_text("Adjudicate", timeout=WAIT)
            expect(cy.locator("#others")).to_contain_text("Ana: escalate (urgent) — card in use now")
            expect(cy.locator("#others")).to_contain_text("Ben: escalate (high)")
            label(cy, expect, "q-3", "e4", note="fraud in progress: urgent")
            expect(cy.locator("#mode")).to_have_text("Nothing left to label", timeout=WAIT)
            exported = cy.request.get(f"{base}/api/desk/labelling/export")
            assert exported.ok
            body = exported.text()
            labels = cy.request.get(f"{base}/api/desk/labelling/export?what=labels").text()
        finally:
            browser.close()
    check_export(body, labels)


def check_export(body: str, labels_text: str) -> None:
    lines = [json.loads(line) for line in body.splitlines()]
    assert [case["expected"] for case in lines] == [
        {"escalate": True, "priority": "medium"}, {"escalate": False}, {"escalate": True, "priority": "urgent"},
    ]
    assert lines[2]["notes"] == "fraud in progress: urgent" and lines[0]["notes"] == "imported"
    labels = [json.loads(line) for line in labels_text.splitlines()]
    pairs = agreement(Label(x["case_id"], x["labeller"], x["escalate"], x["priority"]) for x in labels)
    assert pairs[0]["labellers"] == ["Ana", "Ben"] and pairs[0]["n_cases"] == 3 and pairs[0]["decision_kappa"] == 1.0


def test_the_export_loads_as_cases_and_bad_labels_are_refused(tmp_path: Path) -> None:
    queue = LabellingQueue(tmp_path / "labels.sqlite3")
    try:
        assert queue.add(CASES[:2]) == 2 and queue.add(CASES[:1]) == 0  # a case is queued once
        queue.label("Ana", LabelIn(case_id="q-1", escalate=True, priority="high"))
        cases, _ = queue.export()
        assert [c["id"] for c in cases] == ["q-1"]  # q-2 has no label yet
        (tmp_path / "cases.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases))
        [case] = load_cases(tmp_path / "cases.jsonl")
        assert case.expected.escalate and case.expected.priority == "high"
        with pytest.raises(Exception, match="needs a priority"):
            queue.label("Ana", LabelIn(case_id="q-2", escalate=True))
        with pytest.raises(ValueError, match="'id' and a 'conversation'"):
            queue.add([{"conversation": []}])
    finally:
        queue.close()


def test_the_api_needs_a_signed_in_agent(server: tuple[str, LabellingQueue]) -> None:
    base, _ = server
    body = json.dumps({"case_id": "q-1", "escalate": False}).encode()
    for request in (urllib.request.Request(f"{base}/api/desk/labelling/next"),
                    urllib.request.Request(f"{base}/api/desk/labelling/labels", data=body, method="POST",
                                           headers={"Content-Type": "application/json"})):  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401
        refused.value.close()
