"""No package imports another package's private ``_module``: siblings use each other's public names (``__init__``).

Tests follow the same rule: a test under ``tests/<package>/`` may reach into ``agentkit.<package>``'s private
modules (it tests them), and into no other package's. ``WHITE_BOX`` lists the few tests that look at another
package's tables on purpose, and why.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import agentkit

PACKAGE = Path(agentkit.__file__).parent
TESTS = Path(__file__).parent
WHITE_BOX = {
    "storage/test_concurrency.py": "concurrent writers on every store's SQL (runtime messages, HITL sessions, outbox)",
    "storage/test_two_workers.py": "reads the runtime's message table as a second worker would",
    "storage/fixtures/v0_1_0/make_fixtures.py": "the script that wrote the 0.1.0 fixtures with that release's loader",
    "hitl/test_lifecycle_handoff.py": "checks what the model is given back, from the runtime's table",
    "server/test_server_edges.py": "shortens the desk's body timeout to send a body that never ends",
    "server/test_server_file_modes.py": "the serve command's checks (agentkit.cli), beside the server they guard",
    "server/test_server_hardening.py": "the serve command's connection options (agentkit.cli), beside the server",
    "server/test_server_quotas.py": "the serve command's quota options (agentkit.cli), beside the server",
    "server/test_notified_streams.py": "keeps PostgreSQL's listener (agentkit.storage) down: streams poll meanwhile",
    "server/test_notified_handoff_notice.py": "a conditional post stored as the runtime stores it (agentkit.runtime), "
    "and another worker's catch-up reads off: only a notification brings a message",
    "server/test_round_trips_per_message.py": "counts the round trips of PostgreSQL's batches (agentkit.storage) per "
    "webchat message",
}


def imported_modules(path: Path, module: str) -> list[tuple[int, str]]:
    """``(line, dotted name)`` of everything ``path`` (the module ``module``) imports, relative imports resolved."""
    found = []
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def private_owner(name: str) -> str | None:
    """``"agentkit.hitl"`` for ``agentkit.hitl._state.x``: the package whose private module is named; else None."""
    parts = name.split(".")
    if parts[0] != "agentkit":
        return None
    private = next((i for i, part in enumerate(parts) if part.startswith("_") and not part.startswith("__")), None)
    return ".".join(parts[:2]) if private is not None and private >= 1 else None


def _offences(path: Path, module: str, own_package: str | None) -> list[str]:
    return [
        f"{path}:{line} imports {name}"
        for line, name in imported_modules(path, module)
        if (owner := private_owner(name)) is not None and owner != own_package
    ]


def test_no_package_imports_another_packages_private_module() -> None:
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        own = ".".join(parts[:2]) if len(parts) > 2 or (len(parts) == 2 and path.name == "__init__.py") else None
        offences += _offences(path, module, own)
    assert not offences, "export what siblings need from the package's __init__:\n" + "\n".join(offences)


def test_tests_reach_only_into_the_package_they_test() -> None:
    offences = []
    for path in sorted(TESTS.rglob("*.py")):
        relative = path.relative_to(TESTS)
        if relative.as_posix() in WHITE_BOX:
            continue
        folder = relative.parts[0] if len(relative.parts) > 1 else None
        own = f"agentkit.{folder}" if folder else None
        offences += _offences(path, "tests." + ".".join(relative.with_suffix("").parts), own)
    assert not offences, "use the package's public names:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    ("source", "module", "own", "found"),
    [
        ("from ..hitl._state import x", "agentkit.runtime._agent", "agentkit.runtime", True),
        ("from agentkit.hitl import _outbox", "tests.storage.t", "agentkit.storage", True),
        ("from ._state import x", "agentkit.hitl._plugin", "agentkit.hitl", False),
        ("from ..hitl import HitlPlugin", "agentkit.runtime._agent", "agentkit.runtime", False),
        ("import agentkit.models._openai", "tests.models.t", "agentkit.models", False),
    ],
)
def test_the_check_sees_private_imports(source: str, module: str, own: str, found: bool, tmp_path: Path) -> None:
    path = tmp_path / "module.py"
    path.write_text(source + "\n")
    assert bool(_offences(path, module, own)) is found
