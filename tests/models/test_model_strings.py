"""Model strings are checked where they are parsed: a typo fails with the accepted forms and a suggestion."""

from __future__ import annotations

import ast

import pytest

from agentkit.exceptions import ConfigError
from agentkit.models import OpenAIModel, parse_model_string, resolve_model

ACCEPTED = "use 'offline' or 'openai:MODEL_NAME'"


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("ofline", "did you mean offline?"),
        ("Offline", "did you mean offline?"),
        ("nonsense", ACCEPTED),
        ("gpt-4o-mini", "did you mean openai:gpt-4o-mini?"),
        ("openai:", "openai: needs a model name after the colon"),
        ("openai:  ", "openai: needs a model name after the colon"),
        ("", "it is empty"),
        ("acme:big", "unknown provider 'acme'"),
        ("opnai:gpt-4o", "did you mean openai:gpt-4o?"),
        ("offline:fast", "offline takes no model name"),
    ],
)
def test_a_wrong_model_string_names_the_accepted_forms(spec: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_model_string(spec)
    assert says in str(raised.value) and ACCEPTED in str(raised.value)
    with pytest.raises(ConfigError, match="is not a model"):
        resolve_model(spec)


def test_nonsense_gets_no_made_up_suggestion() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_model_string("nonsense")
    assert "did you mean" not in str(raised.value)


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [("offline", ("offline", "")), ("openai:gpt-4o-mini", ("openai", "gpt-4o-mini")), (" offline ", ("offline", ""))],
)
def test_accepted_model_strings(spec: str, parsed: tuple[str, str]) -> None:
    assert parse_model_string(spec) == parsed


def test_openai_strings_build_an_openai_model() -> None:
    model = resolve_model("openai:gpt-4o-mini")
    assert isinstance(model, OpenAIModel) and model.name == "gpt-4o-mini"
    assert resolve_model("offline").name == "offline"


def test_the_environment_variable_is_checked_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_MODEL", "ofline")
    with pytest.raises(ConfigError, match=r"AGENTKIT_MODEL='ofline' is not a model.*did you mean offline\?"):
        resolve_model(None)
    monkeypatch.setenv("AGENTKIT_MODEL", "")  # set but empty is a mistake, not "unset"
    with pytest.raises(ConfigError, match="AGENTKIT_MODEL='' is not a model: it is empty"):
        resolve_model(None)
    monkeypatch.delenv("AGENTKIT_MODEL")
    with pytest.raises(ConfigError, match="no model given: set AGENTKIT_MODEL"):
        resolve_model(None)


def test_a_missing_api_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ConfigError) as raised:
        resolve_model("openai:gpt-4o-mini-unkeyed")
    message = str(raised.value)
    assert "set OPENAI_API_KEY=" in message and "api_key='test'" not in message


def test_a_registered_name_is_a_model_string_and_offline_is_registered_by_the_evals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agentkit.evals import OfflineModel
    from agentkit.models import ScriptedModel, register_model

    assert isinstance(resolve_model("offline"), OfflineModel)
    monkeypatch.setattr("agentkit.models._resolve._NAMED_MODELS", {})  # this test's registrations only
    register_model("canned", lambda: ScriptedModel(["hi"], name="canned"))
    assert resolve_model("canned").name == "canned"
    with pytest.raises(ConfigError, match="did you mean canned"):
        resolve_model("caned")
    with pytest.raises(ConfigError, match="one word"):
        register_model("acme:x", lambda: ScriptedModel([]))


def test_the_model_layer_imports_nothing_of_the_escalation_policy() -> None:
    from pathlib import Path

    import agentkit.models

    folder = Path(agentkit.models.__file__).parent
    imported = {
        node.module
        for path in folder.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {m for m in imported if m.split(".")[-1] in {"evals", "hitl", "runtime", "desk", "handoff"}}
