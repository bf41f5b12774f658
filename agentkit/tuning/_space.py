"""The search space: a jinja2 template with named blocks and variables, and a TOML file naming what may vary.

```toml
template = "escalation_base.j2"                 # relative to the space file
[blocks.escalation_policy]                      # a block of the template: texts that may replace it
files = ["variants/policy_signals.j2"]          # candidates named by file stem
texts.short = "Hand off when ..."               # ... or inline, named by key
[tool_description.texts]                        # the handoff tool's description
terse = "Hand the conversation to a person."
[few_shot]                                      # k examples from the train split in the `examples` variable
k = [0, 4]
draws = 1
stratified = true
pool = 0.25
[variables]                                     # plain variables: the first value is the start
topics = ["orders and billing", "orders, billing and bookings"]
```

The first choice of every dimension is the start: a block's own text (``template``), the tool's own description
(``default``), no examples, a variable's first value. The space is checked against the template when it is
loaded, so a typo in a block or variable name fails before any model request.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2 import meta, nodes

from ..exceptions import ConfigError
from ..prompts import environment

__all__ = ["Choice", "Dimension", "FewShot", "SearchSpace", "load_space", "template_structure"]

DimensionKind = Literal["block", "tool_description", "few_shot", "variable"]
_TOP_LEVEL = ("template", "blocks", "tool_description", "few_shot", "variables")
EXAMPLES_VARIABLE = "examples"


@dataclass(frozen=True, slots=True)
class Choice:
    """One candidate value of a dimension: a label for people, and the value (None: the template's own)."""

    label: str
    value: Any


@dataclass(frozen=True, slots=True)
class Dimension:
    """What may vary: ``block:NAME``, ``tool_description``, ``few_shot`` or ``var:NAME``; choice 0 is the start."""

    name: str
    kind: DimensionKind
    target: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True, slots=True)
class FewShot:
    """How examples are drawn: ``k`` per prompt, ``draws`` seeded samples per k, balanced by label or not, and
    the share of train reserved as the example ``pool`` (kept out of every minibatch, so no case is scored
    with its own answer in the prompt)."""

    k: tuple[int, ...]
    draws: int = 1
    stratified: bool = True
    pool: float = 0.25


@dataclass(frozen=True, slots=True)
class SearchSpace:
    """A template, the dimensions that vary, and what the template offers (its blocks and variables)."""

    template: Path
    dimensions: tuple[Dimension, ...]
    few_shot: FewShot | None = None
    blocks: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()
    path: Path | None = None

    @property
    def size(self) -> int:
        """The number of distinct prompts in the grid."""
        return math.prod(len(d.choices) for d in self.dimensions)

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def folders(self) -> tuple[str, ...]:
        return (str(self.template.parent),)


def load_space(path: str | Path, template: str | Path | None = None) -> SearchSpace:
    """Read a space file and check it against its template (``template`` overrides the file's)."""
    path = Path(path)
    data = _read_toml(path)
    unknown = sorted(set(data) - set(_TOP_LEVEL))
    if unknown:
        raise ConfigError(f"{path}: unknown keys {unknown}; a space file has {', '.join(_TOP_LEVEL)}")
    template_path = _template_path(path, data, template)
    blocks, variables = template_structure(template_path)
    dimensions = [
        *(_block_dimension(path, name, spec, blocks) for name, spec in _table(path, data, "blocks").items()),
        *_tool_dimension(path, _table(path, data, "tool_description")),
    ]
    few_shot = _few_shot(path, _table(path, data, "few_shot")) if "few_shot" in data else None
    if few_shot is not None:
        dimensions.append(_few_shot_dimension(few_shot))
    dimensions += [_variable_dimension(path, n, v) for n, v in _table(path, data, "variables").items()]
    space = SearchSpace(template_path, tuple(dimensions), few_shot, blocks, variables, path)
    _check_variables(space)
    return space


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no space file {path}; pass --space with a .toml file (see prompts/)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def _table(path: Path, data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: `{key}` must be a table ([{key}]), not {type(value).__name__}")
    return value


def _template_path(path: Path, data: Mapping[str, Any], template: str | Path | None) -> Path:
    if template is None and "template" not in data:
        raise ConfigError(f'{path}: name the template: `template = "base.j2"` in the file, or --prompt')
    chosen = Path(template) if template is not None else path.parent / str(data["template"])
    if not chosen.is_file():
        raise ConfigError(f"{path}: the template {chosen} does not exist")
    return chosen


def template_structure(template: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The blocks and the variables of ``template`` and of the templates it extends, sorted."""
    env = environment((str(template.parent),))
    blocks: set[str] = set()
    variables: set[str] = set()
    name: str | None = template.name
    while name is not None:
        tree = _parse(env, name)
        blocks.update(b.name for b in tree.find_all(nodes.Block))
        variables.update(meta.find_undeclared_variables(tree))
        parent = tree.find(nodes.Extends)
        name = parent.template.value if parent is not None and isinstance(parent.template, nodes.Const) else None
    return tuple(sorted(blocks)), tuple(sorted(variables))


def _parse(env: jinja2.Environment, name: str) -> nodes.Template:
    try:
        source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        return env.parse(source, name, filename)
    except jinja2.TemplateNotFound:
        raise ConfigError(f"the template {name!r} (extended by the tuning template) was not found") from None
    except jinja2.TemplateSyntaxError as error:
        raise ConfigError(f"{error.filename}:{error.lineno}: template syntax error: {error.message}") from None


def _block_dimension(path: Path, block: str, spec: Any, known: tuple[str, ...]) -> Dimension:
    where = f"{path}: [blocks.{block}]"
    if block not in known:
        raise ConfigError(f"{where} names a block the template does not have; its blocks: {', '.join(known)}")
    files, texts = _block_spec(where, spec)
    choices = [Choice("template", None)]
    for file in files:
        text = _read_variant(path, where, file)
        choices.append(Choice(Path(str(file)).stem, _checked_fragment(where, str(file), text)))
    for label, text in texts.items():
        choices.append(Choice(label, _checked_fragment(where, label, text)))
    _check_labels(where, choices)
    return Dimension(f"block:{block}", "block", block, tuple(choices))


def _block_spec(where: str, spec: Any) -> tuple[list[Any], dict[str, Any]]:
    files = spec.get("files", []) if isinstance(spec, dict) else None
    texts = spec.get("texts", {}) if isinstance(spec, dict) else None
    if not isinstance(files, list) or not isinstance(texts, dict) or set(spec) - {"files", "texts"}:
        raise ConfigError(f"{where} takes `files = [...]` (paths) and/or a `texts` table, nothing else")
    return files, texts


def _read_variant(path: Path, where: str, file: Any) -> str:
    variant = path.parent / str(file)
    if not variant.is_file():
        raise ConfigError(f"{where}: no file {variant} (files are relative to the space file)")
    return variant.read_text(encoding="utf-8").strip()


def _checked_fragment(where: str, label: str, text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: the candidate {label!r} must be a non-empty text")
    try:
        environment().parse(text)
    except jinja2.TemplateSyntaxError as error:
        raise ConfigError(f"{where}: the candidate {label!r} is not a valid jinja2 fragment: {error.message}") from None
    return text.strip()


def _check_labels(where: str, choices: list[Choice]) -> None:
    labels = [c.label for c in choices]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ConfigError(f"{where}: candidate names must differ; repeated: {repeated}")


def _tool_dimension(path: Path, spec: Mapping[str, Any]) -> list[Dimension]:
    where = f"{path}: [tool_description]"
    if not spec:
        return []
    if set(spec) - {"texts"}:
        raise ConfigError(f"{where} takes a `texts` table of descriptions, nothing else")
    choices = [Choice("default", None)]
    for label, text in spec.get("texts", {}).items():
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{where}: the description {label!r} must be a non-empty text")
        choices.append(Choice(label, " ".join(text.split())))
    _check_labels(where, choices)
    return [Dimension("tool_description", "tool_description", "", tuple(choices))]


def _few_shot(path: Path, spec: Mapping[str, Any]) -> FewShot:
    where = f"{path}: [few_shot]"
    if set(spec) - {"k", "draws", "stratified", "pool"}:
        raise ConfigError(f"{where} takes k, draws, stratified and pool; got {sorted(spec)}")
    ks = spec.get("k", [0])
    if not isinstance(ks, list) or not ks or any(not isinstance(k, int) or k < 0 for k in ks):
        raise ConfigError(f"{where}: k must be a list of whole numbers >= 0, like [0, 4, 8]")
    draws, pool = spec.get("draws", 1), spec.get("pool", 0.25)
    if not isinstance(draws, int) or draws < 1:
        raise ConfigError(f"{where}: draws must be a whole number >= 1")
    if not isinstance(pool, int | float) or not 0 < pool < 1:
        raise ConfigError(f"{where}: pool is the share of train kept for examples, between 0 and 1 (like 0.25)")
    return FewShot(tuple(dict.fromkeys(ks)), draws, bool(spec.get("stratified", True)), float(pool))


def _few_shot_dimension(few_shot: FewShot) -> Dimension:
    choices = [
        Choice("none" if k == 0 else f"k{k}#{draw}", (k, draw))
        for k in few_shot.k
        for draw in (range(1) if k == 0 else range(few_shot.draws))
    ]
    return Dimension("few_shot", "few_shot", EXAMPLES_VARIABLE, tuple(choices))


def _variable_dimension(path: Path, name: str, values: Any) -> Dimension:
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{path}: [variables] {name} must be a non-empty list of values; the first is the start")
    return Dimension(f"var:{name}", "variable", name, tuple(Choice(_label(v), v) for v in values))


def _label(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _check_variables(space: SearchSpace) -> None:
    """Every variable the space sets is used by the template or by a candidate text."""
    used = set(space.variables)
    for dimension in space.dimensions:
        if dimension.kind == "block":
            for choice in dimension.choices[1:]:
                used |= meta.find_undeclared_variables(environment().parse(choice.value))
    where = space.path or space.template
    for dimension in space.dimensions:
        if dimension.kind == "variable" and dimension.target not in used:
            raise ConfigError(
                f"{where}: [variables] {dimension.target} is used nowhere in {space.template.name} or the "
                f"candidate texts; the template's variables: {', '.join(space.variables) or 'none'}"
            )
    if space.few_shot and any(space.few_shot.k) and EXAMPLES_VARIABLE not in used:
        raise ConfigError(
            f"{where}: [few_shot] asks for examples, but {space.template.name} never uses `{EXAMPLES_VARIABLE}`; "
            "add an examples block (see prompts/escalation_base.j2) or drop [few_shot]"
        )
