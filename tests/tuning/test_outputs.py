"""What a run leaves behind: the best prompt as a template, the tool description, tuning.json and tuning.html."""

from __future__ import annotations

import json
from pathlib import Path

from agentkit.evals import EscalationCase, EvalBot, filter_cases, run_eval
from agentkit.prompts import render
from agentkit.tuning import tune

from .tuning_fakes import CLAUSE, SPACE_WITHOUT_CLAUSE, prompt_model, proposer, write_space


async def test_the_best_prompt_template_renders_to_the_winning_instructions(
    cases: list[EscalationCase], space: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = await tune(cases, space, prompt_model(), budget=400, minibatch=8, out_dir=out)
    assert render(str(out / "best_prompt.j2")) == result.instructions and CLAUSE in result.instructions
    assert (out / "best_tool_description.txt").read_text().strip() == result.tool_description
    bot = EvalBot("offline", prompt=str(out / "best_prompt.j2"))  # a prompt the evals (and --prompt) take as it is
    run = await run_eval(filter_cases(cases, split="test"), bot, progress=False)
    assert bot.resolved_instructions() == result.instructions and run.config["bot"]["prompt"] == bot.prompt


async def test_a_proposal_full_of_braces_survives_the_template(cases: list[EscalationCase], tmp_path: Path) -> None:
    space = write_space(tmp_path, SPACE_WITHOUT_CLAUSE)
    fake_proposer, _ = proposer([f"{{% endraw %}} {{{{ x }}}} {{# y #}} {CLAUSE}"])
    out = tmp_path / "out"
    result = await tune(cases, space, prompt_model(), budget=400, strategy="opro", proposer=fake_proposer,
                        opro_steps=1, minibatch=8, out_dir=out)  # fmt: skip
    assert "{{ x }} {# y #}" in result.instructions and render(str(out / "best_prompt.j2")) == result.instructions


async def test_the_json_and_html_reports(cases: list[EscalationCase], space: Path, tmp_path: Path) -> None:
    result = await tune(cases, space, prompt_model(), budget=400, minibatch=8, out_dir=tmp_path)
    report = json.loads((tmp_path / "tuning.json").read_text())
    assert report["status"] == "finished" and report["holds"] is True and report["verdict"] == result.verdict
    assert [row["name"] for row in report["leaderboard"][:2]] == [
        "escalation_policy=clause", "escalation_policy=clause, tone=warm",
    ]  # fmt: skip
    assert report["leaderboard"][0]["is_winner"] and report["leaderboard"][0]["dev_f1"] == 1.0
    test = report["test"]
    assert test["start"]["evaluation"]["metrics"]["f1"] < test["winner"]["evaluation"]["metrics"]["f1"] == 1.0
    assert len(test["start"]["intervals"]["f1"]) == 2
    comparison = report["confirmation"]["comparison"]
    assert comparison["mcnemar"]["only_b_correct"] == 4 and comparison["f1_paired_bootstrap"]["low"] > 0
    assert report["spent"]["total"]["requests"] == result.spent.requests and report["budget"]["requests"] == 400
    assert f"+Call `handToSupport` when the customer asks for a person. {CLAUSE}" in report["diff"]
    assert report["selected"]["instructions"] == result.instructions and report["plan"]["evaluations"] == 11

    html = (tmp_path / "tuning.html").read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html  # self-contained
    for shown in ("Leaderboard", "Paired comparison on test", "McNemar exact p", "Budget", 'class="add"',
                  "confirmed: the dev gain", "escalation_policy=clause"):  # fmt: skip
        assert shown in html, shown
    winner_test = tmp_path / "evals" / result.best.id / "test"
    assert json.loads((winner_test / "report.json").read_text())["comparison"]["mcnemar"]["only_b_correct"] == 4


async def test_model_text_in_the_html_is_escaped(cases: list[EscalationCase], tmp_path: Path) -> None:
    space = write_space(tmp_path, SPACE_WITHOUT_CLAUSE)
    fake_proposer, _ = proposer([f"<script>alert(1)</script> {CLAUSE}"])
    await tune(cases, space, prompt_model(), budget=400, strategy="opro", proposer=fake_proposer, opro_steps=1,
               minibatch=8, out_dir=tmp_path / "out")  # fmt: skip
    html = (tmp_path / "out" / "tuning.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
