"""``FakeClock``: time that moves only when code waits, so retry and deadline tests never sleep for real."""

from __future__ import annotations

from ..retry import Clock

__all__ = ["FakeClock"]


class FakeClock:
    """A ``Clock`` for tests: ``sleep`` records the wait and moves both times forward at once.

    ``clock.clock`` is the ``agentkit.retry.Clock`` to pass (``OpenAIModel(..., clock=fake.clock)``);
    ``clock.sleeps`` lists the waits asked for, in order; ``advance(seconds)`` moves time without a wait."""

    def __init__(self, monotonic: float = 1_000.0, wall: float = 1_700_000_000.0) -> None:
        self.now = monotonic
        self.wall = wall
        self.sleeps: list[float] = []
        self.clock = Clock(monotonic=lambda: self.now, time=lambda: self.wall, sleep=self.sleep)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.wall += seconds
