"""The failing cases of report.html filter by search words, tag and expected decision, in a real browser."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agentkit.evals import EscalationCase
from agentkit.evals._runner import EvalBot, run_eval

CHROMIUM = Path("/usr/bin/chromium")


def test_search_tag_and_expected_filter_the_failing_cases(tmp_path: Path, shipped_cases: list[EscalationCase]) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure_chromium.sh (as root) to install Debian's chromium")
    from playwright.sync_api import expect, sync_playwright

    run = asyncio.run(run_eval(shipped_cases, EvalBot("offline"), out_dir=tmp_path / "run", progress=False))
    page_path = run.write_reports()["report.html"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        try:
            page = browser.new_page()
            page.goto(page_path.resolve().as_uri())
            cases = page.locator("details.case")
            total = cases.count()
            assert total > 3
            expect(page.locator("#case-count")).to_have_text(f"{total} of {total} shown")
            page.select_option("#case-expected", "stay")
            stay = page.locator("details.case:visible").count()
            assert 0 < stay < total and stay == page.locator('details.case[data-expected="stay"]').count()
            page.select_option("#case-expected", "")
            tag = (cases.first.get_attribute("data-tags") or "").split()[0]
            page.select_option("#case-tag", tag)
            tagged = [t.split() for t in cases.evaluate_all("(items) => items.map((i) => i.dataset.tags)")]
            expect(page.locator("details.case:visible")).to_have_count(sum(tag in tags for tags in tagged))
            page.select_option("#case-tag", "")
            first_id = cases.first.get_attribute("id") or ""
            page.fill("#case-search", first_id.removeprefix("case-"))
            expect(page.locator("details.case:visible")).to_have_count(1)
            page.fill("#case-search", "no such words in any case xyzzy")
            expect(page.locator("#case-count")).to_have_text(f"0 of {total} shown")
        finally:
            browser.close()
