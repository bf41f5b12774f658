"""``agentkit db``: where a database's schema stands (``status``) and bringing it to this agentkit's (``upgrade``).

The target is a store URL (``postgresql://...``, ``sqlite:///bot.sqlite3``, a path) or a data folder, whose SQLite
files (``*.sqlite3``, ``*.db``) are each looked at. Every store also upgrades itself when it opens; ``upgrade`` is
for doing it ahead, on purpose, and ``--dry-run`` says what it would do without changing anything.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..exceptions import ConfigError
from ..storage import Component, ComponentStatus, Database, migrate, open_database, parse_url, redact, status

__all__ = ["components", "register"]


def components() -> list[Component]:
    """Every component agentkit keeps tables for, in the order their code opens them (a test finds them all)."""
    from ..desk import ACCOUNTS_MIGRATIONS, DESK_MIGRATIONS, LABELLING_MIGRATIONS
    from ..hitl import HITL_MIGRATIONS
    from ..runtime import RUNTIME_MIGRATIONS
    from ..server import QUOTA_MIGRATIONS

    server = [ACCOUNTS_MIGRATIONS, QUOTA_MIGRATIONS, LABELLING_MIGRATIONS]  # serve's own store holds these
    return [RUNTIME_MIGRATIONS, HITL_MIGRATIONS, DESK_MIGRATIONS, *server]


def register(commands: Any) -> None:
    parser = commands.add_parser("db", help="database schema: status, upgrade", description=__doc__)
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    show = actions.add_parser("status", help="each component's schema version, and what an upgrade would apply")
    show.set_defaults(run=_status)
    upgrade = actions.add_parser("upgrade", help="apply the pending migrations (each database in one transaction)")
    upgrade.add_argument("--dry-run", action="store_true", help="say what would be applied; change nothing")
    upgrade.set_defaults(run=_upgrade)
    for action in (show, upgrade):
        action.add_argument(
            "target", metavar="STORE_URL_OR_FOLDER", help="postgresql://..., sqlite:///x.sqlite3, a file, or a folder"
        )


def _status(args: argparse.Namespace) -> int:
    for url in targets(args.target):
        with _opened(url) as database:
            found = status(database, components())
        print(redact(url))
        _print_status(found)
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    for url in targets(args.target):
        with _opened(url) as database:
            found = [s for s in status(database, components()) if s.present]
            print(redact(url))
            if not any(s.pending or not s.recorded for s in found):
                print("  up to date" if found else "  no agentkit tables: nothing to upgrade")
            elif args.dry_run:
                _print_plan(found)
            else:
                for name, migration in migrate(database, [s.component for s in found]):
                    print(f"  {name:<9} applied {migration.version}: {migration.description}")
    return 0


def _print_status(found: Sequence[ComponentStatus]) -> None:
    present = [s for s in found if s.present]
    if not present:
        print("  no agentkit tables")
    for item in present:
        state = "up to date" if not item.pending else f"{len(item.pending)} pending: agentkit db upgrade"
        if not item.recorded:
            state = f"0.1.0 tables, not recorded yet; {state if item.pending else 'agentkit db upgrade records them'}"
        print(f"  {item.component.name:<9} version {item.current} of {item.component.latest}   {state}")


def _print_plan(found: Sequence[ComponentStatus]) -> None:
    for item in found:
        if not item.recorded:
            print(f"  {item.component.name:<9} would record version 1 (its 0.1.0 tables are there)")
        for migration in item.pending:
            print(f"  {item.component.name:<9} would apply {migration.version}: {migration.description}")
    print("  (dry run: nothing was changed)")


def targets(target: str) -> list[str]:
    """The databases ``target`` names: itself, or the SQLite files of a folder."""
    location = parse_url(target)
    if location.backend == "postgresql":
        return [target]
    path = Path(location.target)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".sqlite3", ".db") and p.is_file())
        if not files:
            raise ConfigError(f"the folder {target} holds no SQLite files (*.sqlite3, *.db); give a store URL or file")
        return [str(p) for p in files]
    if location.target == ":memory:" or not path.is_file():
        raise ConfigError(f"no database at {target}: give a data folder, a SQLite file or a postgresql:// URL")
    return [target]


@contextmanager
def _opened(url: str) -> Iterator[Database]:
    database = open_database(url)
    database.open()
    try:
        yield database
    finally:
        database.close()
