"""The search space: the shipped one starts from the shipped prompt; a space that does not fit its template fails
at load time with an error that says what to fix; candidates render as declared."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import pytest

from agentkit.evals import EscalationCase, filter_cases, load_cases
from agentkit.exceptions import ConfigError
from agentkit.prompts import render
from agentkit.tuning import load_space
from agentkit.tuning._candidate import ExamplePool, PromptBuilder
from agentkit.tuning._tuner import split_train

from .tuning_fakes import SPACE, TEMPLATE, write_space

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_SPACE = ROOT / "prompts" / "escalation_space.toml"


@pytest.fixture(scope="module")
def shipped_train() -> list[EscalationCase]:
    return filter_cases(load_cases(ROOT / "evals" / "escalation"), split="train")


def test_the_shipped_space_starts_from_the_shipped_prompt(shipped_train: list[EscalationCase]) -> None:
    space = load_space(SHIPPED_SPACE)
    assert [(d.name, len(d.choices)) for d in space.dimensions] == [
        ("block:escalation_policy", 3), ("block:priority_rubric", 2), ("tool_description", 2), ("few_shot", 2),
        ("var:topics", 2),
    ]  # fmt: skip
    assert space.size == 48
    pool, _ = split_train(shipped_train, 0.25, seed=0)
    builder = PromptBuilder(space, "handToSupport", ExamplePool(pool, 0, True))
    start = builder.start()
    assert start.name == "start" and builder.instructions(start) == render("support_assistant.j2")
    assert builder.tool(start).description == builder.default_tool.description
    everything = builder.candidate([2, 1, 1, 1, 1])
    text = builder.instructions(everything)
    assert "Before each reply, check these in order" in text and "When several apply, take the highest." in text
    assert "orders, bookings, billing, subscriptions" in text and text.count("Conversation:\n") == 4
    assert builder.tool(everything).description.startswith("Hand the conversation to a human support agent. Call")


def test_every_candidate_of_the_shipped_space_renders() -> None:
    space = load_space(SHIPPED_SPACE)
    builder = PromptBuilder(space, "handToSupport", ExamplePool([], 0, True))
    without_examples = [range(len(d.choices)) if d.kind != "few_shot" else range(1) for d in space.dimensions]
    candidates = [builder.candidate(list(i)) for i in itertools.product(*without_examples)]
    prompts = {(builder.instructions(c), builder.tool_description(c)) for c in candidates}
    assert len(prompts) == len({c.id for c in candidates}) == space.size // 2
    assert all("`handToSupport`" in text and "{{" not in text for text, _ in prompts)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("[blocks.escalation_policy.texts]", "[blocks.escalation_polcy.texts]"),
            r"space.toml: \[blocks.escalation_polcy\] names a block the template does not have; its blocks: "
            r"escalation_policy, examples, role",
        ),
        (
            ("tone = [", "mood = ["),
            r"\[variables\] mood is used nowhere in base.j2 or the candidate texts; the template's variables: "
            r"examples, handoff_tool, tone",
        ),
        (('tone = ["plain", "warm"]', "tone = []"), r"\[variables\] tone must be a non-empty list"),
        (('template = "base.j2"', 'template = "nope.j2"'), r"the template .*nope.j2 does not exist"),
        (("[variables]", "[variable]"), r"unknown keys \['variable'\]; a space file has template, blocks"),
        (('polite = "', 'polite = "{% if %}'), r"\[blocks.escalation_policy\]: the candidate 'polite' is not a valid"),
        (("[variables]", "[few_shot]\nk = [0, 2]\n[variables]"), None),
        (("[variables]", "[few_shot]\nk = [-1]\n[variables]"), r"k must be a list of whole numbers >= 0"),
        (("[variables]", "[few_shot]\nk = [2]\npool = 1.5\n[variables]"), r"pool is the share of train"),
        (("[variables]", '[tool_description.texts]\nterse = ""\n[variables]'), r"'terse' must be a non-empty"),
        (("template", "template = ["), r"not valid TOML"),
        (("[variables]", '[blocks.role]\nfiles = "v.j2"\n[variables]'), r"\[blocks.role\] takes `files = \[...\]`"),
    ],
)
def test_a_space_that_does_not_fit_its_template_fails_at_load_time(
    tmp_path: Path, change: tuple[str, str], message: str | None
) -> None:
    path = write_space(tmp_path, SPACE.replace(*change, 1))
    if message is None:  # the small template has an examples block, so few-shot is fine
        assert load_space(path).dimension("few_shot") is not None
        return
    with pytest.raises(ConfigError, match=message):
        load_space(path)


def test_few_shot_needs_an_examples_variable_and_files_must_exist(tmp_path: Path) -> None:
    template = re.sub(r"{% block examples %}.*?{% endblock %}", "", TEMPLATE, flags=re.DOTALL)
    path = write_space(tmp_path, SPACE + "\n[few_shot]\nk = [0, 2]\n", template)
    with pytest.raises(ConfigError, match="asks for examples, but base.j2 never uses `examples`"):
        load_space(path)
    path = write_space(tmp_path, SPACE.replace("[variables]", '[blocks.role]\nfiles = ["v/gone.j2"]\n[variables]'))
    with pytest.raises(ConfigError, match=r"\[blocks.role\]: no file .*v/gone.j2 \(files are relative to the space"):
        load_space(path)


def test_examples_are_seeded_stratified_and_never_in_the_search_set(shipped_train: list[EscalationCase]) -> None:
    pool_cases, search = split_train(shipped_train, 0.25, seed=0)
    assert not {c.id for c in pool_cases} & {c.id for c in search}
    assert len(pool_cases) + len(search) == len(shipped_train)
    pool = ExamplePool(pool_cases, seed=0, stratified=True)
    draw = pool.draw(4, 0)
    labels = Counter(pool.cases[i].expected.escalate for i in draw)
    assert labels == {True: 2, False: 2} and draw == ExamplePool(pool_cases, 0, True).draw(4, 0)
    assert draw != pool.draw(4, 1) and draw != ExamplePool(pool_cases, 1, True).draw(4, 0)
    with pytest.raises(ConfigError, match=f"k=999 needs 999 example cases; the pool has {len(pool_cases)}"):
        pool.draw(999, 0)
