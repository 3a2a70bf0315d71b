"""Shared configuration of the suite: Hypothesis profiles chosen by context.

mutmut runs every test process with ``MUTANT_UNDER_TEST`` set. Under mutation a
slow mutant must end as a timeout, not as a Hypothesis ``DeadlineExceeded``
"kill", and a verdict must not depend on which random examples were drawn.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100)
# CI machines are shared and noisy: no deadline, a fixed budget, reproducible examples.
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Mutation runs: no deadline (slowness is judged by mutmut's timeout), the same
# examples for every mutant, no shared example database between mutants.
settings.register_profile(
    "mutation",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _profile() -> str:
    if os.environ.get("HYPOTHESIS_PROFILE"):
        return os.environ["HYPOTHESIS_PROFILE"]
    if "MUTANT_UNDER_TEST" in os.environ:
        return "mutation"
    if os.environ.get("CI"):
        return "ci"
    return "dev"


settings.load_profile(_profile())


# --- download services: a real local HTTP server and injected time -----------------------------

import pytest  # noqa: E402

from tests.fakes import FakeClock, RecordingSleep  # noqa: E402
from tests.http_server import LocalServer  # noqa: E402


@pytest.fixture
async def http_server():
    """A scripted HTTP server on 127.0.0.1 for the duration of one test."""
    server = LocalServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def make_downloader(clock, sleeps):
    """Builds real Downloaders (fake clock and sleep, empty env by default) and closes them afterwards."""
    from py.services.downloader import Downloader

    made = []

    def build(settings=None, **kwargs):
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("env", {})
        downloader = Downloader(settings or {}, **kwargs)
        made.append(downloader)
        return downloader

    yield build
    for downloader in made:
        await downloader.close()


@pytest.fixture
def libraries():
    from tests.fakes import MemoryLibrary

    return {"lora": MemoryLibrary(), "checkpoint": MemoryLibrary(), "embedding": MemoryLibrary()}


@pytest.fixture
def make_manager(make_downloader, libraries, clock, sleeps):
    """Builds a DownloadManager over a real Downloader and in-memory libraries."""
    from py.services.download_manager import DownloadManager
    from tests.fakes import StaticMetadataProvider

    def build(versions=None, settings=None, *, provider=None, downloader=None, **kwargs):
        return DownloadManager(
            settings=settings or {},
            downloader=downloader or make_downloader(chunk_size=kwargs.pop("chunk_size", 256)),
            metadata_provider=provider or StaticMetadataProvider(versions),
            libraries=libraries,
            clock=clock,
            sleep=sleeps,
            **kwargs,
        )

    return build
