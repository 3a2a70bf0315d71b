"""Download progress fan-out: the latest state per download, pushed to whoever listens.

An in-memory broadcaster (no websockets here) and a recording one that keeps every message in order.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

logger = logging.getLogger(__name__)

_CACHED_FIELDS = ("bytes_downloaded", "total_bytes", "bytes_per_second", "status", "message")


class ProgressBroadcaster(Protocol):
    async def broadcast_download_progress(self, download_id: str, data: dict[str, Any]) -> None: ...

    def get_download_progress(self, download_id: str) -> dict[str, Any] | None: ...

    def generate_download_id(self) -> str: ...


class InMemoryProgressBroadcaster:
    """Caches the latest progress per download and sends each message to the download's listener."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._progress: dict[str, dict[str, Any]] = {}
        self._listeners: dict[str, Callable[[str], Awaitable[Any]]] = {}

    def register(self, download_id: str, send: Callable[[str], Awaitable[Any]]) -> None:
        self._listeners[download_id] = send

    def unregister(self, download_id: str) -> None:
        self._listeners.pop(download_id, None)

    async def broadcast_download_progress(self, download_id: str, data: dict[str, Any]) -> None:
        cached = {"progress": data.get("progress", 0), "timestamp": self._clock()}
        cached.update({key: data[key] for key in _CACHED_FIELDS if key in data})
        self._progress[download_id] = cached
        send = self._listeners.get(download_id)
        if send is None:
            return
        try:
            await send(json.dumps(data))
        except Exception:
            # A listener that went away must not break the download it was watching.
            logger.warning("Could not send progress for %s", download_id)  # pragma: no mutate

    def get_download_progress(self, download_id: str) -> dict[str, Any] | None:
        return self._progress.get(download_id)

    def cleanup_download_progress(self, download_id: str) -> None:
        self._progress.pop(download_id, None)

    def cleanup_old_downloads(self, max_age_hours: float = 24) -> None:
        cutoff = self._clock() - max_age_hours * 3600
        for key in [key for key, item in self._progress.items() if item["timestamp"] < cutoff]:
            del self._progress[key]

    def generate_download_id(self) -> str:
        return str(uuid.uuid4())


class RecordingProgressBroadcaster(InMemoryProgressBroadcaster):
    """Keeps every broadcast ``(download_id, data)`` in order, for tests and diagnostics."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.messages: list[tuple[str, dict[str, Any]]] = []

    async def broadcast_download_progress(self, download_id: str, data: dict[str, Any]) -> None:
        self.messages.append((download_id, dict(data)))
        await super().broadcast_download_progress(download_id, data)
