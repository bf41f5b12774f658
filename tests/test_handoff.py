"""The handoff vocabulary is declared once: ``agentkit.handoff``; the other layers import it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import agentkit
from agentkit.desk import LocalDesk
from agentkit.handoff import HANDOFF_TOOL_NAME, PRIORITIES, ROLES, TranscriptLine, User
from agentkit.hitl import hand_to_support
from agentkit.hitl.providers import FRESHDESK_PRIORITIES, ZENDESK_PRIORITIES

PACKAGE = Path(agentkit.__file__).parent
# The places that map the priorities to a helpdesk's own values.
PRIORITY_MAPS = {"hitl/providers/_zendesk.py", "hitl/providers/_freshdesk.py"}


def _modules() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(PACKAGE)), ast.parse(p.read_text(), str(p))) for p in sorted(PACKAGE.rglob("*.py"))]


def _spelled_priorities(node: ast.AST) -> bool:
    """A tuple, list, set, Literal[...] or dict literal naming three or more of the priorities."""
    items: list[ast.expr | None] = []
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = list(node.elts)
    elif isinstance(node, ast.Dict):
        items = list(node.keys)
    named = {i.value for i in items if isinstance(i, ast.Constant) and i.value in PRIORITIES}
    return len(named) >= 3


def test_the_priority_list_is_spelled_out_only_in_the_vocabulary_and_the_helpdesk_maps() -> None:
    places = [
        f"{path}:{node.lineno}"
        for path, module in _modules()
        for node in ast.walk(module)
        if _spelled_priorities(node) and path != "handoff.py" and path not in PRIORITY_MAPS
    ]
    assert places == [], "import Priority / PRIORITIES from agentkit.handoff instead"


def test_the_desk_pages_and_scripts_do_not_spell_the_priority_list() -> None:
    """The inbox filter and the labelling form render their choices from PRIORITIES (a fifth priority shows up
    there by itself); the labelling keys 1-4 count the form's radios."""
    spelled = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*"))
        if path.suffix in {".html", ".js"}
        and sum(re.search(rf"\b{priority}\b", path.read_text()) is not None for priority in PRIORITIES) >= 3
    ]
    assert spelled == [], "render the priorities from agentkit.handoff.PRIORITIES"


def test_the_handoff_tool_name_is_written_only_in_the_vocabulary() -> None:
    places = [
        f"{path}:{node.lineno}"
        for path, module in _modules()
        for node in ast.walk(module)
        if isinstance(node, ast.Constant) and node.value == "handToSupport" and path != "handoff.py"
    ]
    assert places == [], "use agentkit.handoff.HANDOFF_TOOL_NAME"


def test_the_vocabulary_is_a_leaf_that_imports_nothing_of_agentkit_but_exceptions() -> None:
    module = ast.parse((PACKAGE / "handoff.py").read_text())
    imported = {n.module for n in ast.walk(module) if isinstance(n, ast.ImportFrom) and n.module}
    assert {m for m in imported if m.startswith("agentkit") or m.startswith(".")} <= {"agentkit.exceptions"}


def test_values_in_order_and_the_defaults_that_use_them() -> None:
    assert PRIORITIES == ("low", "medium", "high", "urgent")
    assert ROLES == ("user", "bot", "agent", "system")
    assert hand_to_support().name == HANDOFF_TOOL_NAME == "handToSupport"
    schema = hand_to_support().spec()["function"]["parameters"]["properties"]["priority"]
    assert schema["enum"] == list(PRIORITIES)


def test_every_priority_has_a_value_in_each_helpdesk_map() -> None:
    assert set(ZENDESK_PRIORITIES) == set(FRESHDESK_PRIORITIES) == set(PRIORITIES)


async def test_the_desk_keeps_the_shared_user_and_transcript_line_as_they_are() -> None:
    user = User("u-1", "Bob Stone", "bob@example.com")
    line = TranscriptLine("user", "I was charged twice", 1.0)
    async with LocalDesk() as desk:
        created = await desk.create_ticket(
            conversation_id="c1", idempotency_key="k1", title="Refund", description="d",
            priority="high", user=user, transcript=[line],
        )  # fmt: skip
        ticket = await desk.ticket(created.id)
    assert ticket.user == user and ticket.transcript == (line,)
