"""pydantic model -> strict parameters schema: equal to openai's where openai is right, right where it is not."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import jsonschema
import openai
import pytest
from pydantic import AnyUrl, BaseModel, ConfigDict, Field, RootModel, StringConstraints, create_model

from agentkit.exceptions import ToolDefinitionError
from agentkit.tools._schema import tool_parameters

# --- the models ---------------------------------------------------------------------------------------------------


class HandToSupportInput(BaseModel):
    reason: str = Field(description="Why the conversation needs a support agent")
    priority: Literal["low", "medium", "high", "urgent"] = "medium"


class Scalars(BaseModel):
    text: str
    count: int
    ratio: float
    flag: bool


class Literals(BaseModel):
    mode: Literal["fast", "slow"]
    level: Literal[1, 2, 3]
    only: Literal["one"]
    mixed: Literal["a", 1, True]


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Size(enum.IntEnum):
    S = 1
    M = 2


class Enums(BaseModel):
    color: Color
    size: Size = Size.M
    described: Color = Field(Color.RED, description="The paint")


class Optionals(BaseModel):
    note: str | None
    order_id: str | None = None
    limit: int | None = 10
    tags: list[str] | None = Field(None, description="Labels")


class Defaults(BaseModel):
    name: str = "anonymous"
    retries: int = 3
    items: list[str] = []
    extras: list[int] = Field(default_factory=list)
    enabled: bool = True


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str
    zip_code: str | None = None


class Customer(BaseModel):
    name: str
    home: Address
    work: Address | None = None
    billing: Address = Field(description="Where invoices go")
    previous: list[Address] = []
    shipping: Address = Address(street="1 Main St", city="Springfield")
    titled: Address = Field(title="Old address")


class Lists(BaseModel):
    numbers: list[int]
    matrix: list[list[float]]
    addresses: list[Address]
    maybe: list[str | None]


class Described(BaseModel):
    """Arguments of a lookup."""

    query: str = Field(description="What to look for")
    page: int = Field(1, description="1-based page number")


class Constraints(BaseModel):
    code: str = Field(min_length=3, max_length=8, pattern=r"^[A-Z]+\d*$")
    quantity: int = Field(ge=1, le=99)
    price: float = Field(gt=0, lt=10_000, multiple_of=0.01)
    lines: list[str] = Field(min_length=1, max_length=5)


class Annotations(BaseModel):
    positive: Annotated[int, Field(gt=0)]
    short: Annotated[str, StringConstraints(max_length=10, pattern=r"^\w+$")]
    described: Annotated[str, Field(description="Annotated description")] = "x"
    many: Annotated[list[Annotated[int, Field(ge=0)]], Field(max_length=3)]


class Times(BaseModel):
    at: dt.datetime
    day: dt.date
    clock: dt.time
    wait: dt.timedelta
    ref: uuid.UUID
    amount: Decimal


class Unions(BaseModel):
    value: int | str
    address_or_note: Address | str
    nested: list[int | Address] | None = None


class Titled(BaseModel):
    title: str
    required: bool = False


class WithTitleField(BaseModel):
    title: str = Field(description="A property named title")
    properties: list[str] = []
    inner: Titled


class Forbid(BaseModel):
    model_config = ConfigDict(extra="forbid")

    a: int


class Empty(BaseModel):
    pass


class Node(BaseModel):
    value: int
    children: list[Node] = []


class Category(BaseModel):
    name: str
    parent: Category | None = Field(None, description="The enclosing category")


class User(BaseModel):
    name: str
    comments: list[Comment] = []


class Comment(BaseModel):
    text: str
    author: User = Field(description="Who wrote it")


User.model_rebuild()


class Deep(BaseModel):
    customer: Customer
    nodes: list[Node]
    hand_off: HandToSupportInput | None = None


TABLE: list[type[BaseModel]] = [
    HandToSupportInput,
    Scalars,
    Literals,
    Enums,
    Optionals,
    Defaults,
    Customer,
    Lists,
    Described,
    Constraints,
    Annotations,
    Times,
    Unions,
    WithTitleField,
    Forbid,
    Empty,
    Node,
    Category,
    User,
    Deep,
]

# Cases openai gets wrong.


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool = True


Pet = Annotated[Cat | Dog, Field(discriminator="kind")]


class Pets(BaseModel):
    pet: Pet
    others: list[Pet] = []
    maybe: Pet | None = Field(None, description="An optional pet")


class Tree(BaseModel):
    """A tree that never ends."""

    label: str
    child: Tree = Field(description="The subtree")


class Left(BaseModel):
    right: Right = Field(description="to the right")


class Right(BaseModel):
    left: Left = Field(description="to the left")


# --- helpers ------------------------------------------------------------------------------------------------------

_SCHEMA_MAPS = ("properties", "$defs", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")


def without_titles(schema: Any) -> Any:
    """``schema`` without ``title`` keywords (names of properties and definitions, and values, untouched)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS:
            out[key] = {name: without_titles(sub) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            out[key] = [without_titles(sub) for sub in value]
        elif key in ("items", "additionalProperties"):
            out[key] = without_titles(value)
        elif key != "title":
            out[key] = value
    return out


def schema_nodes(schema: Any) -> list[dict[str, Any]]:
    """Every schema node under ``schema``, $defs included."""
    if not isinstance(schema, dict):
        return []
    found = [schema]
    for key, value in schema.items():
        if key in _SCHEMA_MAPS:
            found += [node for sub in value.values() for node in schema_nodes(sub)]
        elif key in _SCHEMA_LISTS:
            found += [node for sub in value for node in schema_nodes(sub)]
        elif key in ("items", "additionalProperties"):
            found += schema_nodes(value)
    return found


def assert_strict(schema: dict[str, Any]) -> None:
    """The OpenAI strict-mode rules, checked independently of the code under test."""
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and "anyOf" not in schema
    defs = schema.get("$defs", {})
    for node in schema_nodes(schema):
        assert "title" not in node and "oneOf" not in node and "allOf" not in node and "discriminator" not in node
        if "$ref" in node:
            assert set(node) == {"$ref"}, f"$ref with siblings: {node}"
            assert node["$ref"].removeprefix("#/$defs/") in defs
        else:
            assert any(k in node for k in ("type", "anyOf", "enum", "const")), f"untyped: {node}"
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert node["required"] == list(node["properties"])
        assert node.get("format") in (None, "date-time", "date", "time", "duration", "uuid", "email")


def strict_parameters(model: type[BaseModel]) -> dict[str, Any]:
    parameters, is_strict = tool_parameters(model, name="t")
    assert is_strict is True
    assert_strict(parameters)
    return parameters


def openai_parameters(model: type[BaseModel]) -> dict[str, Any]:
    return openai.pydantic_function_tool(model)["function"]["parameters"]  # type: ignore[return-value]


def validate(schema: dict[str, Any], instance: Any) -> None:
    jsonschema.Draft202012Validator(schema).validate(instance)


def rejects(schema: dict[str, Any], instance: Any) -> bool:
    return not jsonschema.Draft202012Validator(schema).is_valid(instance)


# --- equal to openai, titles apart ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", TABLE, ids=lambda m: m.__name__)
def test_equals_openai_without_titles(model: type[BaseModel]) -> None:
    assert strict_parameters(model) == without_titles(openai_parameters(model))


def test_hand_to_support_input_schema() -> None:
    assert strict_parameters(HandToSupportInput) == {
        "type": "object",
        "properties": {
            "reason": {"type": "string", "description": "Why the conversation needs a support agent"},
            "priority": {"type": "string", "enum": ["low", "medium", "high", "urgent"], "default": "medium"},
        },
        "required": ["reason", "priority"],
        "additionalProperties": False,
    }


def test_titles_are_dropped_but_a_property_named_title_is_kept() -> None:
    parameters = strict_parameters(WithTitleField)
    assert list(parameters["properties"]) == ["title", "properties", "inner"]
    assert list(parameters["$defs"]["Titled"]["properties"]) == ["title", "required"]
    assert "title" not in parameters and "title" not in parameters["$defs"]["Titled"]
    assert tool_parameters(WithTitleField, name="t", strict=False)[0]["properties"]["title"]["type"] == "string"


def test_optional_fields_are_required_and_nullable_and_defaults_kept() -> None:
    properties = strict_parameters(Optionals)["properties"]
    assert properties["order_id"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert properties["limit"] == {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": 10}
    assert strict_parameters(Defaults)["properties"]["retries"] == {"type": "integer", "default": 3}


def test_ref_with_description_is_inlined_and_bare_refs_kept() -> None:
    parameters = strict_parameters(Customer)
    assert parameters["properties"]["home"] == {"$ref": "#/$defs/Address"}
    billing = parameters["properties"]["billing"]
    assert billing["description"] == "Where invoices go" and billing["properties"].keys() == {
        "street",
        "city",
        "zip_code",
    }
    assert parameters["$defs"]["Address"]["description"] == "A postal address."


@pytest.mark.parametrize(
    ("model", "instance"),
    [
        (HandToSupportInput, HandToSupportInput(reason="angry customer")),
        (
            Customer,
            Customer(
                name="Ann",
                home=Address(street="a", city="b"),
                billing=Address(street="c", city="d"),
                titled=Address(street="e", city="f"),
                previous=[Address(street="g", city="h")],
            ),
        ),
        (
            Times,
            Times(
                at=dt.datetime(2024, 1, 2, 3, 4),
                day=dt.date(2024, 1, 2),
                clock=dt.time(3, 4),
                wait=dt.timedelta(seconds=90),
                ref=uuid.uuid4(),
                amount=Decimal("12.50"),
            ),
        ),
        (
            Unions,
            Unions(value=3, address_or_note=Address(street="a", city="b"), nested=[1, Address(street="c", city="d")]),
        ),
        (Node, Node(value=1, children=[Node(value=2, children=[Node(value=3)])])),
        (Category, Category(name="shoes", parent=Category(name="clothes"))),
        (User, User(name="ann", comments=[Comment(text="hi", author=User(name="bob"))])),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, BaseModel) else x.__name__,
)
def test_model_instances_validate_and_extra_keys_do_not(model: type[BaseModel], instance: BaseModel) -> None:
    parameters = strict_parameters(model)
    dumped = instance.model_dump(mode="json")
    validate(parameters, dumped)
    assert rejects(parameters, {**dumped, "unexpected": 1})
    assert rejects(parameters, {k: v for k, v in dumped.items() if k != next(iter(dumped))})


# --- where openai is wrong ------------------------------------------------------------------------------------------


def test_discriminated_union_becomes_any_of() -> None:
    assert "oneOf" in openai_parameters(Pets)["properties"]["pet"]  # strict mode rejects what openai sends
    parameters = strict_parameters(Pets)
    assert parameters["properties"]["pet"] == {"anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]}
    assert parameters["properties"]["others"]["items"] == parameters["properties"]["pet"]
    assert parameters["properties"]["maybe"]["description"] == "An optional pet"
    assert parameters["$defs"]["Cat"]["properties"]["kind"] == {"const": "cat", "type": "string"}

    pets = Pets(pet=Cat(kind="cat", lives=9), others=[Dog(kind="dog"), Cat(kind="cat", lives=1)], maybe=Dog(kind="dog"))
    validate(parameters, pets.model_dump(mode="json"))
    validate(parameters, Pets(pet=Dog(kind="dog", good=False)).model_dump(mode="json"))
    assert rejects(parameters, {"pet": {"kind": "cat", "good": True}, "others": [], "maybe": None})
    assert rejects(parameters, {"pet": {"kind": "cow", "lives": 1}, "others": [], "maybe": None})


def test_recursive_ref_with_description_terminates_and_keeps_the_ref() -> None:
    with pytest.raises(RecursionError):
        openai_parameters(Tree)
    parameters = strict_parameters(Tree)
    child = {"anyOf": [{"$ref": "#/$defs/Tree"}], "description": "The subtree"}
    assert parameters["properties"]["child"] == child
    assert parameters["$defs"]["Tree"]["properties"]["child"] == child
    assert parameters["description"] == "A tree that never ends."
    assert rejects(parameters, {"label": "a", "child": {"label": "b"}})


def test_mutually_recursive_refs_with_descriptions_terminate() -> None:
    with pytest.raises(RecursionError):
        openai_parameters(Left)
    parameters = strict_parameters(Left)
    right = parameters["properties"]["right"]
    assert right["description"] == "to the right"
    assert right["properties"]["left"] == {"anyOf": [{"$ref": "#/$defs/Left"}], "description": "to the left"}


def test_recursive_models_keep_refs_into_defs() -> None:
    parameters = strict_parameters(Node)
    assert parameters["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert parameters["$defs"]["Node"]["properties"] == parameters["properties"]


# --- what strict mode cannot express -------------------------------------------------------------------------------


class Metadata(BaseModel):
    order_id: str
    metadata: dict[str, str]


class Line(BaseModel):
    sku: str
    attributes: dict[str, int]


class Order(BaseModel):
    lines: list[Line]


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")

    a: int


def _model(annotation: Any, **field: Any) -> type[BaseModel]:
    config = ConfigDict(regex_engine="python-re")  # lookarounds need it
    return create_model("Args", __config__=config, value=(annotation, Field(**field)))


UNSUPPORTED: list[tuple[str, type[BaseModel], str, str]] = [
    ("dict", Metadata, "field 'metadata' is a free-form object", "list of key/value models"),
    ("bare dict", _model(dict), "field 'value' is a free-form object", "list of key/value models"),
    ("dict of Any", _model(dict[str, Any]), "field 'value' is a free-form object", "list of key/value models"),
    ("dict in a list, in $defs", Order, "field 'lines[].attributes' is a free-form object", "key/value"),
    ("extra=allow", Loose, "the input model is a free-form object", "key/value"),
    ("Any", _model(Any), "field 'value' has no type", "concrete type"),
    ("object", _model(object), "field 'value' has no type", "concrete type"),
    ("bare list", _model(list), "field 'value[]' has no type", "concrete type"),
    ("list of Any", _model(list[Any]), "field 'value[]' has no type", "concrete type"),
    ("tuple", _model(tuple[int, str]), "field 'value' is a tuple", "list[X]"),
    ("set", _model(set[str]), "field 'value' is a set", "list[X]"),
    ("url", _model(AnyUrl), "field 'value' has the string format 'uri'", "use str"),
    ("path", _model(Path), "'path'", "use str"),
    ("bytes", _model(bytes), "'binary'", "use str"),
    ("lookahead", _model(str, pattern=r"^(?!admin)\w+$"), "lookaround", "rewrite it"),
    ("lookbehind", _model(str, pattern=r"(?<=a)b"), "lookaround", "rewrite it"),
    ("not", _model(str, json_schema_extra={"not": {"const": "admin"}}), "field 'value' uses not", "strict=False"),
    (
        "allOf",
        _model(str, json_schema_extra={"allOf": [{"type": "string"}, {"minLength": 1}]}),
        "field 'value' uses allOf with several entries",
        "use one model",
    ),
    ("minProperties", _model(Address, json_schema_extra={"minProperties": 1}), "uses minProperties", "key/value"),
]


@pytest.mark.parametrize(("case", "model", "problem", "fix"), UNSUPPORTED, ids=[c[0] for c in UNSUPPORTED])
def test_strict_mode_rejects_at_definition_time(case: str, model: type[BaseModel], problem: str, fix: str) -> None:
    with pytest.raises(ToolDefinitionError) as raised:
        tool_parameters(model, name="lookup_order")
    message = str(raised.value)
    assert message.startswith("tool 'lookup_order': ")
    assert problem in message and fix in message
    assert "pass strict=False to send a non-strict spec" in message


@pytest.mark.parametrize(("case", "model", "problem", "fix"), UNSUPPORTED, ids=[c[0] for c in UNSUPPORTED])
def test_non_strict_returns_the_plain_schema(case: str, model: type[BaseModel], problem: str, fix: str) -> None:
    parameters, is_strict = tool_parameters(model, name="lookup_order", strict=False)
    assert is_strict is False
    assert parameters == without_titles(model.model_json_schema())


def test_non_strict_keeps_optional_fields_optional() -> None:
    parameters, _ = tool_parameters(HandToSupportInput, name="t", strict=False)
    assert parameters["required"] == ["reason"] and "additionalProperties" not in parameters


def test_escaped_parenthesis_is_not_a_lookaround() -> None:
    assert strict_parameters(_model(str, pattern=r"^\(?!\d+$"))["properties"]["value"]["pattern"] == r"^\(?!\d+$"


def test_length_constraints_pass() -> None:
    value = strict_parameters(_model(str, min_length=1, max_length=5))["properties"]["value"]
    assert value == {"type": "string", "minLength": 1, "maxLength": 5}


def test_root_must_be_an_object() -> None:
    for strict in (True, False):
        with pytest.raises(ToolDefinitionError, match="must describe a JSON object"):
            tool_parameters(RootModel[list[int]], name="t", strict=strict)


def _nested(depth: int) -> type[BaseModel]:
    """``depth`` levels of objects, all inlined: each level's field has a description next to its $ref."""
    model: type[BaseModel] = create_model("Level1", leaf=(str, ...))
    for level in range(2, depth + 1):
        model = create_model(f"Level{level}", inner=(model, Field(description=f"level {level - 1}")))
    return model


def test_ten_levels_of_nesting_pass_eleven_do_not() -> None:
    assert strict_parameters(_nested(10))["properties"]["inner"]["description"] == "level 9"
    with pytest.raises(ToolDefinitionError, match="more than 10 levels of nested objects"):
        tool_parameters(_nested(11), name="t")


def test_size_limits() -> None:
    with pytest.raises(ToolDefinitionError, match="more than 5000 properties"):
        tool_parameters(create_model("Wide", **{f"f{i}": (int, ...) for i in range(5001)}), name="t")
    many = Literal[tuple(f"v{i}" for i in range(1001))]  # type: ignore[valid-type]
    with pytest.raises(ToolDefinitionError, match="more than 1000 enum values"):
        tool_parameters(_model(many), name="t")
    long_values = Literal[tuple(f"{i:03}" + "x" * 60 for i in range(251))]  # type: ignore[valid-type]
    with pytest.raises(ToolDefinitionError, match="characters in one enum of more than 250 values"):
        tool_parameters(_model(long_values), name="t")
    long_names = create_model("LongNames", **{f"f{i:03}" + "n" * 600: (int, ...) for i in range(200)})
    with pytest.raises(ToolDefinitionError, match="more than 120000 characters"):
        tool_parameters(long_names, name="t")
    assert tool_parameters(long_names, name="t", strict=False)[1] is False
