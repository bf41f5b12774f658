"""``context.scope``: values added for a block, on top of the outer ones, and taken away after it, even on error."""

from __future__ import annotations

import asyncio

import pytest

from agentkit import context


async def test_a_scope_adds_on_top_and_is_taken_away_after_its_block_even_on_error() -> None:
    with context.scope(user="u1", conversation="c1"):
        with pytest.raises(RuntimeError):
            with context.scope(conversation="c2"):
                assert (context.get("user"), context.get("conversation")) == ("u1", "c2")
                assert await asyncio.to_thread(context.get, "conversation") == "c2"  # a worker thread sees it
                raise RuntimeError
        assert context.get("conversation") == "c1"
    assert context.get("user", None) is None
