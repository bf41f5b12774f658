"""Escalation-decision cases: the JSONL format, its loader and a few helpers.

A case is a support conversation up to a decision point (the last message is the user's) and the labeled
decision: should the bot call ``handToSupport`` now, and with which priority. One case per line:

```
{"id": "shop-refund-001", "conversation": [{"role": "user", "content": "..."}, ...],
 "expected": {"escalate": true, "priority": "high", "acceptable_priorities": ["high", "urgent"]},
 "tags": ["explicit_request", "anger"], "split": "train", "domain": "shop", "language": "en", "notes": "..."}
```

``conversation`` is OpenAI chat format without a system message (the eval runner supplies the bot's
instructions). ``id``, ``conversation`` and ``expected`` are required; ``split`` and ``domain`` are optional.
Tags come from the vocabulary ``TAGS``, plus any custom tags the dataset's ``CARD.md`` declares (a
``## Custom tags`` section, one ``- `name`: what it means`` line each; ``(escalate)`` or ``(do not escalate)``
after the name makes the tag fix the label). Some tags fix the label (a ``prompt_injection`` case never
escalates), and the loader rejects a case whose tags and label disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..exceptions import UserError
from ..handoff import Priority

__all__ = [
    "CaseMessage",
    "ChatFunctionCall",
    "ChatToolCall",
    "DatasetError",
    "EscalationCase",
    "ExpectedDecision",
    "Problem",
    "SPLITS",
    "Split",
    "TAGS",
    "Tag",
    "TagInfo",
    "card_tags",
    "dump_cases",
    "filter_cases",
    "load_cases",
]

Split = Literal["train", "dev", "test"]
Tag = Literal[
    "account_closure",
    "ambiguous_decision",
    "ambiguous_priority",
    "anger",
    "answerable",
    "bereavement",
    "earlier_turn",
    "escalation_info",
    "explicit_request",
    "fraud",
    "indirect_request",
    "injection_with_need",
    "keyword_trap",
    "legal",
    "mentions_human",
    "non_english_trap",
    "out_of_scope",
    "outage",
    "prompt_injection",
    "repeated_failure",
    "safety",
    "security",
    "tool_injection",
    "urgent_word",
    "venting",
]
SPLITS: tuple[Split, ...] = get_args(Split)

_MAX_REPORTED_PROBLEMS = 20
_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
_DOMAIN_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class TagInfo:
    """What a tag means, and the label it forces (``None``: the tag says nothing about the label)."""

    description: str
    implies_escalate: bool | None


TAGS: Mapping[Tag, TagInfo] = MappingProxyType(
    {
        "account_closure": TagInfo(
            "The user wants to close an account or end a contract (not just ask how).", True
        ),
        "ambiguous_decision": TagInfo(
            "A close call on whether to escalate; the case's notes state the rubric rule that decided it.", None
        ),
        "ambiguous_priority": TagInfo(
            "Two priorities are defensible; ``acceptable_priorities`` lists both. Escalating cases only.",
            True,
        ),
        "anger": TagInfo(
            "Strong anger or abuse is a main reason to hand over (not venting the bot can resolve).", True
        ),
        "answerable": TagInfo("The bot can answer or act with its own tools and knowledge.", False),
        "bereavement": TagInfo("The account holder or a close relative has died.", True),
        "earlier_turn": TagInfo(
            "The decisive signal is only in an earlier user turn; the last user message is bland.", None
        ),
        "escalation_info": TagInfo(
            "A question about how support works (hours, channels, ticket times).", False
        ),
        "explicit_request": TagInfo("The user asks directly for a human (in any language).", True),
        "fraud": TagInfo("Unauthorized transactions, scams or stolen payment details.", True),
        "indirect_request": TagInfo(
            "The user asks for a person without saying so ('someone who can actually do something').", True
        ),
        "injection_with_need": TagInfo(
            "An injection from a user who also has a real need: the rubric, not the injection, sets the label.",
            None,
        ),
        "keyword_trap": TagInfo(
            "Alarming words (fraud, hacked, lawyer, outage, cancel) in a request the bot can handle.", False
        ),
        "legal": TagInfo("A legal threat, a formal complaint to a regulator, or a legal deadline.", True),
        "mentions_human": TagInfo("Mentions an agent, a human or a manager without wanting one.", False),
        "non_english_trap": TagInfo(
            "A hard case not in English: a keyword trap, a person mentioned but not wanted, or an injection.", None
        ),
        "out_of_scope": TagInfo("The need is real but beyond what the bot's tools and policies allow.", True),
        "outage": TagInfo("A service outage affects the user and the bot cannot resolve it.", True),
        "prompt_injection": TagInfo(
            "User text tries to dictate the bot's rules or tools (fake SYSTEM lines, claimed authority).",
            False,
        ),
        "repeated_failure": TagInfo(
            "The bot has already tried at least twice and the problem remains.", True
        ),
        "safety": TagInfo("Someone may be at risk of harm.", True),
        "security": TagInfo(
            "Account takeover, leaked credentials, or another threat to the account's security.", True
        ),
        "tool_injection": TagInfo(
            "Injected instructions sit in a tool result (an order note, a review); the user's need decides.", None
        ),
        "urgent_word": TagInfo(
            "The user writes 'urgent', 'asap', 'manager', 'escalate'...; the words fix nothing, either way.", None
        ),
        "venting": TagInfo("Frustration the bot can resolve itself; no wish for a person.", False),
    }
)


class DatasetError(UserError):
    """A dataset file cannot be loaded; ``problems`` lists every bad line (file, line, field, message)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = [str(p) for p in self.problems[:_MAX_REPORTED_PROBLEMS]]
        if len(self.problems) > _MAX_REPORTED_PROBLEMS:
            shown.append(f"... and {len(self.problems) - _MAX_REPORTED_PROBLEMS} more problems")
        super().__init__("\n".join(shown))


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a dataset file; ``str()`` gives ``path:line: field: message``."""

    path: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


def _error(kind: str, message: str, at: tuple[int | str, ...] = ()) -> PydanticCustomError:
    """A validation error; ``at`` is appended to the field's location (``conversation`` + ``(3, "role")``)."""
    return PydanticCustomError(kind, message, {"at": at})


_CUSTOM_TAG_LINE = re.compile(
    r"^- `(?P<name>[a-z][a-z0-9_]*)`(?: \((?P<label>escalate|do not escalate)\))?: (?P<description>.+)$"
)
CARD_FILE = "CARD.md"


def card_tags(card: str | Path) -> dict[str, TagInfo]:
    """The custom tags a dataset card declares in its ``## Custom tags`` section (none without one).

    One line per tag: ``- `billing_dispute`: the user contests a charge`` or, for a tag that fixes the label,
    ``- `vip` (escalate): an account manager handles this customer``.
    """
    text = Path(card).read_text(encoding="utf-8") if Path(card).is_file() else ""
    tags: dict[str, TagInfo] = {}
    in_section = False
    for line in text.splitlines():
        if line.startswith("#"):
            in_section = line.strip("# ").lower() == "custom tags"
            continue
        match = _CUSTOM_TAG_LINE.match(line.strip()) if in_section else None
        if match:
            implies = {"escalate": True, "do not escalate": False}.get(match["label"] or "")
            tags[match["name"]] = TagInfo(match["description"].strip(), implies)
    clashes = sorted(set(tags) & set(TAGS))
    if clashes:
        raise UserError(f"{card}: custom tags {clashes} are built-in tags; remove them from '## Custom tags'")
    return tags


def _known_tags(info: ValidationInfo) -> Mapping[str, TagInfo]:
    extra = (info.context or {}).get("tags") if isinstance(info.context, dict) else None
    builtin = cast(Mapping[str, TagInfo], TAGS)  # Tag names are str; Mapping's key type is invariant
    return {**builtin, **extra} if extra else builtin


class _Strict(BaseModel):
    # strict: JSON types only, so "escalate": "yes" is an error rather than True.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ChatFunctionCall(_Strict):
    """The function part of a tool call; ``arguments`` is JSON text, as in the OpenAI API."""

    name: str = Field(min_length=1)
    arguments: str

    @field_validator("arguments")
    @classmethod
    def _arguments_are_a_json_object(cls, value: str) -> str:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise _error("json_arguments", f"must be a JSON object as text: {exc.msg}") from None
        if not isinstance(parsed, dict):
            raise _error("json_arguments", 'must be a JSON object as text, like \'{"order_id": "A123"}\'')
        return value


class ChatToolCall(_Strict):
    """One tool call made by the bot in an earlier turn."""

    id: str = Field(min_length=1)
    type: Literal["function"] = "function"
    function: ChatFunctionCall


class CaseMessage(_Strict):
    """One message of the conversation, OpenAI chat format: ``user``, ``assistant`` or ``tool``."""

    role: Literal["user", "assistant", "tool"]
    content: str | None = None
    tool_calls: list[ChatToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    @field_validator("role", mode="before")
    @classmethod
    def _no_system_role(cls, value: Any) -> Any:
        if value in ("system", "developer"):
            raise _error(
                "system_message", "system messages are not allowed: the eval runner supplies the instructions"
            )
        return value

    @model_validator(mode="after")
    def _fields_fit_the_role(self) -> CaseMessage:
        if self.role != "assistant" and self.tool_calls is not None:
            raise _error("role_fields", "only assistant messages have tool_calls", ("tool_calls",))
        if self.role != "tool" and self.tool_call_id is not None:
            raise _error("role_fields", "only tool messages have a tool_call_id", ("tool_call_id",))
        if self.role == "tool" and not self.tool_call_id:
            raise _error("role_fields", "required for a tool message", ("tool_call_id",))
        if self.role in ("user", "tool") and self.content is None:
            raise _error("role_fields", f"required for a {self.role} message", ("content",))
        if self.role == "user" and not (self.content or "").strip():
            raise _error("role_fields", "a user message needs text", ("content",))
        if self.role == "assistant" and not self.content and not self.tool_calls:
            raise _error("role_fields", "an assistant message needs content or tool_calls", ("content",))
        return self

    def to_openai(self) -> dict[str, Any]:
        """The message as the OpenAI API takes it (assistant ``content`` stays, even when null)."""
        message: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.name is not None:
            message["name"] = self.name
        if self.tool_calls:
            message["tool_calls"] = [call.model_dump() for call in self.tool_calls]
        if self.tool_call_id is not None:
            message["tool_call_id"] = self.tool_call_id
        return message


class ExpectedDecision(_Strict):
    """The labeled decision: escalate or not and, when escalating, the priority (and any others accepted)."""

    escalate: bool
    priority: Priority | None = Field(default=None, validate_default=True)
    acceptable_priorities: list[Priority] | None = Field(default=None, validate_default=True)

    @field_validator("priority")
    @classmethod
    def _priority_iff_escalate(cls, value: Priority | None, info: ValidationInfo) -> Priority | None:
        escalate = info.data.get("escalate")
        if escalate is True and value is None:
            raise _error("priority_required", "required when escalate is true")
        if escalate is False and value is not None:
            raise _error("priority_forbidden", "must be absent when escalate is false")
        return value

    @field_validator("acceptable_priorities")
    @classmethod
    def _acceptable_includes_priority(
        cls, value: list[Priority] | None, info: ValidationInfo
    ) -> list[Priority] | None:
        if value is None:
            return None
        if info.data.get("escalate") is False:
            raise _error("acceptable_forbidden", "must be absent when escalate is false")
        if len(set(value)) != len(value):
            raise _error("acceptable_duplicates", "lists a priority twice")
        priority = info.data.get("priority")
        if priority is not None and priority not in value:
            raise _error("acceptable_missing", f"must contain the priority {priority!r}")
        return value

    @property
    def accepted(self) -> frozenset[Priority]:
        """Every priority a prediction may have to count as right (empty when the case must not escalate)."""
        if self.acceptable_priorities:
            return frozenset(self.acceptable_priorities)
        return frozenset([self.priority]) if self.priority else frozenset()


class EscalationCase(_Strict):
    """A conversation up to the decision point and the labeled escalation decision."""

    id: str
    conversation: list[CaseMessage] = Field(min_length=1)
    expected: ExpectedDecision
    tags: list[str] = Field(default_factory=list)
    split: Split | None = None
    domain: str | None = None
    language: str = "en"
    notes: str = ""

    @field_validator("id")
    @classmethod
    def _id_is_a_slug(cls, value: str) -> str:
        return _match(_ID_PATTERN, value, "use lowercase letters and digits joined by '-', '_' or '.'")

    @field_validator("domain")
    @classmethod
    def _domain_is_a_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _match(_DOMAIN_PATTERN, value, "use a lowercase name like 'shop' or 'saas_billing'")

    @field_validator("language")
    @classmethod
    def _language_is_a_code(cls, value: str) -> str:
        return _match(_LANGUAGE_PATTERN, value, "use a language code like 'en', 'es' or 'pt-BR'")

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_are_known(cls, value: Any, info: ValidationInfo) -> Any:
        known = _known_tags(info)
        if isinstance(value, list):
            for index, tag in enumerate(value):
                if tag not in known:
                    hint = "see agentkit.evals.TAGS, or declare it under '## Custom tags' in the dataset's CARD.md"
                    raise _error("unknown_tag", f"unknown tag {tag!r}; {hint}", (index,))
                if tag in value[:index]:
                    raise _error("duplicate_tag", f"tag {tag!r} is listed twice", (index,))
        return value

    @field_validator("conversation")
    @classmethod
    def _conversation_is_well_formed(cls, value: list[CaseMessage]) -> list[CaseMessage]:
        _check_tool_results(value)
        if value[-1].role != "user":
            raise _error("last_message", "the last message must be from the user", (len(value) - 1, "role"))
        return value

    @model_validator(mode="after")
    def _tags_agree_with_label(self, info: ValidationInfo) -> EscalationCase:
        known = _known_tags(info)
        for index, tag in enumerate(self.tags):
            implied = known[tag].implies_escalate
            if implied is not None and implied != self.expected.escalate:
                want = "escalate" if implied else "not escalate"
                raise _error(
                    "tag_label",
                    f"{tag!r} marks a case that must {want}; check expected.escalate",
                    ("tags", index),
                )
        if "ambiguous_priority" in self.tags and len(self.expected.accepted) < 2:
            raise _error(
                "tag_label",
                "'ambiguous_priority' needs two or more acceptable_priorities",
                ("expected", "acceptable_priorities"),
            )
        return self

    @property
    def has_bot_turn(self) -> bool:
        """True when the bot spoke (or called a tool) before the decision point: a multi-turn case."""
        return any(message.role == "assistant" for message in self.conversation)

    def messages(self) -> list[dict[str, Any]]:
        """The conversation as OpenAI chat messages, ready to follow the runner's system message."""
        return [message.to_openai() for message in self.conversation]

    def to_json_line(self) -> str:
        """The case as one canonical JSONL line (what ``dump_cases`` writes)."""
        expected: dict[str, Any] = {"escalate": self.expected.escalate}
        if self.expected.priority is not None:
            expected["priority"] = self.expected.priority
        if self.expected.acceptable_priorities is not None:
            expected["acceptable_priorities"] = self.expected.acceptable_priorities
        record = {
            "id": self.id,
            "conversation": self.messages(),
            "expected": expected,
            "tags": self.tags,
            "split": self.split,
            "domain": self.domain,
            "language": self.language,
            "notes": self.notes,
        }
        optional = ("split", "domain")  # absent rather than null: the line reads as it was written
        return json.dumps({k: v for k, v in record.items() if v is not None or k not in optional}, ensure_ascii=False)


def _match(pattern: re.Pattern[str], value: str, hint: str) -> str:
    if not pattern.match(value):
        raise _error("format", f"{value!r} is not valid: {hint}")
    return value


def _check_tool_results(messages: list[CaseMessage]) -> None:
    """Every tool call is answered by a tool message right after it, as the OpenAI API requires."""
    pending: dict[str, int] = {}
    for index, message in enumerate(messages):
        if message.role == "tool":
            if message.tool_call_id not in pending:
                text = "answers no pending tool call of the assistant message before it"
                raise _error("tool_result", text, (index, "tool_call_id"))
            del pending[message.tool_call_id]
            continue
        if pending:
            text = f"tool call {', '.join(sorted(pending))} has no tool message; one must follow the call"
            raise _error("tool_result", text, (index, "role"))
        for call in message.tool_calls or []:
            if call.id in pending:
                raise _error("tool_result", f"tool call id {call.id!r} is used twice", (index, "tool_calls"))
            pending[call.id] = index


def load_cases(path: str | Path, *, tags: Mapping[str, TagInfo] | None = None) -> list[EscalationCase]:
    """Load one ``.jsonl`` file, or every ``.jsonl`` file under a folder (sorted by path).

    Custom tags are those declared in the ``CARD.md`` of the folder (of the file's folder, for a file), plus
    ``tags``. Raises ``DatasetError`` listing every problem found: ``file:line: field: message``, invalid JSON,
    and duplicate ids (naming both places).
    """
    problems: list[Problem] = []
    cases: list[EscalationCase] = []
    first_seen: dict[str, str] = {}
    root = Path(path)
    context = {"tags": {**card_tags((root if root.is_dir() else root.parent) / CARD_FILE), **(tags or {})}}
    for file in _jsonl_files(root):
        for line, record in _read_records(file, problems):
            case_id = record.get("id")
            if isinstance(case_id, str) and case_id in first_seen:
                text = f"duplicate id {case_id!r} (first at {first_seen[case_id]})"
                problems.append(Problem(str(file), line, "id", text))
            elif isinstance(case_id, str):
                first_seen[case_id] = f"{file}:{line}"
            case = _validate(record, str(file), line, problems, context)
            if case is not None:
                cases.append(case)
    if problems:
        raise DatasetError(problems)
    return cases


def _jsonl_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.exists():
        raise DatasetError([Problem(str(root), None, None, "no such file or folder")])
    files = sorted(p for p in root.rglob("*.jsonl") if p.is_file())
    if not files:
        raise DatasetError([Problem(str(root), None, None, "no .jsonl files in this folder")])
    return files


def _read_records(file: Path, problems: list[Problem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The JSON objects of a file with their line numbers; blank lines are skipped, bad lines reported."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(file), None, None, f"not UTF-8 text (byte {exc.start})"))
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(file), number, None, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        if isinstance(record, dict):
            yield number, record
        else:
            kind = _JSON_TYPE_NAMES.get(type(record), type(record).__name__)
            problems.append(Problem(str(file), number, None, f"expected a JSON object, got {kind}"))


_JSON_TYPE_NAMES: dict[type, str] = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def _validate(
    record: dict[str, Any], file: str, line: int, problems: list[Problem], context: dict[str, Any]
) -> EscalationCase | None:
    try:
        return EscalationCase.model_validate(record, context=context)
    except ValidationError as exc:
        problems.extend(Problem(file, line, field, message) for field, message in _describe(exc))
        return None


def _describe(exc: ValidationError) -> Iterator[tuple[str, str]]:
    for error in exc.errors(include_url=False):
        context = error.get("ctx") or {}
        location = tuple(error["loc"]) + tuple(context.get("at", ()))
        message = "unknown field; check its spelling" if error["type"] == "extra_forbidden" else error["msg"]
        if error["type"] in ("literal_error", "bool_type", "string_type", "bool_parsing"):
            message = f"{message} (got {_short_repr(error['input'])})"
        yield _dotted(location) or "(case)", message


def _dotted(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def dump_cases(cases: Iterable[EscalationCase], path: str | Path) -> None:
    """Write cases to one JSONL file, one canonical line each (``load_cases`` reads it back unchanged)."""
    lines = [case.to_json_line() + "\n" for case in cases]
    Path(path).write_text("".join(lines), encoding="utf-8")


def filter_cases(
    cases: Iterable[EscalationCase],
    *,
    split: Split | None = None,
    tags: Iterable[str] | None = None,
    domain: str | None = None,
    language: str | None = None,
    escalate: bool | None = None,
) -> list[EscalationCase]:
    """The cases matching every given criterion; ``tags`` keeps a case carrying any one of the tags."""
    if split is not None and split not in SPLITS:
        raise UserError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    cases = list(cases)
    wanted = set(tags) if tags is not None else None
    used = {tag for case in cases for tag in case.tags}  # custom tags of the dataset count as known
    unknown = sorted(wanted - set(TAGS) - used) if wanted is not None else []
    if unknown:
        raise UserError(f"unknown tags {unknown}: see agentkit.evals.TAGS for the vocabulary")
    return [
        case
        for case in cases
        if (split is None or case.split == split)
        and (wanted is None or wanted.intersection(case.tags))
        and (domain is None or case.domain == domain)
        and (language is None or case.language == language)
        and (escalate is None or case.expected.escalate == escalate)
    ]
