"""Test doubles for the outer boundaries of the services: clock and sleep.

They record what the code asked for and return at once, so backoff sequences are asserted exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class FakeClock:
    """Returns ``now``; each call then moves time forward by ``step`` seconds."""

    def __init__(self, start: float = 1_700_000_000.0, step: float = 0.0) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        current = self.now
        self.now += self.step
        return current

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSleep:
    """Records each requested delay, runs an optional hook, yields once and returns."""

    def __init__(self, hook: Callable[[float], object] | None = None) -> None:
        self.delays: list[float] = []
        self.hook = hook

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.hook is not None:
            self.hook(delay)
        await asyncio.sleep(0)
