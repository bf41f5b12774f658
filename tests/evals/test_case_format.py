"""The case format's open parts: `split` and `domain` may be left out, and a dataset may declare its own tags in
its CARD.md (tags that can also fix the label)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentkit.evals import DatasetError, TagInfo, dump_cases, filter_cases, load_cases
from agentkit.evals._cases import card_tags
from agentkit.exceptions import UserError

CARD = """# Our support cases

## Custom tags

- `billing_dispute`: the user contests a charge
- `vip` (escalate): an account manager handles this customer
- `faq` (do not escalate): answered by the help centre

## Something else

- `not_a_tag`: lines outside the section are ignored
"""


def line(case_id: str, escalate: bool, tags: list[str], **extra: object) -> str:
    expected = {"escalate": escalate} | ({"priority": "medium"} if escalate else {})
    record = {"id": case_id, "conversation": [{"role": "user", "content": f"hello {case_id}"}],
              "expected": expected, "tags": tags} | extra  # fmt: skip
    return json.dumps(record)


def dataset(folder: Path, *lines: str, card: str | None = CARD) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cases.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if card is not None:
        (folder / "CARD.md").write_text(card, encoding="utf-8")
    return folder


def test_split_and_domain_are_optional_and_stay_absent_on_the_way_back(tmp_path: Path) -> None:
    folder = dataset(tmp_path / "d", line("a", True, []), line("b", False, [], split="test", domain="shop"))
    first, second = load_cases(folder)
    assert first.split is None and first.domain is None and second.split == "test"
    dump_cases([first, second], tmp_path / "out.jsonl")
    written = [json.loads(text) for text in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert "split" not in written[0] and "domain" not in written[0] and written[1]["domain"] == "shop"
    assert [c.id for c in filter_cases([first, second], split="test")] == ["b"]


def test_the_card_declares_custom_tags_and_which_fix_the_label(tmp_path: Path) -> None:
    assert card_tags(tmp_path / "missing.md") == {}
    (tmp_path / "CARD.md").write_text(CARD)
    tags = card_tags(tmp_path / "CARD.md")
    assert tags == {
        "billing_dispute": TagInfo("the user contests a charge", None),
        "vip": TagInfo("an account manager handles this customer", True),
        "faq": TagInfo("answered by the help centre", False),
    }


def test_declared_tags_load_from_a_folder_or_a_file_beside_the_card(tmp_path: Path) -> None:
    folder = dataset(tmp_path / "d", line("a", True, ["vip", "explicit_request"]), line("b", False, ["faq"]),
                     line("c", True, ["billing_dispute"]))  # fmt: skip
    assert [c.tags for c in load_cases(folder)] == [["vip", "explicit_request"], ["faq"], ["billing_dispute"]]
    assert len(load_cases(folder / "cases.jsonl")) == 3
    assert [c.id for c in filter_cases(load_cases(folder), tags=["billing_dispute"])] == ["c"]


def test_an_undeclared_tag_or_one_against_its_label_says_how_to_fix_it(tmp_path: Path) -> None:
    folder = dataset(tmp_path / "d", line("a", True, ["refund_fight"]), line("b", True, ["faq"]))
    with pytest.raises(DatasetError) as caught:
        load_cases(folder)
    problems = [str(p) for p in caught.value.problems]
    assert "unknown tag 'refund_fight'; see agentkit.evals.TAGS, or declare it under '## Custom tags'" in problems[0]
    assert "'faq' marks a case that must not escalate; check expected.escalate" in problems[1]


def test_tags_passed_in_code_count_too_and_built_in_names_cannot_be_redeclared(tmp_path: Path) -> None:
    folder = dataset(tmp_path / "d", line("a", True, ["refund_fight"]), card=None)
    assert load_cases(folder, tags={"refund_fight": TagInfo("a refund fight", None)})[0].tags == ["refund_fight"]
    (folder / "CARD.md").write_text("## Custom tags\n\n- `fraud`: our own meaning\n")
    with pytest.raises(UserError, match=r"custom tags \['fraud'\] are built-in tags"):
        load_cases(folder)
