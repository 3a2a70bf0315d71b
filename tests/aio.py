"""Waiting in async tests for something a real server thread or the event loop makes happen."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(predicate: Callable[[], bool], seconds: float = 10.0, what: str = "condition") -> None:
    """Yield to the event loop until ``predicate()`` holds.

    Bounded by wall time, not by rounds: bytes from a local HTTP server arrive on another thread, so on a
    loaded machine any number of loop rounds can pass first. The bound only ends a test that would hang."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what} never became true")
        await asyncio.sleep(0.001)
