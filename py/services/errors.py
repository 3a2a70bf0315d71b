"""Exceptions the download services raise or return: rate limits, stalls, restarts.

Kept apart from the transfer code so callers can catch them without importing aiohttp.
"""

from __future__ import annotations


class RateLimitError(Exception):
    """The server answered 429; ``retry_after`` is seconds to wait, or None when it did not say."""

    def __init__(self, message: str, retry_after: float | None = None, provider: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.provider = provider


class DownloadStalledError(Exception):
    """No byte arrived within the stall timeout: the transfer reconnects with a Range request."""


class DownloadRestartRequested(Exception):
    """A resumed transfer asked for a fresh connection instead of reading a stale one."""
