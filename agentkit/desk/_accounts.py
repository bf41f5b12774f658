"""The desk's accounts: human agents who sign in, and the bots registered to open tickets.

The desk app talks to ``AccountStore`` (a protocol). ``DeskAccounts`` keeps it on the shared storage layer: by
default one small SQLite file beside the desk (``.agentkit/server.sqlite3``), or the PostgreSQL database that
several workers share (``agentkit serve --db postgresql://...``), with the desk's sessions and failed sign-ins
(``_sessions``), so every worker revokes and throttles alike.
Secrets are stored hashed: passwords with scrypt (on their own executor), tokens and session ids with SHA-256.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from ..exceptions import ConfigError
from ..storage import AsyncDatabase, migrate, open_database, parse_url
from . import _sessions as sessions
from ._account_migrations import ACCOUNTS_MIGRATIONS
from ._passwords import check_password
from ._security import (
    PASSWORD_COST,
    PASSWORD_HASHING,
    hash_password,
    hash_token,
    needs_rehash,
    new_token,
    verify_password,
)

__all__ = ["NAME_PATTERN", "AccountStore", "DeskAccounts", "check_name"]

logger = logging.getLogger("agentkit.desk")

T = TypeVar("T")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)


@functools.cache
def _dummy_hash(cost: int) -> str:
    """Checked when nobody has that name, so a wrong name takes as long as a wrong password (no account probing)."""
    return hash_password("not a password", salt=b"agentkit-dummy-s", cost=cost)



def check_name(name: str, what: str = "agent") -> str:
    if not _NAME.match(name or ""):
        raise ConfigError(f"{what} name {name!r} is not valid: use 1-64 letters, digits, spaces, '.', '_', '@' or '-'")
    return name


class AccountStore(Protocol):
    async def add_agent(self, name: str, password: str, *, replace: bool = False) -> None: ...

    async def check_agent(self, name: str, password: str) -> bool:
        """True when ``name`` exists and ``password`` is its password."""
        ...

    async def agent_names(self) -> list[str]: ...

    async def add_bot(self, name: str, *, replace: bool = False) -> str:
        """Register a bot; returns its new token (shown once: only its hash is kept)."""
        ...

    async def bot_for_token(self, token: str) -> str | None: ...

    async def bots(self) -> list[tuple[str, float]]:
        """The registered bots: ``(name, registered_at)``, by name."""
        ...

    async def revoke_bot(self, name: str) -> bool:
        """Forget the bot and its token (it can open no more tickets); False if it was not registered."""
        ...

    async def remove_agent(self, name: str) -> bool:
        """Delete the account and sign it out everywhere; False when there was none."""
        ...

    async def start_session(self, agent: str, *, lifetime: float) -> str:
        """A new session of ``agent``; its id (kept hashed)."""
        ...

    async def check_session(self, session_id: str, agent: str, *, idle: float, lifetime: float) -> bool:
        """True while the session is open (not signed out, revoked, idle or too old); it counts as a use."""
        ...

    async def end_session(self, session_id: str) -> None: ...

    async def signin_failures(
        self, account: str, address: str, windows: tuple[float, float, float]
    ) -> sessions.Failures: ...

    async def record_signin(self, account: str, address: str, *, succeeded: bool) -> None: ...

    async def aclose(self) -> None: ...


class DeskAccounts:
    """``AccountStore`` on the shared storage layer: a SQLite file (or ``":memory:"``), ``sqlite:///path``, or
    ``postgresql://...``, so several ``agentkit serve`` workers on one PostgreSQL share accounts and tokens.
    Calls run in worker threads; the database serialises or locks what needs it."""

    def __init__(self, url_or_path: str | os.PathLike[str] = ":memory:", *, password_cost: int = PASSWORD_COST) -> None:
        self.location = parse_url(url_or_path)
        self.path = self.location.target
        self.password_cost = password_cost
        """log2 of scrypt's N for new hashes; a stored hash below it is redone at the agent's next sign-in."""
        self._db = open_database(url_or_path)
        self._db.open()
        try:
            migrate(self._db, [ACCOUNTS_MIGRATIONS])
        except BaseException:  # a database newer than this code, say: let go of the connection
            self._db.close()
            raise
        self._async = AsyncDatabase(self._db)

    @property
    def database(self) -> AsyncDatabase:
        """The store's database, for other tables of the same server to share (one writer per SQLite file)."""
        return self._async

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._async.call(fn, *args)  # on the database's own threads: the driver blocks

    async def _hashing(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(PASSWORD_HASHING, fn, *args)

    def _write(self, fn: Callable[..., T], *args: Any) -> T:
        with self._db.transaction() as db:
            return fn(db, *args)

    def _one(self, sql: str, args: tuple[Any, ...]) -> Any:
        with self._db.transaction(write=False) as db:
            return db.execute(sql, args).fetchone()

    # -- desk agents --

    async def add_agent(self, name: str, password: str, *, replace: bool = False) -> None:
        """Create the account (or, with ``replace``, set its new password and sign it out everywhere)."""
        check_name(name)
        check_password(password)
        password_hash = await self._hashing(functools.partial(hash_password, password, cost=self.password_cost))
        await self._run(self._add_agent, name, password_hash, replace)

    def _add_agent(self, name: str, password_hash: str, replace: bool) -> None:
        with self._db.transaction() as db:  # one transaction: a new password never leaves the old sessions open
            if not self._insert_named(db, "desk_agents", "password_hash", name, password_hash, replace):
                raise ConfigError(f"desk agent {name!r} exists already; pass --replace to set a new password")
            if replace:
                sessions.delete_sessions(db, name)

    async def remove_agent(self, name: str) -> bool:
        return await self._run(self._write, self._remove_agent, name)

    @staticmethod
    def _remove_agent(db: Any, name: str) -> bool:
        sessions.delete_sessions(db, name)
        return bool(db.execute("DELETE FROM desk_agents WHERE name = ?", (name,)).rowcount)

    @staticmethod
    def _insert_named(db: Any, table: str, column: str, name: str, value: str, replace: bool) -> bool:
        """Insert ``name`` with ``value`` (or overwrite it when ``replace``); False when it existed and was kept.
        One statement, so two workers adding the same name at once on PostgreSQL cannot both "create" it."""
        on_conflict = f"DO UPDATE SET {column} = excluded.{column}" if replace else "DO NOTHING"
        return bool(
            db.execute(
                f"INSERT INTO {table} (name, {column}, created_at) VALUES (?, ?, ?) ON CONFLICT (name) {on_conflict}",
                (name, value, time.time()),
            ).rowcount
        )

    async def check_agent(self, name: str, password: str) -> bool:
        row = await self._run(self._one, "SELECT password_hash FROM desk_agents WHERE name = ?", (name,))
        stored = _dummy_hash(self.password_cost) if row is None else str(row["password_hash"])
        matches = await self._hashing(verify_password, password, stored)
        if matches and row is not None and needs_rehash(stored, cost=self.password_cost):
            await self._rehash(name, password, stored)
        return matches and row is not None

    async def _rehash(self, name: str, password: str, stored: str) -> None:
        """An older, cheaper hash is replaced while the password is at hand (only if nobody changed it since)."""
        new = await self._hashing(functools.partial(hash_password, password, cost=self.password_cost))
        sql = "UPDATE desk_agents SET password_hash = ? WHERE name = ? AND password_hash = ?"
        await self._run(self._write, lambda db: db.execute(sql, (new, name, stored)))
        logger.info("desk agent %r: password hash upgraded to scrypt N=2**%s", name, self.password_cost)

    # -- sessions and sign-in failures (see _sessions) --

    async def start_session(self, agent: str, *, lifetime: float) -> str:
        session_id = new_token()
        await self._run(self._write, sessions.start_session, session_id, agent, time.time(), lifetime)
        return session_id

    async def check_session(self, session_id: str, agent: str, *, idle: float, lifetime: float) -> bool:
        if not session_id:
            return False
        touch = functools.partial(sessions.touch_session, idle=idle, lifetime=lifetime)
        return await self._run(self._write, touch, session_id, agent, time.time())

    async def end_session(self, session_id: str) -> None:
        await self._run(self._write, sessions.end_session, session_id)

    async def signin_failures(
        self, account: str, address: str, windows: tuple[float, float, float]
    ) -> sessions.Failures:
        count = functools.partial(sessions.count_failures, windows=windows)
        return await self._run(self._write, count, account, address, time.time())

    async def record_signin(self, account: str, address: str, *, succeeded: bool) -> None:
        if succeeded:
            await self._run(self._write, sessions.clear_failures, account)
        else:
            await self._run(self._write, sessions.record_failure, account, address, time.time())

    async def agent_names(self) -> list[str]:
        return await self._run(self._agent_names)

    def _agent_names(self) -> list[str]:
        with self._db.transaction(write=False) as db:
            return [str(r["name"]) for r in db.execute("SELECT name FROM desk_agents ORDER BY name")]

    # -- bots --

    async def add_bot(self, name: str, *, replace: bool = False) -> str:
        check_name(name, "bot")
        token = f"akbot_{new_token()}"
        await self._run(self._add_bot, name, hash_token(token), replace)
        return token

    def _add_bot(self, name: str, token_hash: str, replace: bool) -> None:
        if not self._write(self._insert_named, "desk_bots", "token_hash", name, token_hash, replace):
            raise ConfigError(f"bot {name!r} is registered already; pass --replace to issue a new token")

    async def bot_for_token(self, token: str) -> str | None:
        row = await self._run(self._one, "SELECT name FROM desk_bots WHERE token_hash = ?", (hash_token(token),))
        return None if row is None else str(row["name"])

    async def bots(self) -> list[tuple[str, float]]:
        return await self._run(self._bots)

    def _bots(self) -> list[tuple[str, float]]:
        with self._db.transaction(write=False) as db:
            return [(str(r["name"]), float(r["created_at"])) for r in db.execute(
                "SELECT name, created_at FROM desk_bots ORDER BY name")]  # fmt: skip

    async def revoke_bot(self, name: str) -> bool:
        return await self._run(self._revoke_bot, name)

    def _revoke_bot(self, name: str) -> bool:
        with self._db.transaction() as db:
            return bool(db.execute("DELETE FROM desk_bots WHERE name = ?", (name,)).rowcount)

    async def aclose(self) -> None:
        await self._async.aclose()
