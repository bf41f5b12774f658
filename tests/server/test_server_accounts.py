"""Accounts and secrets: scrypt passwords, signed sessions, conversation tokens, and the registry of bots that may
open tickets on the desk."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from agentkit.desk import SessionSigner
from agentkit.exceptions import ConfigError
from agentkit.hitl import DeskHitl, ProviderError
from agentkit.runtime import Agent
from agentkit.server import BotTokenDesk, DatabaseServerStore, hash_password, verify_password


def test_passwords_are_salted_scrypt_hashes() -> None:
    first, second = hash_password("s3cret-pass", cost=14), hash_password("s3cret-pass", cost=14)
    assert first.startswith("scrypt$16384$8$1$") and first != second  # a salt per hash
    assert hash_password("s3cret-pass").startswith("scrypt$131072$8$1$")  # by default OWASP's N=2**17
    assert verify_password("s3cret-pass", first) and verify_password("s3cret-pass", second)
    assert not verify_password("s3cret-Pass", first)
    assert not verify_password("s3cret-pass", "md5$abc") and not verify_password("s3cret-pass", "garbage")


def test_session_cookies_are_signed() -> None:
    signer = SessionSigner("k" * 32)
    cookie, session = signer.issue("ana")
    assert signer.read(cookie) == session
    assert SessionSigner("other-key" * 4).read(cookie) is None
    assert signer.read(cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")) is None
    assert signer.read("") is None and signer.read("no-dot") is None and signer.read("a.b") is None
    with pytest.raises(ValueError, match="at least 16 bytes"):
        SessionSigner("short")


def test_a_session_cookie_issued_in_the_future_is_refused() -> None:
    signer = SessionSigner("k" * 32)
    future, _ = signer.issue("ana", now=time.time() + 3600)  # would otherwise never expire
    assert signer.read(future) is None
    skewed, session = signer.issue("ana", now=time.time() + 5)  # another worker's clock, a little ahead
    assert signer.read(skewed) == session


async def test_accounts_and_conversation_tokens(tmp_path: Path) -> None:
    store = DatabaseServerStore(tmp_path / "server.sqlite3", password_cost=14)
    try:
        await store.add_agent("ana", "correct horse")
        assert await store.check_agent("ana", "correct horse")
        assert not await store.check_agent("ana", "wrong horse") and not await store.check_agent("bob", "x")
        with pytest.raises(ConfigError, match="exists already; pass --replace"):
            await store.add_agent("ana", "another horse")
        await store.add_agent("ana", "another horse", replace=True)
        assert await store.check_agent("ana", "another horse") and not await store.check_agent("ana", "correct horse")
        for weak, problem in (("short", "at least 12"), ("abcabcabcabca", "different characters"),
                              ("Password1234", "common passwords"), ("qwerty123456!", "common passwords")):
            with pytest.raises(ConfigError, match=problem):
                await store.add_agent("ben", weak)
        assert await store.agent_names() == ["ana"]
        with pytest.raises(ConfigError, match="not valid"):
            await store.add_agent("<script>", "long enough")
        conversation_id, token = await store.create_conversation({"name": "Jo"})
        assert await store.conversation_user(conversation_id, token) == {"name": "Jo"}
        assert await store.conversation_user(conversation_id, token + "x") is None
        assert await store.conversation_user("web-unknown", token) is None
        raw = (tmp_path / "server.sqlite3").read_bytes()
        assert token.encode() not in raw and b"another horse" not in raw  # only hashes are stored
    finally:
        await store.aclose()


async def test_conversation_tokens_are_checked_from_memory_once_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conversation's token and user never change, so a process reads them once: the creator not at all, another
    process (a second worker on the same database) on first use; a wrong token is refused either way."""
    path = tmp_path / "server.sqlite3"
    creator, other = DatabaseServerStore(path), DatabaseServerStore(path)
    reads: list[str] = []
    for store in (creator, other):

        def one(sql: str, args: tuple[Any, ...], original: Callable[..., Any] = store._one) -> Any:
            reads.append(sql)
            return original(sql, args)

        monkeypatch.setattr(store, "_one", one)
    try:
        conversation_id, token = await creator.create_conversation({"name": "Jo"})
        for _ in range(3):
            assert await creator.conversation_user(conversation_id, token) == {"name": "Jo"}
            assert await other.conversation_user(conversation_id, token) == {"name": "Jo"}
            assert await creator.conversation_user(conversation_id, "x" + token) is None
            assert await other.conversation_user(conversation_id, "x" + token) is None
        assert len(reads) == 1  # the other process's first check
        for store in (creator, other):  # what each keeps is its own: a caller changing its copy changes nothing
            user = await store.conversation_user(conversation_id, token)
            assert user is not None
            user["name"] = "changed by a caller"
            assert await store.conversation_user(conversation_id, token) == {"name": "Jo"}
        assert await other.conversation_user("web-unknown", token) is None  # unknown ids are read, never kept
        assert await other.conversation_user("web-unknown", token) is None
        assert len(reads) == 3
    finally:
        await creator.aclose()
        await other.aclose()


async def test_a_kept_user_with_lists_and_dicts_inside_is_copied_whole(tmp_path: Path) -> None:
    """A profile given by code other than the webchat may hold lists and dicts: what one caller changes inside its
    copy reaches neither the store's kept user nor the next caller (the creator's copy and another process's)."""
    path = tmp_path / "server.sqlite3"
    creator, other = DatabaseServerStore(path), DatabaseServerStore(path)
    given: dict[str, Any] = {"name": "Jo", "tags": ["vip"], "plan": {"tier": "pro"}}
    profile = {"name": "Jo", "tags": ["vip"], "plan": {"tier": "pro"}}
    try:
        conversation_id, token = await creator.create_conversation(profile)
        profile["tags"].append("given, then changed by the creator")
        for store in (creator, other):
            user = await store.conversation_user(conversation_id, token)
            assert user == given
            user["tags"].append("changed by a caller")
            user["plan"]["tier"] = "changed by a caller"
            assert await store.conversation_user(conversation_id, token) == given
    finally:
        await creator.aclose()
        await other.aclose()


async def test_an_unregistered_bot_cannot_open_tickets(tmp_path: Path) -> None:
    store = DatabaseServerStore(tmp_path / "server.sqlite3")
    for token, problem in ((None, "no bot token is set"), ("akbot_made-up", "token is not registered")):
        desk = BotTokenDesk(tmp_path / "desk.sqlite3", token=token, store=store)
        agent = Agent("support", "offline", plugins={"desk-hitl": DeskHitl(desk)}, store="sqlite://:memory:")
        async with agent:
            await agent.receive("c1", "hello")
            with pytest.raises(ProviderError) as refused:
                await agent.plugins["desk-hitl"].actions.start_hitl(conversation_id="c1", title="Needs a person")
            assert await agent.plugins["desk-hitl"].state("c1") == "ended"  # the bot keeps the conversation
        await desk.aclose()
        assert problem in str(refused.value)
        assert f"agentkit desk add-bot NAME --data {tmp_path}" in str(refused.value)
        assert "AGENTKIT_DESK_TOKEN" in str(refused.value) and not refused.value.retryable
    token = await store.add_bot("support-bot")
    desk = BotTokenDesk(tmp_path / "desk.sqlite3", token=token, store=store)
    agent = Agent("support", "offline", plugins={"desk-hitl": DeskHitl(desk)}, store="sqlite://:memory:")
    async with agent:
        await agent.receive("c1", "hello")
        started = await agent.plugins["desk-hitl"].actions.start_hitl(conversation_id="c1", title="Needs a person")
        assert started.status == "opened"
        assert [t.title for t in await desk.tickets()] == ["Needs a person"]
        assert await desk.check_bot() == "support-bot"
    await desk.aclose()
    await store.aclose()


async def test_an_older_password_hash_is_redone_at_the_next_sign_in(tmp_path: Path) -> None:
    old = DatabaseServerStore(tmp_path / "server.sqlite3", password_cost=14)  # as agentkit 0.1.0 hashed
    await old.add_agent("ana", "correct horse")
    await old.aclose()
    store = DatabaseServerStore(tmp_path / "server.sqlite3", password_cost=15)
    try:
        def stored() -> str:
            with closing(sqlite3.connect(tmp_path / "server.sqlite3")) as db:
                return str(db.execute("SELECT password_hash FROM desk_agents WHERE name = 'ana'").fetchone()[0])

        assert stored().startswith("scrypt$16384$")
        assert not await store.check_agent("ana", "wrong horse") and stored().startswith("scrypt$16384$")
        assert await store.check_agent("ana", "correct horse")
        assert stored().startswith("scrypt$32768$")  # rehashed at the cost the store now asks for
        assert await store.check_agent("ana", "correct horse")
    finally:
        await store.aclose()
