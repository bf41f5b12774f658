"""``agentkit serve`` freezes the heap it starts with and collects the young generation rarely (see
``long_lived_heap``), hands the GIL between threads within 1 ms (``prompt_thread_handoffs``), and fixes its
templates; nothing else changes the collector or the switch interval, and serve puts them back as they were when
it returns."""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path
from typing import Any

import pytest

import agentkit.prompts
import agentkit.server
from agentkit import Agent, Conversation
from agentkit.cli import _serve, main
from agentkit.runtime import HandlerContext
from agentkit.server import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_serve_freezes_startup_objects_and_raises_the_young_threshold_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AGENTKIT_METRICS_TOKEN", "AGENTKIT_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGENTKIT_DATA", str(tmp_path / "data"))  # restored after the test: serve sets it
    monkeypatch.setenv("AGENTKIT_MODEL", "offline")
    before = gc.get_threshold(), gc.get_freeze_count(), sys.getswitchinterval()
    seen: dict[str, Any] = {}

    def fake_serve(app: Any, sock: Any, **options: Any) -> None:
        seen["threshold"], seen["frozen"] = gc.get_threshold(), gc.get_freeze_count()
        seen["switch"] = sys.getswitchinterval()
        seen["templates"] = list(fixes)
        sock.close()

    fixes: list[bool] = []
    monkeypatch.setattr(agentkit.server, "serve", fake_serve)
    monkeypatch.setattr(agentkit.prompts, "fix_templates", lambda fixed=True: fixes.append(fixed))
    code = main(["serve", str(ROOT / "examples/support_bot.py"), "--port", "0", "--data", str(tmp_path / "data")])
    assert code == 0
    assert seen["threshold"] == (_serve.SERVE_GC_YOUNG_THRESHOLD, *before[0][1:])
    assert seen["frozen"] > 10_000  # the modules, the bot and the app: moved out of every collection's way
    assert seen["switch"] == _serve.SERVE_SWITCH_INTERVAL < before[2]  # the database threads wait less for the GIL
    assert (gc.get_threshold(), gc.get_freeze_count(), sys.getswitchinterval()) == before  # as it was: tests go on
    assert seen["templates"] == [True] and fixes == [True, False]  # fixed while serving (tests/prompts/...)


def test_the_library_leaves_the_collector_alone(tmp_path: Path) -> None:
    async def handler(ctx: HandlerContext) -> None:
        await ctx.send("hello")

    before = gc.get_threshold(), gc.get_freeze_count(), sys.getswitchinterval()
    agent = Agent("plain", model="offline", conversation=Conversation(channel="*", handler=handler),
                  store=f"sqlite:///{tmp_path}/bot.sqlite3")  # fmt: skip
    create_app(agent, secret_key="k" * 32)
    assert (gc.get_threshold(), gc.get_freeze_count(), sys.getswitchinterval()) == before


def test_cycles_made_while_serving_are_still_collected() -> None:
    class Node:
        other: Any = None

    with _serve.long_lived_heap():
        first, second = Node(), Node()
        first.other, second.other = second, first
        watched = weakref.ref(first)
        del first, second
        gc.collect()
        assert watched() is None
