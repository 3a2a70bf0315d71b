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


class MemoryLibrary:
    """A small real model library: entries in a list, version lookups over them."""

    def __init__(self, entries: list[dict] | None = None, versions: set[int] | None = None) -> None:
        self.cache: list[dict] = list(entries or [])
        self.versions = set(versions or ())
        self.added: list[tuple[dict, str]] = []

    async def version_exists(self, version_id: int) -> bool:
        return version_id in self.versions or any(
            (entry.get("civitai") or {}).get("id") == version_id for entry in self.cache
        )

    async def entries(self) -> list[dict]:
        return list(self.cache)

    async def add_to_cache(self, entry: dict, relative_path: str) -> None:
        import copy

        self.cache.append(copy.deepcopy(entry))
        self.added.append((copy.deepcopy(entry), relative_path))


class StaticMetadataProvider:
    """Answers get_model_version from a dict keyed by version id (or model id)."""

    def __init__(self, versions: dict[int, dict] | None = None, error: Exception | None = None) -> None:
        self.versions = versions or {}
        self.error = error
        self.calls: list[tuple[int | None, int | None]] = []

    async def get_model_version(self, model_id: int | None, version_id: int | None) -> dict | None:
        self.calls.append((model_id, version_id))
        if self.error is not None:
            raise self.error
        if version_id is not None:
            return self.versions.get(version_id)
        return next((v for v in self.versions.values() if v.get("modelId") == model_id), None)


def make_version(
    download_url: str,
    *,
    version_id: int = 101,
    model_id: int = 11,
    model_type: str = "LORA",
    file_name: str = "cute_style.safetensors",
    sha256: str = "",
    images: list[dict] | None = None,
    base_model: str = "SDXL 1.0",
    tags: list[str] | None = None,
    extra: dict | None = None,
    file_extra: dict | None = None,
) -> dict:
    """A CivitAI model-version payload with one primary weight file served at ``download_url``."""
    file_info = {
        "id": 5001,
        "name": file_name,
        "type": "Model",
        "primary": True,
        "downloadUrl": download_url,
        "hashes": {"SHA256": sha256.upper()} if sha256 else {},
        "metadata": {"format": "SafeTensor", "fp": "fp16", "size": "pruned"},
        **(file_extra or {}),
    }
    return {
        "id": version_id,
        "modelId": model_id,
        "name": "v1.0",
        "baseModel": base_model,
        "model": {
            "name": "Cute Style",
            "type": model_type,
            "tags": tags if tags is not None else ["Style", "Anime"],
        },
        "creator": {"username": "alice"},
        "files": [file_info],
        "images": images or [],
        **(extra or {}),
    }


class ScriptedClock:
    """Returns the given times in order, then keeps returning the last one."""

    def __init__(self, times: list[float]) -> None:
        self.times = list(times)

    def __call__(self) -> float:
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]
