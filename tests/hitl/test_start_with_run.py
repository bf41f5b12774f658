"""A handoff sent from a tool that ends the turn completes its start (the helpdesk's id, the notice) in the
transaction that stores the model's run, not in one of its own: a write less per handoff. What the user sees, the
order of the stored messages and the guarantees are unchanged: one ticket, and a start sent but not completed (the
process died first) is sent again with the same idempotency key."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pydantic import BaseModel

from agentkit import Tool, context
from agentkit.exceptions import ToolError
from agentkit.hitl._delivery import Deliverer
from agentkit.hitl._memory import MemoryHitl
from agentkit.hitl._plugin import HitlPlugin
from agentkit.models import ScriptedModel, call
from agentkit.runtime import Agent, Conversation, HandlerContext, Store
from agentkit.storage import Connection
from agentkit.testing import eventually

from .lifecycle_helpers import FAST, HANDOFF, USER, texts
from .store_counts import count_store_runs, counted


class _Reason(BaseModel):
    reason: str


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The store's write transactions run under ``counted()`` (the turn's, not the background passes')."""
    return count_store_runs(monkeypatch, reads=False)


def escalation_tool(seen: list[tuple[str, int]], *, ends_turn: bool, fails: bool = False) -> Tool[_Reason]:
    """A hand-written handoff tool (as ``examples/support_bot.py``'s): ``seen`` gets where the start row stands as
    the tool returns (its status, maybe sent)."""

    async def escalate(args: _Reason) -> str:
        agent = context.get("agent")
        await agent.plugins["desk-hitl"].actions.start_hitl(context.get("conversation").id, args.reason)
        seen.append(await agent.store.run(_start_row, write=False))
        if fails:
            raise ToolError("the CRM is down")
        return "escalated"

    return Tool("escalate", "Hand the conversation to a person.", _Reason, escalate, ends_turn=ends_turn)


@asynccontextmanager
async def bot(
    store_url: str, tool: Tool[_Reason], *replies: Any, memory: MemoryHitl | None = None, **config: Any
) -> AsyncIterator[Agent]:
    async def handler(ctx: HandlerContext) -> None:
        await ctx.execute(instructions="You are a support bot.", tools=[tool])

    plugin = HitlPlugin(memory or MemoryHitl(), **FAST, **config)
    model = ScriptedModel([call("escalate", reason="Wants a person"), *replies])
    async with Agent("support", model, plugins={"desk-hitl": plugin}, conversation=Conversation(handler=handler),
                     store=store_url) as agent:  # fmt: skip
        yield agent


def _start_row(connection: Connection) -> tuple[str, int]:
    row = connection.execute("SELECT status, maybe_sent FROM hitl_outbox WHERE kind = 'start'").fetchone()
    return row["status"], int(row["maybe_sent"])


def _stored(connection: Connection) -> list[tuple[str, bool, str | None]]:
    """Every row of the conversation in order: its role, whether the user sees it, what the model sees."""
    rows = connection.execute("SELECT role, visible, model_json FROM messages WHERE conversation_id = 'c1' "
                              "ORDER BY seq").fetchall()  # fmt: skip
    return [(r["role"], bool(r["visible"]), r["model_json"] and r["model_json"][:20]) for r in rows]


async def test_a_start_sent_from_a_tool_that_ends_the_turn_is_completed_with_the_runs_messages(
    store_url: str, writes: Counter[str]
) -> None:
    """Three writes: the user's message, the open (with the start claimed), the start marked done with the
    helpdesk's id and the notice, together with the model's messages. Before s8-handoff, four: the completion in a
    transaction of its own, as the tool was still running. The notice is stored before the model's messages, as
    it was (it was written first)."""
    seen: list[tuple[str, int]] = []
    memory = MemoryHitl()
    async with bot(store_url, escalation_tool(seen, ends_turn=True), memory=memory) as agent:
        with counted():
            replies = await agent.receive("c1", "I want a person", user=USER)
        assert writes == {"write": 3}
        assert seen == [("queued", 1)]  # sent, not yet completed while the tool ran
        assert texts(replies) == [("system", HANDOFF)]
        session = await agent.plugins["desk-hitl"].session("c1")
        assert session is not None and session.session_id == memory.only_session().id
        assert session.notice == "handoff" and session.state == "pending"
        assert await agent.store.run(_start_row, write=False) == ("done", 1)
        stored = await agent.store.run(_stored, write=False)
        assert texts(await agent.history("c1")) == [("user", "I want a person"), ("system", HANDOFF)]
    assert [(role, visible) for role, visible, _ in stored] == [
        ("user", True), ("system", True), ("bot", False), ("bot", False),
    ]  # fmt: skip
    assert [model for *_, model in stored][2:] == ['{"role": "assistant"', '{"role": "tool", "to']
    assert len(memory.start_calls) == 1


async def test_a_start_sent_from_a_tool_that_does_not_end_the_turn_is_completed_at_once(
    store_url: str, writes: Counter[str]
) -> None:
    """The model is asked again after such a tool: the start is not left waiting for the run's end."""
    seen: list[tuple[str, int]] = []
    async with bot(store_url, escalation_tool(seen, ends_turn=False), "A person will join you here.") as agent:
        with counted():
            replies = await agent.receive("c1", "I want a person", user=USER)
        assert writes == {"write": 4}
        assert seen == [("done", 1)]
    assert texts(replies) == [("system", HANDOFF), ("bot", "A person will join you here.")]


async def test_a_tool_that_fails_after_the_handoff_leaves_the_start_to_the_end_of_the_run(store_url: str) -> None:
    """The tool meant to end the turn failed, so the model was asked again: the start completes with the run all
    the same, the notice before the model's answer."""
    seen: list[tuple[str, int]] = []
    tool = escalation_tool(seen, ends_turn=True, fails=True)
    async with bot(store_url, tool, "Sorry, our CRM is down; a person will still join you.") as agent:
        replies = await agent.receive("c1", "I want a person", user=USER)
        assert seen == [("queued", 1)]
        assert await agent.store.run(_start_row, write=False) == ("done", 1)
    assert texts(replies) == [("system", HANDOFF), ("bot", "Sorry, our CRM is down; a person will still join you.")]


async def test_a_run_that_fails_after_the_handoff_still_completes_the_start(store_url: str) -> None:
    """The model fails after the tool (the run raises): the start's completion is written before the failure
    goes on, the user hears the notice and then the apology."""
    seen: list[tuple[str, int]] = []
    async with bot(store_url, escalation_tool(seen, ends_turn=True, fails=True)) as agent:  # no reply left
        replies = await agent.receive("c1", "I want a person", user=USER)
        assert await agent.store.run(_start_row, write=False) == ("done", 1)
        session = await agent.plugins["desk-hitl"].session("c1")
    assert texts(replies)[0] == ("system", HANDOFF) and texts(replies)[1][0] == "system"
    assert session is not None and session.notice == "handoff" and session.session_id is not None


class _Died(Exception):
    """The process dies: nothing after this point runs."""


async def test_a_process_that_dies_before_the_runs_write_sends_the_start_again_with_the_same_key(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ticket was opened, the completion was to commit with the run's messages, and the process died first:
    the start is still queued, claimed and marked as maybe sent; once the claim runs out the next deliverer sends
    it again with the same idempotency key (the helpdesk gives back the same ticket) and the user is told once."""
    memory = MemoryHitl()
    await _dies_before_the_runs_write(store_url, memory, monkeypatch)
    restarted = Agent("support", ScriptedModel([]), plugins={"desk-hitl": HitlPlugin(memory, **FAST)}, store=store_url)
    async with restarted:
        await restarted.plugins["desk-hitl"].redeliver()  # waits for the dead process's claim to run out

        # redeliver leaves a row the background deliverer (woken as the claim ran out) is sending: wait for it
        async def sent() -> bool:
            return await restarted.store.run(_start_row, write=False) == ("done", 1)

        await eventually(sent)
        assert texts(await restarted.history("c1")) == [("user", "I want a person"), ("system", HANDOFF)]
        session = await restarted.plugins["desk-hitl"].session("c1")
    assert [call.idempotency_key for call in memory.start_calls] == ["c1:1", "c1:1"]
    assert len(memory.sessions) == 1 and session is not None and session.session_id == memory.only_session().id


async def test_redeliver_sends_a_row_whose_claim_ran_out_while_its_first_pass_was_still_busy(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loaded machine: redeliver's first pass left the dead process's row (still claimed) and took longer than
    the claim had left. redeliver used to look only for claims still live after that pass, found none, and returned
    with the row queued. (The background deliverer, which would send it later, is kept out of the way here.)"""
    memory = MemoryHitl()
    await _dies_before_the_runs_write(store_url, memory, monkeypatch)
    passes: list[int] = []
    original = Deliverer.deliver_due

    async def deliver_due(self: Deliverer, *, force: bool = False) -> int:
        if not force:  # the background deliverer's pass
            return 0
        sent = await original(self, force=force)
        passes.append(sent)
        if len(passes) == 1:
            await asyncio.sleep(0.5)  # the first pass ends after the row's claim (claim_seconds=0.3) ran out
        return sent

    monkeypatch.setattr(Deliverer, "deliver_due", deliver_due)
    restarted = Agent("support", ScriptedModel([]), plugins={"desk-hitl": HitlPlugin(memory, **FAST)}, store=store_url)
    async with restarted:
        assert await restarted.plugins["desk-hitl"].redeliver() == 1
        assert passes == [0, 1]  # the first pass left it (claimed), the second sent it
        assert await restarted.store.run(_start_row, write=False) == ("done", 1)
    assert [call.idempotency_key for call in memory.start_calls] == ["c1:1", "c1:1"]


async def _dies_before_the_runs_write(store_url: str, memory: MemoryHitl, monkeypatch: pytest.MonkeyPatch) -> None:
    """A handoff whose start reached the helpdesk, in a process that dies at the run's write (claim_seconds=0.3):
    the start row is left queued, claimed and maybe sent."""
    seen: list[tuple[str, int]] = []
    original = Store.run

    async def run(self: Store, fn: Callable[[Connection], Any], *, write: bool = True) -> Any:
        if seen and write:  # the tool has returned: the turn's next write is where the process dies
            raise _Died
        return await original(self, fn, write=write)

    async with bot(store_url, escalation_tool(seen, ends_turn=True), memory=memory, claim_seconds=0.3) as agent:
        monkeypatch.setattr(Store, "run", run)
        with pytest.raises(_Died):
            await agent.receive("c1", "I want a person", user=USER)
        monkeypatch.undo()
        assert await agent.store.run(_start_row, write=False) == ("queued", 1)
        assert texts(await agent.history("c1")) == [("user", "I want a person")]


async def test_a_turn_that_found_no_session_asks_the_admission_before_it_opens_in_one_write(
    store_url: str, writes: Counter[str]
) -> None:
    """With a limit on handoffs (the server's default quotas): the turn read the conversation's sessions with the
    user's message and found none open, so the handoff asks the admission first and opens in one transaction.
    Before s8-handoff, a look at the session (with the transcript) came first, in a write of its own: 4 writes."""
    seen: list[tuple[str, int]] = []
    asked: list[str] = []
    memory = MemoryHitl()
    async with bot(store_url, escalation_tool(seen, ends_turn=True), memory=memory) as agent:
        plugin = agent.plugins["desk-hitl"]

        async def admit(conversation_id: str) -> None:
            with counted(False):  # the test's own look is not the handoff's
                asked.append(await plugin.state(conversation_id))

        with context.scope(admit_escalation=admit), counted():
            replies = await agent.receive("c1", "I want a person", user=USER)
        assert writes == {"write": 3} and asked == ["none"]
        assert texts(replies) == [("system", HANDOFF)]
    assert len(memory.start_calls) == 1
    assert [(line.role, line.text) for line in memory.only_session().request.transcript] == [
        ("user", "I want a person")
    ]


async def test_a_second_handoff_of_the_turn_looks_first_and_is_not_admitted_again(store_url: str) -> None:
    """The first handoff of the turn used what the turn read; the second one looks, finds the session the first
    opened, and asks no admission (a repeated handoff costs nothing)."""
    seen: list[tuple[str, int]] = []
    asked: list[str] = []

    async def admit(conversation_id: str) -> None:
        asked.append(conversation_id)

    tool = escalation_tool(seen, ends_turn=False)
    async with bot(store_url, tool, call("escalate", reason="Again"), "A person will join you here.") as agent:
        with context.scope(admit_escalation=admit):
            replies = await agent.receive("c1", "I want a person", user=USER)
        assert asked == ["c1"]
        assert texts(replies) == [("system", HANDOFF), ("bot", "A person will join you here.")]
        assert len(agent.plugins["desk-hitl"].provider.sessions) == 1


async def test_a_handoff_after_the_turn_that_found_no_session_looks_first(store_url: str) -> None:
    """What a turn read holds for that turn only: a handoff made later by code outside it (here, after a session
    was opened and ended in between) looks first, as before."""
    asked: list[str] = []

    async def admit(conversation_id: str) -> None:
        asked.append(conversation_id)

    plugin = HitlPlugin(MemoryHitl(), **FAST)
    async with Agent("support", ScriptedModel(["Hello!"]), plugins={"desk-hitl": plugin}, store=store_url) as agent:
        assert texts(await agent.receive("c1", "hi", user=USER)) == [("bot", "Hello!")]  # found none open; no handoff
        await plugin.actions.start_hitl("c1", "Opened by bot code")
        with context.scope(admit_escalation=admit):
            again = await plugin.actions.start_hitl("c1", "Again")
    assert again.status == "already_escalated" and asked == []


async def test_a_session_ended_before_the_runs_write_keeps_the_helpdesks_id_and_tells_nothing(
    store_url: str,
) -> None:
    """The completion reads where the session stands when it commits: one the person closed while the run was
    ending gets the ticket's id recorded (its stop can reach it) and no handoff notice."""
    memory = MemoryHitl()

    async def escalate_then_closed(args: _Reason) -> str:
        agent = context.get("agent")
        plugin = agent.plugins["desk-hitl"]
        await plugin.actions.start_hitl("c1", args.reason)
        await plugin.actions.stop_hitl("c1", "closed at once")  # ends it before the run's write
        return "escalated"

    tool = Tool("escalate", "Hand the conversation to a person.", _Reason, escalate_then_closed, ends_turn=True)
    async with bot(store_url, tool, memory=memory) as agent:
        replies = await agent.receive("c1", "I want a person", user=USER)
        session = await agent.plugins["desk-hitl"].session("c1")
        assert await agent.store.run(_start_row, write=False) == ("done", 1)
        await agent.plugins["desk-hitl"].redeliver()  # the stop queued behind the start
    assert session is not None and session.state == "ended" and session.session_id == memory.only_session().id
    assert HANDOFF not in [text for _, text in texts(replies)]
    assert memory.only_session().stopped_reason == "closed at once"
