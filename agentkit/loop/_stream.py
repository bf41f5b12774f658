"""``execute_stream``: ``execute`` as an async iterator of events, for channels that show a reply as it is written.

It is the same loop: ``execute`` runs in a task it owns, reporting into a queue that this generator drains. So the
rules are the same (limits, hooks, the ends-turn rule: nothing is requested after a handoff), and the last event's
``result`` is what ``execute`` would have returned. Leaving the loop early (``break``, cancellation) cancels the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import ParamSpec

from ._events import DoneEvent, StreamEvent, reset_sink, sink_scope
from ._execute import execute
from ._result import ExecuteResult

__all__ = ["execute_stream"]

P = ParamSpec("P")


def _streamed(
    run: Callable[P, Awaitable[ExecuteResult]], name: str, doc: str
) -> Callable[P, AsyncIterator[StreamEvent]]:
    """``run``'s arguments, its events as they happen. Typed with ``run``'s own signature, so the two agree."""

    @functools.wraps(run)
    async def stream(*args: P.args, **kwargs: P.kwargs) -> AsyncIterator[StreamEvent]:
        queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue()  # None: the run has finished
        token = sink_scope(queue.put_nowait)
        try:
            task = asyncio.ensure_future(run(*args, **kwargs))  # copies the context, and with it the sink
        finally:
            reset_sink(token)
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (event := await queue.get()) is not None:
                yield event
            yield DoneEvent(task.result())  # raises what the run raised
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            elif not task.cancelled():
                task.exception()  # seen: a run that failed after the consumer left is not reported as lost

    stream.__name__ = stream.__qualname__ = name
    stream.__doc__ = doc
    return stream


_DOC = """Run ``execute`` with the same arguments, yielding its events as they happen.

    ``text_delta`` (``.text``, ``.iteration``) for each piece of the model's text, ``tool_call`` (``.name``,
    ``.arguments``) when the model calls a tool, ``tool_result`` (``.record``) when the call has run, and last
    ``done``, whose ``.result`` is the ``ExecuteResult``. A failure of the run is raised from the iterator.

    ```python
    async for event in execute_stream(instructions, tools, messages, model):
        if event.type == "text_delta":
            print(event.text, end="", flush=True)
    ```
    """
execute_stream = _streamed(execute, "execute_stream", _DOC)
