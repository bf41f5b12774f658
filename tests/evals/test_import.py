"""``agentkit eval import``: case candidates from a store + desk made by a scripted Agent run, a Zendesk export and
CSV/JSONL, with PII scrubbed before anything is written (planted emails, phones, card and account numbers and names
are nowhere in the output), suggested labels from outcomes, deduplication, sampling and stratification."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from agentkit import Agent, Conversation
from agentkit.cli import main
from agentkit.evals import load_cases
from agentkit.evals._import import CaseCandidate, import_rows, import_zendesk, select, write_candidates
from agentkit.evals._import_store import import_store
from agentkit.evals._scrub import Scrubber, luhn_valid
from agentkit.exceptions import UserError
from agentkit.hitl import DeskHitl, hand_to_support
from agentkit.models import ScriptedModel, call, reply

FIXTURE = Path(__file__).parent / "fixtures" / "zendesk_export.json"
PLANTED = ["4111 1111 1111 1111", "4111111111111111", "7700 900123", "010-2345", "maria.lopez@example.com",
           "jonas@example.org", "12345678", "Maria", "Lopez", "Jonas", "ana@example.com", "Ana Ruiz",
           "5500 0000 0000 0004", "+1 415 555 0134"]  # fmt: skip
ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def assert_clean(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for secret in PLANTED:
        assert secret not in text, secret
    assert not ANY_EMAIL.search(text)
    digits = [re.sub(r"\D", "", run) for run in re.findall(r"\d[\d -]{11,}\d", text)]
    assert not [d for d in digits if 13 <= len(d) <= 19 and luhn_valid(d)]  # no card number left


def test_the_scrubber_finds_each_kind_and_keeps_what_is_not_pii() -> None:
    scrubber = Scrubber()
    text = scrubber.scrub(
        "I'm Ana Ruiz (ana@example.com, +44 7700 900123). Card 5500 0000 0000 0004, IBAN GB29 NWBK 6016 1331 9268 19, "
        "account no. 87654321. Order NW-482913 from 2024-06-14, 1234 5678 9012 3456 is not a card.",
        names=["Ana Ruiz"],
    )
    assert text == (
        "I'm [name] ([email], [phone]). Card [card], IBAN [account], account no. [account]. Order NW-482913 from "
        "2024-06-14, [phone] is not a card."
    ) or "1234 5678 9012 3456" in text  # a 16-digit non-Luhn run may go as a phone: erring towards removal is fine
    assert scrubber.counts["email"] == 1 and scrubber.counts["card"] == 1 and scrubber.counts["account"] == 2
    assert scrubber.counts["name"] == 1 and "NW-482913" in text and "2024-06-14" in text


def test_a_zendesk_export_becomes_scrubbed_deduplicated_candidates(tmp_path: Path) -> None:
    out = tmp_path / "cases.jsonl"
    result = write_candidates(import_zendesk(FIXTURE), out, prefix="zd")
    assert_clean(out)
    cases = load_cases(out)
    assert result.read == 5 and result.duplicates == 1 and len(cases) == 4  # ticket 104 repeats 103's words
    stolen, invoice, refund, hours = cases
    assert (stolen.expected.escalate, stolen.expected.priority) == (True, "urgent")
    assert (refund.expected.escalate, refund.expected.priority) == (True, "medium")  # Zendesk "normal"
    assert not invoice.expected.escalate and not hours.expected.escalate  # solved without an agent
    assert "[card]" in stolen.conversation[0].content and "[name]" in stolen.conversation[0].content  # type: ignore[operator]
    assert "zendesk ticket 101: status solved, worked by an agent" in stolen.notes
    assert result.scrubbed["card"] == 1 and result.scrubbed["email"] >= 2 and result.scrubbed["phone"] >= 2
    assert "scrubbed:" in result.summary() and "1 duplicates dropped" in result.summary()


def test_csv_with_a_column_map_and_stratified_sampling(tmp_path: Path) -> None:
    source = tmp_path / "chats.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ticket", "message", "handed_over", "prio", "customer"])
        for n in range(40):
            escalate = n % 4 == 0
            writer.writerow([f"t{n}", f"Chat {n}: I'm Pat Quinn, card 4111-1111-1111-1111, phone +1 415 555 0134, "
                             f"mail pat{n}@example.com, question {n}", "yes" if escalate else "no",
                             "high" if escalate else "", "Pat Quinn"])  # fmt: skip
    column_map = {"id": "ticket", "text": "message", "escalate": "handed_over", "priority": "prio", "name": "customer"}
    candidates = import_rows(source, column_map)
    out = tmp_path / "cases.jsonl"
    result = write_candidates(candidates, out, sample=20, stratify=True, seed=3)
    assert_clean(out)
    text = out.read_text()
    assert "Pat" not in text and "Quinn" not in text and result.scrubbed["name"] == 40
    labels = Counter(c.expected.escalate for c in load_cases(out))
    assert labels == {True: 5, False: 15}  # a quarter escalate, as in the source
    assert all(c.expected.priority == "high" for c in load_cases(out) if c.expected.escalate)


def test_jsonl_conversations_and_bad_maps_say_what_to_fix(tmp_path: Path) -> None:
    source = tmp_path / "chats.jsonl"
    conversation = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"},
                    {"role": "user", "content": "my email is x@example.com, get me a person"}]  # fmt: skip
    source.write_text(json.dumps({"messages": conversation, "label": 1}) + "\n")
    [candidate] = import_rows(source, {"conversation": "messages", "escalate": "label"})
    assert candidate.escalate is True and len(candidate.messages) == 3
    with pytest.raises(UserError, match="map any of id, text, conversation"):
        import_rows(source, {"txt": "messages"})
    with pytest.raises(UserError, match="needs text=COLUMN"):
        import_rows(source, {"id": "label"})


def test_unstratified_sampling_is_seeded() -> None:
    candidates = [CaseCandidate(str(n), [{"role": "user", "content": str(n)}], n < 5, None, "") for n in range(50)]
    first = select(candidates, 10, False, seed=1)
    assert first == select(candidates, 10, False, seed=1) and len(first) == 10
    assert select(candidates, 100, True, seed=1) == candidates


async def scripted_store(folder: Path) -> None:
    """Two conversations through a real Agent with the desk plugin: one answered by the bot, one handed over."""
    model = ScriptedModel([
        reply("You can download it under Settings > Billing."),
        call("handToSupport", reason="Card used by someone else", priority="urgent"),
    ])  # fmt: skip
    desk_plugin = DeskHitl(folder / "desk.sqlite3")

    async def handler(ctx):  # type: ignore[no-untyped-def]
        await ctx.execute(instructions="You are a support assistant.", tools=[hand_to_support("desk-hitl")])

    async with Agent("support", model, plugins={"desk-hitl": desk_plugin}, conversation=Conversation(handler=handler),
                     store=f"sqlite:///{folder}/bot.sqlite3") as agent:  # fmt: skip
        user = {"id": "u1", "name": "Ana Ruiz", "email": "ana@example.com"}
        await agent.receive("conv-1", "Where is my May invoice? I'm Ana Ruiz, ana@example.com", user=user)
        await agent.receive("conv-2", "Someone is paying with my card 4111 1111 1111 1111 right now!", user=user)
        [ticket] = await desk_plugin.desk.tickets()
        await desk_plugin.desk.assign(ticket.id, "Sam")
        await desk_plugin.desk.reply(ticket.id, "Hi, I've blocked the card.")
        await agent.receive("conv-2", "thanks, my number is +44 7700 900123", user=user)  # to the human: no case


async def test_a_store_and_desk_from_a_scripted_run_become_labelled_candidates(tmp_path: Path) -> None:
    await scripted_store(tmp_path)
    candidates = await import_store(tmp_path / "bot.sqlite3", tmp_path / "desk.sqlite3")
    assert [(c.escalate, c.priority) for c in candidates] == [(False, None), (True, "urgent")]
    assert "desk ticket" in candidates[1].notes and "1 human replies by Sam" in candidates[1].notes
    out = tmp_path / "cases.jsonl"
    result = write_candidates(candidates, out)
    assert_clean(out)
    assert len(load_cases(out)) == 2 and result.scrubbed["name"] >= 1 and result.scrubbed["card"] == 1


def test_the_cli_imports_and_prints_what_it_scrubbed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cases.jsonl"
    assert main(["eval", "import", str(FIXTURE), "--out", str(out), "--sample", "3", "--stratify"]) == 0
    printed = capsys.readouterr().out
    assert "5 candidates read, 1 duplicates dropped, 0 rejected, 3 cases written; scrubbed:" in printed
    assert len(load_cases(out)) == 3
    assert_clean(out)
    assert main(["eval", "import", str(tmp_path / "missing.json"), "--out", str(out)]) == 2
