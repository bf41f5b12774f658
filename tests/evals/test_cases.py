"""The case format and its loader: valid files load, and every mistake is reported as file:line: field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest

import agentkit.evals
from agentkit.evals import (
    TAGS,
    DatasetError,
    EscalationCase,
    Tag,
    dump_cases,
    filter_cases,
    load_cases,
)
from agentkit.exceptions import UserError


def make_case(**overrides: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "id": "shop-refund-001",
        "conversation": [{"role": "user", "content": "I want to talk to a person"}],
        "expected": {"escalate": True, "priority": "medium"},
        "tags": ["explicit_request"],
        "split": "train",
        "domain": "shop",
    }
    case.update(overrides)
    return case


def write_lines(path: Path, *records: dict[str, Any] | str) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(DatasetError) as caught:
        load_cases(path)
    return [str(p) for p in caught.value.problems]


TOOL_TURNS: list[dict[str, Any]] = [
    {"role": "user", "content": "where is my order A123?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "lookupOrder", "arguments": '{"order_id": "A123"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'},
    {"role": "assistant", "content": "It shipped yesterday."},
    {"role": "user", "content": "thanks, and when will it arrive?"},
]


def test_a_valid_multi_turn_file_loads_and_round_trips(tmp_path: Path) -> None:
    record = make_case(
        conversation=TOOL_TURNS, expected={"escalate": False}, tags=["answerable"], notes="FAQ"
    )
    path = write_lines(tmp_path / "shop.jsonl", record)

    [case] = load_cases(path)

    assert case.messages() == TOOL_TURNS
    assert case.has_bot_turn and case.language == "en"
    dump_cases([case], tmp_path / "copy.jsonl")
    assert load_cases(tmp_path / "copy.jsonl") == [case]
    assert json.loads(case.to_json_line())["expected"] == {"escalate": False}


def test_missing_priority_names_file_line_and_field(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "shop.jsonl", make_case(id="a"), make_case(id="b", expected={"escalate": True})
    )

    assert problems_of(path) == [f"{path}:2: expected.priority: required when escalate is true"]


def test_priority_on_a_non_escalating_case_is_rejected(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "x.jsonl", make_case(tags=[], expected={"escalate": False, "priority": "low"})
    )

    assert problems_of(path) == [f"{path}:1: expected.priority: must be absent when escalate is false"]


def test_acceptable_priorities_must_contain_the_priority(tmp_path: Path) -> None:
    expected = {"escalate": True, "priority": "high", "acceptable_priorities": ["urgent"]}
    path = write_lines(tmp_path / "x.jsonl", make_case(expected=expected))

    assert problems_of(path) == [
        f"{path}:1: expected.acceptable_priorities: must contain the priority 'high'"
    ]


def test_a_bad_split_says_what_is_allowed_and_what_was_given(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "x.jsonl", make_case(split="validation"))

    assert problems_of(path) == [
        f"{path}:1: split: Input should be 'train', 'dev' or 'test' (got 'validation')"
    ]


def test_bad_json_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "x.jsonl", make_case(id="a"), '{"id": "b", oops}', "[1, 2]")

    problems = problems_of(path)

    assert problems[0].startswith(f"{path}:2: invalid JSON: ")
    assert problems[1] == f"{path}:3: expected a JSON object, got array"


def test_duplicate_ids_name_both_places(tmp_path: Path) -> None:
    write_lines(tmp_path / "a.jsonl", make_case())
    (tmp_path / "more").mkdir()
    second = write_lines(tmp_path / "more" / "b.jsonl", make_case(id="other"), make_case())

    assert problems_of(tmp_path) == [
        f"{second}:2: id: duplicate id 'shop-refund-001' (first at {tmp_path / 'a.jsonl'}:1)"
    ]


def test_the_last_message_must_be_from_the_user(tmp_path: Path) -> None:
    turns = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"}]
    path = write_lines(tmp_path / "x.jsonl", make_case(conversation=turns))

    assert problems_of(path) == [f"{path}:1: conversation[1].role: the last message must be from the user"]


def test_a_system_message_is_rejected(tmp_path: Path) -> None:
    turns = [{"role": "system", "content": "You are a bot"}, {"role": "user", "content": "hi"}]
    path = write_lines(tmp_path / "x.jsonl", make_case(conversation=turns))

    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:1: conversation[0].role: system messages are not allowed")


def test_tool_calls_must_be_answered_before_the_conversation_goes_on(tmp_path: Path) -> None:
    unanswered = [TOOL_TURNS[0], TOOL_TURNS[1], TOOL_TURNS[4]]
    orphan = [TOOL_TURNS[0], TOOL_TURNS[2], TOOL_TURNS[4]]
    path = write_lines(
        tmp_path / "x.jsonl",
        make_case(id="a", conversation=unanswered),
        make_case(id="b", conversation=orphan),
    )

    assert problems_of(path) == [
        f"{path}:1: conversation[2].role: tool call call_1 has no tool message; one must follow the call",
        f"{path}:2: conversation[1].tool_call_id: "
        "answers no pending tool call of the assistant message before it",
    ]


def test_tool_call_arguments_must_be_a_json_object(tmp_path: Path) -> None:
    turns = json.loads(json.dumps(TOOL_TURNS))
    turns[1]["tool_calls"][0]["function"]["arguments"] = "order A123"
    path = write_lines(tmp_path / "x.jsonl", make_case(conversation=turns))

    [problem] = problems_of(path)
    assert problem.startswith(
        f"{path}:1: conversation[1].tool_calls[0].function.arguments: must be a JSON object"
    )


def test_tags_must_be_known_and_agree_with_the_label(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "x.jsonl",
        make_case(id="a", tags=["explicit_request", "angry"]),
        make_case(id="b", tags=["prompt_injection"]),
        make_case(id="c", tags=["ambiguous_priority"]),
    )

    assert problems_of(path) == [
        f"{path}:1: tags[1]: unknown tag 'angry'; see agentkit.evals.TAGS, or declare it under '## Custom tags' in "
        "the dataset's CARD.md",
        f"{path}:2: tags[0]: 'prompt_injection' marks a case that must not escalate; check expected.escalate",
        f"{path}:3: expected.acceptable_priorities: "
        "'ambiguous_priority' needs two or more acceptable_priorities",
    ]


def test_json_types_are_strict_and_unknown_fields_are_named(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "x.jsonl",
        make_case(id="a", expected={"escalate": "yes", "priority": "medium"}),
        make_case(id="b", notse="typo"),
    )

    assert problems_of(path) == [
        f"{path}:1: expected.escalate: Input should be a valid boolean (got 'yes')",
        f"{path}:2: notse: unknown field; check its spelling",
    ]


def test_a_folder_loads_every_jsonl_file_and_skips_blank_lines(tmp_path: Path) -> None:
    write_lines(tmp_path / "b.jsonl", make_case(id="b1"), "", make_case(id="b2"))
    (tmp_path / "sub").mkdir()
    write_lines(tmp_path / "sub" / "a.jsonl", make_case(id="a1"))
    (tmp_path / "README.md").write_text("not a dataset", encoding="utf-8")
    write_lines(tmp_path / "c.jsonl", make_case(id="c1", split="nope"), "", make_case(id="c2", expected={}))

    problems = problems_of(tmp_path)

    assert [p.split(": ")[0] for p in problems] == [f"{tmp_path / 'c.jsonl'}:1", f"{tmp_path / 'c.jsonl'}:3"]
    (tmp_path / "c.jsonl").unlink()
    assert [c.id for c in load_cases(tmp_path)] == ["b1", "b2", "a1"]


def test_missing_paths_and_empty_folders_are_errors(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == [f"{tmp_path}: no .jsonl files in this folder"]
    assert problems_of(tmp_path / "nope") == [f"{tmp_path / 'nope'}: no such file or folder"]


def test_dataset_error_is_a_user_error_listing_every_problem(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "x.jsonl", *[make_case(id=f"c{i}", split="bad") for i in range(25)])

    with pytest.raises(UserError) as caught:
        load_cases(path)

    assert isinstance(caught.value, DatasetError) and len(caught.value.problems) == 25
    assert str(caught.value).splitlines()[-1] == "... and 5 more problems"


def cases_for_filtering() -> list[EscalationCase]:
    records = [
        make_case(id="a", split="train", tags=["explicit_request", "anger"]),
        make_case(
            id="b",
            split="test",
            tags=["fraud"],
            domain="bank",
            expected={"escalate": True, "priority": "high"},
        ),
        make_case(
            id="c", split="test", tags=["prompt_injection"], expected={"escalate": False}, language="es"
        ),
    ]
    return [EscalationCase.model_validate(r) for r in records]


def test_filter_cases_combines_criteria_and_matches_any_tag() -> None:
    cases = cases_for_filtering()

    assert [c.id for c in filter_cases(cases, split="test")] == ["b", "c"]
    assert [c.id for c in filter_cases(cases, tags=["anger", "fraud"])] == ["a", "b"]
    assert [c.id for c in filter_cases(cases, split="test", escalate=True)] == ["b"]
    assert [c.id for c in filter_cases(cases, domain="shop", language="es")] == ["c"]


def test_filter_cases_rejects_unknown_splits_and_tags() -> None:
    with pytest.raises(UserError, match="unknown split 'validation'"):
        filter_cases(cases_for_filtering(), split="validation")  # type: ignore[arg-type]
    with pytest.raises(UserError, match=r"unknown tags \['angry'\]"):
        filter_cases(cases_for_filtering(), tags=["angry"])  # type: ignore[list-item]


def test_accepted_priorities() -> None:
    ambiguous = make_case(
        tags=["ambiguous_priority"],
        expected={"escalate": True, "priority": "high", "acceptable_priorities": ["high", "urgent"]},
    )

    assert EscalationCase.model_validate(ambiguous).expected.accepted == {"high", "urgent"}
    assert EscalationCase.model_validate(make_case()).expected.accepted == {"medium"}
    assert (
        EscalationCase.model_validate(make_case(tags=[], expected={"escalate": False})).expected.accepted
        == set()
    )


def test_every_tag_is_documented() -> None:
    assert sorted(TAGS) == sorted(get_args(Tag))
    assert all(info.description.strip() for info in TAGS.values())


def test_public_names_are_sorted_and_exported() -> None:
    names = agentkit.evals.__all__
    assert names == sorted(names)
    assert all(hasattr(agentkit.evals, name) for name in names)
