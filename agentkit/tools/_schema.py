"""pydantic model -> the ``parameters`` JSON schema of a function-calling spec, strict by default.

``tool_parameters(model, name=..., strict=True)`` reads ``model.model_json_schema()`` once and returns
``(parameters, is_strict)``.

Strict (the default) follows what ``openai.pydantic_function_tool`` sends, so for every model it converts well the two
schemas are equal, except that this one has no ``title`` keywords: pydantic derives them from the field names, they
repeat the property keys, the model ignores them and they cost tokens on every request. Like openai:

- every object gets ``additionalProperties: false`` and all its properties in ``required``; a field with a default
  stays required and keeps its ``default`` (the model always sends it), an ``Optional`` field stays nullable
  (``anyOf [..., null]``) and loses its ``default: null``;
- ``$defs`` are kept and a bare ``$ref`` points into them; a ``$ref`` with sibling keys (a field description next to
  a nested model, a default next to an enum), which strict mode rejects, is replaced by the definition inlined with
  the siblings on top; a recursive model's root ``$ref`` is inlined the same way.

Where openai's conversion is wrong, this one differs:

- discriminated unions: pydantic emits ``oneOf`` plus a ``discriminator`` mapping, neither of which strict mode takes;
  they become ``anyOf`` (the same instances match, since the tags are ``const``) without the mapping;
- a ``$ref`` with siblings into a definition that is being expanded (a recursive model whose field has a description)
  made openai recurse forever; it becomes ``{"anyOf": [{"$ref": ...}], <siblings>}``, which strict mode accepts;
- what strict mode cannot express raises ``ToolDefinitionError`` at definition time, naming the tool, the field and
  the fix, instead of being sent and rejected by the API on the first request (or silently accepted by another
  server): free-form objects (``dict[str, X]``, ``dict``, ``extra="allow"``, key patterns), ``Any`` and other
  untyped values (a bare ``list``), tuples (``prefixItems``), sets (``uniqueItems``), string formats other than
  date-time, time, date, duration, email, hostname, ipv4, ipv6 and uuid (``HttpUrl``, ``Path``, ``bytes``), regex
  lookarounds in ``pattern``, ``allOf`` with several entries, ``not``, ``if``/``then``/``else``,
  ``dependentRequired``/``dependentSchemas``, other object and array keywords outside the documented subset
  (``minProperties``, ``contains``, ...), a root that is not an object, and the documented size limits (10 levels of
  nested objects, 5,000 properties, 1,000 enum values, 120,000 characters of names, enum and const values, 15,000
  characters for one enum of more than 250 values). ``minLength``/``maxLength`` pass: the API takes them (only
  fine-tuned models refuse them, with ``minimum``, ``pattern`` and the like).

``strict=False`` returns pydantic's own schema, titles dropped, and ``False``: what strict mode forbids is fine there,
and optional fields are simply not required. Nothing is checked beyond the root being an object.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn

from pydantic import BaseModel

from ..exceptions import ToolDefinitionError

__all__ = ["tool_parameters"]

Schema = dict[str, Any]

_STRICT_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})
_TYPE_KEYWORDS = ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const")
_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")
_STRICT_FALSE = "pass strict=False to send a non-strict spec"
_DICT_FIX = (
    "use a list of key/value models (e.g. list[Entry] where Entry has `key: str` and `value: ...`), or " + _STRICT_FALSE
)
_UNTYPED = ("has no type (Any, object, a bare list or dict?)", "give it a concrete type, or " + _STRICT_FALSE)
# keyword -> (what it means, the fix), in the order they are checked; additionalProperties is handled on its own.
_UNSUPPORTED: dict[str, tuple[str, str]] = {
    "patternProperties": ("is an object with key patterns", _DICT_FIX),
    "propertyNames": ("is an object with constrained keys", _DICT_FIX),
    "unevaluatedProperties": ("uses unevaluatedProperties", _DICT_FIX),
    "minProperties": ("uses minProperties", _DICT_FIX),
    "maxProperties": ("uses maxProperties", _DICT_FIX),
    "prefixItems": ("is a tuple (prefixItems)", "use list[X] or a model with named fields, or " + _STRICT_FALSE),
    "uniqueItems": ("is a set (uniqueItems)", "use list[X], or " + _STRICT_FALSE),
    "contains": ("uses contains", _STRICT_FALSE),
    "minContains": ("uses minContains", _STRICT_FALSE),
    "maxContains": ("uses maxContains", _STRICT_FALSE),
    "unevaluatedItems": ("uses unevaluatedItems", _STRICT_FALSE),
    "not": ("uses not", _STRICT_FALSE),
    "if": ("uses if/then/else", _STRICT_FALSE),
    "then": ("uses if/then/else", _STRICT_FALSE),
    "else": ("uses if/then/else", _STRICT_FALSE),
    "dependentRequired": ("uses dependentRequired", _STRICT_FALSE),
    "dependentSchemas": ("uses dependentSchemas", _STRICT_FALSE),
    "dependencies": ("uses dependencies", _STRICT_FALSE),
}
_MAX_DEPTH = 10
_MAX_PROPERTIES = 5_000
_MAX_ENUM_VALUES = 1_000
_MAX_TEXT = 120_000
_LARGE_ENUM, _MAX_LARGE_ENUM_TEXT = 250, 15_000


def tool_parameters(model: type[BaseModel], *, name: str, strict: bool = True) -> tuple[dict[str, Any], bool]:
    """The parameters schema for ``model`` and whether it is strict; raises ``ToolDefinitionError`` (see above)."""
    schema = model.model_json_schema()
    if not strict:
        parameters = _without_titles(schema)
        _check_root(parameters, name)
        return parameters, False
    parameters = _StrictConverter(name, schema).convert()
    _check_root(parameters, name)
    _check_limits(parameters, name)
    return parameters, True


class _StrictConverter:
    """Builds the strict schema as new dicts; ``schema`` is only read."""

    def __init__(self, tool: str, schema: Schema) -> None:
        self.tool = tool
        self.root = schema
        self.defs: dict[str, Schema] = schema.get("$defs", {})
        self.done: dict[str, Schema] = {}
        self.started: set[str] = set()
        # The definitions being inlined into the current one (and itself): a $ref with siblings to one is a cycle.
        self.inlining: set[str] = set()

    def convert(self) -> Schema:
        root = self.node(self.root, ())  # a recursive model's root is a $ref with $defs beside it: inlined
        for def_name in self.defs:  # pydantic only lists used definitions; this keeps all of them, as openai does
            self.definition(def_name, ("$defs", def_name))
        if self.defs:
            root["$defs"] = {def_name: self.done[def_name] for def_name in self.defs}
        return root

    def definition(self, def_name: str, path: tuple[str, ...]) -> None:
        if def_name in self.started:
            return
        self.started.add(def_name)
        outer, self.inlining = self.inlining, {def_name}
        self.done[def_name] = self.node(self.defs[def_name], path)
        self.inlining = outer

    def node(self, schema: Any, path: tuple[str, ...]) -> Schema:
        if not isinstance(schema, dict):  # items: true, say
            self.fail(path, *_UNTYPED)
        if "$ref" in schema:
            return self.ref(schema, path)
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1:  # the entry wins over its parent, as in openai
            return self.node({**{k: v for k, v in schema.items() if k != "allOf"}, **all_of[0]}, path)
        self.check_keywords(schema, path)
        out: Schema = {}
        for key, value in schema.items():
            if key == "properties":
                out[key] = {prop: self.node(sub, (*path, prop)) for prop, sub in value.items()}
            elif key == "items":
                out[key] = self.node(value, (*path, "[]"))
            elif key in ("anyOf", "oneOf"):
                out.setdefault("anyOf", []).extend(self.node(sub, path) for sub in value)
            elif key not in ("title", "discriminator", "$defs") and not (key == "default" and value is None):
                out[key] = value
        if _is_object(out):
            out.setdefault("properties", {})
            out["required"] = list(out["properties"])
            out["additionalProperties"] = False
        elif out.get("type") == "array" and "items" not in out:
            self.fail((*path, "[]"), *_UNTYPED)
        return out

    def ref(self, schema: Schema, path: tuple[str, ...]) -> Schema:
        ref = schema["$ref"]
        def_name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else ""
        if def_name not in self.defs:
            self.fail(path, f"has a $ref that is not into $defs ({ref!r})", _STRICT_FALSE)
        self.definition(def_name, path)
        siblings = {k: v for k, v in schema.items() if k != "$ref" and (k, v) != ("default", None)}
        if not siblings:
            return {"$ref": ref}
        if def_name in self.inlining:  # inlining it again would never end (openai's recursion does not): keep the
            # $ref, under an anyOf since strict mode takes siblings there
            return self.node({"anyOf": [{"$ref": ref}], **siblings}, path)
        self.inlining.add(def_name)
        inlined = self.node({**self.defs[def_name], **siblings}, path)
        self.inlining.discard(def_name)
        return inlined

    def check_keywords(self, schema: Schema, path: tuple[str, ...]) -> None:
        if schema.get("additionalProperties", False) is not False:
            self.fail(path, "is a free-form object (dict[str, X], dict, or a model with extra='allow')", _DICT_FIX)
        for keyword, (problem, fix) in _UNSUPPORTED.items():
            if keyword in schema:
                self.fail(path, problem, fix)
        if isinstance(schema.get("allOf"), list):
            self.fail(path, "uses allOf with several entries", "use one model, or " + _STRICT_FALSE)
        fmt = schema.get("format")
        if fmt is not None and fmt not in _STRICT_FORMATS:
            formats = ", ".join(sorted(_STRICT_FORMATS))
            self.fail(
                path,
                f"has the string format {fmt!r} (HttpUrl, Path or bytes?), and strict mode only takes {formats}",
                "use str, with a pattern if you need one, or " + _STRICT_FALSE,
            )
        if _has_lookaround(schema.get("pattern")):
            self.fail(
                path,
                "has a pattern with a lookaround: (?=, (?!, (?<= or (?<!",
                "rewrite it without, or " + _STRICT_FALSE,
            )
        if not any(key in schema for key in _TYPE_KEYWORDS):
            self.fail(path, *_UNTYPED)

    def fail(self, path: tuple[str, ...], problem: str, fix: str) -> NoReturn:
        where = _where(path)
        raise ToolDefinitionError(f"tool {self.tool!r}: {where} {problem}, which OpenAI strict mode rejects; {fix}")


def _where(path: tuple[str, ...]) -> str:
    if not path:
        return "the input model"
    if path[0] == "$defs":
        return f"the model {path[1]!r}"
    return "field " + repr("".join(p if p == "[]" else f".{p}" for p in path).lstrip("."))


def _is_object(schema: Schema) -> bool:
    kind = schema.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


def _has_lookaround(pattern: Any) -> bool:
    if not isinstance(pattern, str):
        return False
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern.startswith(_LOOKAROUNDS, i):
            return True
        i += 1
    return False


def _without_titles(schema: Any) -> Any:
    """``schema`` without its ``title`` keywords; property and definition names, and values, are left alone."""
    if isinstance(schema, list):
        return [_without_titles(sub) for sub in schema]
    if not isinstance(schema, dict):
        return schema
    out: Schema = {}
    for key, value in schema.items():
        if key in ("properties", "$defs", "patternProperties", "dependentSchemas"):
            out[key] = {name: _without_titles(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"):
            out[key] = _without_titles(value)
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            out[key] = [_without_titles(sub) for sub in value]
        elif key != "title":
            out[key] = value
    return out


def _check_root(schema: Schema, tool: str) -> None:
    if schema.get("type") != "object" and "$ref" not in schema:
        raise ToolDefinitionError(
            f"tool {tool!r}: the input model must describe a JSON object (function arguments are one), "
            f"not {schema.get('type') or 'a union'}; use a BaseModel with fields, not a RootModel"
        )


def _check_limits(schema: Schema, tool: str) -> None:
    """OpenAI's documented size limits of one strict schema; each part ($defs apart) is counted without its $refs."""
    defs = schema.get("$defs", {})
    walked = [found for part in (schema, *defs.values()) for found in _walk(part, 0)]
    objects = [node for node, _ in walked if "properties" in node]
    enums = [node["enum"] for node, _ in walked if "enum" in node]
    consts = [node["const"] for node, _ in walked if "const" in node]
    names = [*defs, *(prop for obj in objects for prop in obj["properties"])]
    text = sum(len(str(value)) for value in [*names, *consts, *(v for values in enums for v in values)])
    exceeded = [
        (max(depth for _, depth in walked) > _MAX_DEPTH, f"{_MAX_DEPTH} levels of nested objects"),
        (sum(len(obj["properties"]) for obj in objects) > _MAX_PROPERTIES, f"{_MAX_PROPERTIES} properties"),
        (sum(map(len, enums)) > _MAX_ENUM_VALUES, f"{_MAX_ENUM_VALUES} enum values"),
        (text > _MAX_TEXT, f"{_MAX_TEXT} characters of property names, definition names, enum and const values"),
        (
            any(len(v) > _LARGE_ENUM and sum(len(str(x)) for x in v) > _MAX_LARGE_ENUM_TEXT for v in enums),
            f"{_MAX_LARGE_ENUM_TEXT} characters in one enum of more than {_LARGE_ENUM} values",
        ),
    ]
    for over, limit in exceeded:
        if over:
            raise ToolDefinitionError(
                f"tool {tool!r}: the schema has more than {limit}, over OpenAI's strict-mode limit; "
                "split the tool or simplify its input model, or " + _STRICT_FALSE
            )


def _walk(schema: Any, depth: int) -> Iterator[tuple[Schema, int]]:
    """The schemas under ``schema`` (itself included, $refs not followed), each with the objects on its path."""
    if not isinstance(schema, dict):
        return
    depth += "properties" in schema
    yield schema, depth
    for child in (schema.get("items"), *schema.get("anyOf", ()), *schema.get("properties", {}).values()):
        yield from _walk(child, depth)
