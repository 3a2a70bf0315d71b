"""HTTP transfer engine: resumable downloads to disk and small requests to memory.

Settings, session factory, sleep, clock, connectivity guard and file replacement come through the
constructor, so tests drive the real code against a real server instead of patching it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import inspect
import json
import logging
import os
import re
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
from aiohttp import hdrs

from py.services.errors import DownloadRestartRequested, DownloadStalledError, RateLimitError
from py.utils.constants import PART_SUFFIX

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024
BASE_DELAY = 2.0
SESSION_TIMEOUT = 300.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_STALL_TIMEOUT = 120.0
MIN_STALL_TIMEOUT = 30.0
PROGRESS_INTERVAL = 1.0
SPEED_WINDOW = 5.0
FINALIZE_ATTEMPTS = 5
FINALIZE_DELAY = 2.0
DEFAULT_RETRY_AFTER = 60
USER_AGENT = "ComfyUI-LoRA-Manager/1.0"
OFFLINE_FRIENDLY_MESSAGE = (
    "Network unavailable: could not reach the server. Check your connection and try again later."
)
MAX_RETRIES_ENV = "COMFYUI_DOWNLOAD_MAX_RETRIES"
STALL_TIMEOUT_ENV = "COMFYUI_DOWNLOAD_STALL_TIMEOUT"
DEFAULT_PROXY_SCHEME = "http"
# No overall limit: a model can take hours. Connecting and each read are bounded instead.
SESSION_TIMEOUTS = aiohttp.ClientTimeout(total=None, connect=60, sock_read=300)
_RANGE_TOTAL = re.compile(r"/\s*(\d+)\s*$")

_DOWNLOAD_STATUS_MESSAGES = {
    401: "Invalid or missing API key, or early access restriction.",
    403: "Access forbidden: You don't have permission to download this file.",
    404: "File not found - the download link may be invalid or expired.",
}
_MEMORY_STATUS_MESSAGES = {
    401: "Unauthorized access - invalid or missing API key",
    403: "Access forbidden",
    404: "File not found",
}
_REQUEST_STATUS_MESSAGES = {**_MEMORY_STATUS_MESSAGES, 404: "Resource not found"}

ProgressCallback = Callable[..., Any]


@dataclass(frozen=True)
class DownloadProgress:
    """One progress report of a transfer."""

    percent_complete: float
    bytes_downloaded: int
    total_bytes: int | None
    bytes_per_second: float
    timestamp: float


class ConnectivityGuard(Protocol):
    """Per-host offline detection consulted by the small requests (never by ``download_file``)."""

    def is_blocked(self, scope: str) -> bool: ...

    def report_unreachable(self, scope: str) -> bool:
        """Record a failure to connect; True when the host should now be reported offline."""
        ...


class DownloadStreamControl:
    """Pause, resume and reconnect requests for one transfer; the event is set while running."""

    def __init__(self, stall_timeout: float | None = None, clock: Callable[[], float] = time.time) -> None:
        self._event = asyncio.Event()
        self._event.set()
        self._reconnect = False
        self._clock = clock
        self.last_progress_timestamp: float | None = None
        self.stall_timeout = DEFAULT_STALL_TIMEOUT if stall_timeout is None else float(stall_timeout)

    def pause(self) -> None:
        self._event.clear()

    def clear(self) -> None:
        self.pause()

    def resume(self, force_reconnect: bool = False) -> None:
        if force_reconnect:
            self._reconnect = True
        self._event.set()

    def set(self) -> None:
        self.resume()

    def is_paused(self) -> bool:
        return not self._event.is_set()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def wait(self) -> None:
        await self._event.wait()

    def request_reconnect(self) -> None:
        self._reconnect = True
        self._event.set()

    def has_reconnect_request(self) -> bool:
        return self._reconnect

    def consume_reconnect_request(self) -> bool:
        requested = self._reconnect
        self._reconnect = False
        return requested

    def mark_progress(self, ts: float | None = None) -> None:
        self.last_progress_timestamp = ts or self._clock()
        self._reconnect = False

    def time_since_last_progress(self, now: float | None = None) -> float | None:
        if self.last_progress_timestamp is None:
            return None
        current = self._clock() if now is None else now
        return max(0.0, current - self.last_progress_timestamp)

    def update_stall_timeout(self, stall_timeout: float) -> None:
        self.stall_timeout = float(stall_timeout)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from ``now`` named by a Retry-After header (seconds or an HTTP date), never negative."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    # A date without a zone cannot be placed on the clock.
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def is_ssl_cert_verify_error(exc: BaseException) -> bool:
    """True for a certificate verification failure, however aiohttp wrapped it."""
    # aiohttp's ClientConnectorCertificateError is an ssl.CertificateError (the same class) too.
    if isinstance(exc, ssl.SSLCertVerificationError):
        return True
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def max_retries_from(env: Mapping[str, str]) -> int:
    """Retries after the first attempt, from the environment: at least 0, 5 when absent or invalid."""
    try:
        return max(0, int(env[MAX_RETRIES_ENV]))
    except (KeyError, ValueError):
        return DEFAULT_MAX_RETRIES


def stall_timeout_from(settings: Mapping[str, Any], env: Mapping[str, str]) -> float:
    """Seconds without data before a reconnect: the setting, else the environment; at least 30."""
    raw = settings.get("download_stall_timeout_seconds")
    if raw is None:
        raw = env.get(STALL_TIMEOUT_ENV)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return DEFAULT_STALL_TIMEOUT
    return max(MIN_STALL_TIMEOUT, value)


async def dispatch_progress(callback: ProgressCallback | None, percent: float, snapshot: Any) -> None:
    """Call ``callback(percent, snapshot)``, or ``callback(percent)`` when it takes one argument."""
    if callback is None:
        return
    # The form is chosen from the signature, not by catching TypeError: a TypeError raised inside
    # the callback must not be mistaken for a one-argument callback and trigger a second call.
    result = callback(percent, snapshot) if _takes_snapshot(callback) else callback(percent)
    if inspect.isawaitable(result):
        await result


def _takes_snapshot(callback: ProgressCallback) -> bool:
    try:
        inspect.signature(callback).bind(None, None)
    except TypeError:
        return False
    return True


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _size_or_zero(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _write_chunk(handle: Any, chunk: bytes) -> None:
    # Flushed per chunk: the .part on disk is what a later resume trusts.
    handle.write(chunk)
    handle.flush()


def _content_range_total(value: str | None) -> int | None:
    # "bytes 10-99/100" -> 100; an unknown total ("/*") or no total at all -> None.
    match = _RANGE_TOTAL.search(value) if value else None
    return int(match.group(1)) if match else None


def host_scope(url: str) -> str:
    """The guard's key for a URL: its lowercase host name, or ``"unknown"``."""
    # urlsplit already lowercases the host name.
    return urlsplit(url).hostname or "unknown"


class _Restart(Exception):
    """Loop again without using up a retry (new URL, or a part file that had to go)."""


class _IntegrityError(Exception):
    """The bytes on disk do not match what the server announced; uses up a retry."""


_RETRYABLE = (aiohttp.ClientError, TimeoutError, DownloadStalledError, DownloadRestartRequested)


@dataclass
class _Transfer:
    """State of one ``download_file`` call."""

    url: str
    save_path: str
    part_path: str
    headers: dict[str, str]
    allow_resume: bool
    control: DownloadStreamControl | None
    callback: ProgressCallback | None
    tried: set[str] = field(default_factory=set)
    wrote: bool = False


class _ProgressMeter:
    """Throttled snapshots with a sliding-window speed."""

    def __init__(self, clock: Callable[[], float], callback: ProgressCallback | None) -> None:
        self._clock = clock
        self._callback = callback
        self._samples: deque[tuple[float, int]] = deque()
        self._last_report = clock()

    async def update(self, downloaded: int, total: int | None) -> None:
        now = self._clock()
        self._samples.append((now, downloaded))
        while self._samples[0][0] < now - SPEED_WINDOW:
            self._samples.popleft()
        if now - self._last_report < PROGRESS_INTERVAL:
            return
        self._last_report = now
        # Every other sample was taken before this report was due, so strictly earlier than now:
        # the elapsed time below is never zero.
        (first_time, first_bytes), (last_time, last_bytes) = self._samples[0], self._samples[-1]
        speed = (last_bytes - first_bytes) / (last_time - first_time) if len(self._samples) > 1 else 0.0
        percent = downloaded / total * 100 if total else 0.0
        await _report(self._callback, DownloadProgress(percent, downloaded, total or None, speed, now))


async def _report(callback: ProgressCallback | None, snapshot: DownloadProgress) -> None:
    # A failing progress consumer must not lose the transfer: it is logged and the bytes keep coming.
    try:
        await dispatch_progress(callback, snapshot.percent_complete, snapshot)
    except Exception:
        logger.exception("Progress callback failed")  # pragma: no mutate


class Downloader:
    """Downloads over one shared aiohttp session, recreated when it gets old or after a failure."""

    def __init__(
        self,
        settings: Mapping[str, Any] | None = None,
        *,
        session_factory: Callable[[], aiohttp.ClientSession] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        env: Mapping[str, str] | None = None,
        guard: ConnectivityGuard | None = None,
        replace_file: Callable[[str, str], None] = os.replace,
        open_file: Callable[[str, str], Any] = open,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self._settings: Mapping[str, Any] = settings if settings is not None else {}
        environ = os.environ if env is None else env
        self._session_factory = session_factory or self._create_session
        self._sleep = sleep
        self._clock = clock
        self._guard = guard
        self._replace = replace_file
        self._open = open_file
        self.chunk_size = chunk_size
        self.base_delay = BASE_DELAY
        self.session_timeout = SESSION_TIMEOUT
        self.max_retries = max_retries_from(environ)
        self.stall_timeout = stall_timeout_from(self._settings, environ)
        self._session: aiohttp.ClientSession | None = None
        # Read only once a session exists.
        self._session_created_at: float
        self._session_lock = asyncio.Lock()

    # -- session -------------------------------------------------------------------------------

    def _proxy_url(self) -> str | None:
        settings = self._settings
        if not (settings.get("proxy_enabled") and settings.get("proxy_host") and settings.get("proxy_port")):
            return None
        scheme = (settings.get("proxy_type") or DEFAULT_PROXY_SCHEME).lower()
        credentials = ""
        if settings.get("proxy_username"):
            credentials = f"{settings['proxy_username']}:{settings.get('proxy_password') or ''}@"
        return f"{scheme}://{credentials}{settings['proxy_host']}:{settings['proxy_port']}"

    def _request_proxy(self) -> dict[str, str]:
        # An http(s) proxy goes with each request; a socks proxy lives in the connector instead.
        proxy = self._proxy_url()
        if proxy is None or proxy.startswith("socks"):
            return {}
        return {"proxy": proxy}

    def _create_session(self) -> aiohttp.ClientSession:
        proxy = self._proxy_url()
        if proxy is not None and proxy.startswith("socks"):
            raise RuntimeError("SOCKS proxies are not supported; use an http or https proxy")
        connector = aiohttp.TCPConnector(limit=8, ttl_dns_cache=300)
        return aiohttp.ClientSession(
            connector=connector,
            timeout=SESSION_TIMEOUTS,
            # An app-level proxy replaces the environment's proxy variables.
            trust_env=proxy is None,
        )

    async def _recreate_session(self) -> None:
        old = self._session
        try:
            new = self._session_factory()
        except BaseException:
            # Other transfers may still be reading through the old session: keep it rather than
            # leave them with a closed one and nothing to replace it.
            self._session = old
            raise
        self._session = new
        self._session_created_at = self._clock()
        if old is not None:
            await old.close()

    async def _get_session(self) -> aiohttp.ClientSession:
        async with self._session_lock:
            if self._session is None or self._clock() - self._session_created_at > self.session_timeout:
                await self._recreate_session()
            return self._session

    async def refresh_session(self) -> None:
        async with self._session_lock:
            await self._recreate_session()

    async def close(self) -> None:
        async with self._session_lock:
            session, self._session = self._session, None
            if session is not None:
                await session.close()

    def _headers(self, use_auth: bool, custom_headers: Mapping[str, str] | None) -> dict[str, str]:
        headers = {hdrs.USER_AGENT: USER_AGENT, hdrs.ACCEPT_ENCODING: "identity"}
        api_key = self._settings.get("civitai_api_key")
        if use_auth and api_key:
            headers[hdrs.AUTHORIZATION] = f"Bearer {api_key}"
            headers[hdrs.CONTENT_TYPE] = "application/json"
        headers.update(custom_headers or {})
        return headers

    # -- download_file --------------------------------------------------------------------------

    async def download_file(
        self,
        url: str,
        save_path: str | os.PathLike[str],
        progress_callback: ProgressCallback | None = None,
        use_auth: bool = False,
        custom_headers: Mapping[str, str] | None = None,
        allow_resume: bool = True,
        pause_event: DownloadStreamControl | None = None,
    ) -> tuple[bool, str]:
        """Download ``url`` to ``save_path``; ``(True, save_path)`` or ``(False, message)``, never raises."""
        target = os.fspath(save_path)
        transfer = _Transfer(
            url=url,
            save_path=target,
            part_path=target + PART_SUFFIX if allow_resume else target,
            headers=self._headers(use_auth, custom_headers),
            allow_resume=allow_resume,
            control=pause_event,
            callback=progress_callback,
            tried={url},
        )
        ok, message = await self._run(transfer)
        # Written in place, a failed transfer would leave a truncated file under the final name.
        if not ok and not allow_resume and transfer.wrote:
            _remove(target)
        return ok, message

    async def _run(self, transfer: _Transfer) -> tuple[bool, str]:
        failures = 0
        while True:
            offset = _size_or_zero(transfer.part_path) if transfer.allow_resume else 0
            try:
                return await self._attempt(transfer, offset)
            except _Restart:
                continue
            except (_IntegrityError, *_RETRYABLE) as exc:
                failures += 1
                if is_ssl_cert_verify_error(exc):
                    logger.warning("TLS certificate rejected: %s", transfer.url)  # pragma: no mutate
                if failures > self.max_retries:
                    if isinstance(exc, _IntegrityError):
                        return False, str(exc)
                    return False, f"Network error after {self.max_retries + 1} attempts: {exc}"
            except Exception as exc:
                return False, str(exc)
            await self._sleep(self.base_delay * 2 ** (failures - 1))
            try:
                await self.refresh_session()
            except Exception as exc:
                return False, f"Could not recreate the HTTP session: {exc}"

    async def _attempt(self, transfer: _Transfer, offset: int) -> tuple[bool, str]:
        headers = dict(transfer.headers)
        if offset > 0:
            headers[hdrs.RANGE] = f"bytes={offset}-"
        session = await self._get_session()
        async with session.get(transfer.url, headers=headers, **self._request_proxy()) as response:
            status = response.status
            total = response.content_length
            if status == 200 and offset > 0:
                final_url = str(response.url)
                if response.history and final_url not in transfer.tried:
                    # Redirected to a host that ignored Range: ask it directly.
                    transfer.tried.add(final_url)
                    transfer.url = final_url
                    raise _Restart()
                _remove(transfer.part_path)
                offset = 0
            elif status == 206:
                total = _content_range_total(response.headers.get(hdrs.CONTENT_RANGE))
                if total is None and response.content_length is not None:
                    total = response.content_length + offset
            elif status == 416 and offset > 0:
                return await self._settle_range_not_satisfiable(transfer, offset)
            if status not in (200, 206):
                # A 416 without a part file is an error, not content to save.
                return False, _DOWNLOAD_STATUS_MESSAGES.get(status, f"Download failed with status {status}")
            size = await self._stream(transfer, response, offset, total)
        self._check_integrity(transfer, total, size)
        return await self._complete(transfer, total or size)

    async def _settle_range_not_satisfiable(self, transfer: _Transfer, offset: int) -> tuple[bool, str]:
        session = await self._get_session()
        async with session.head(transfer.url, headers=transfer.headers, **self._request_proxy()) as head:
            complete = head.status == 200 and head.content_length == offset
        if complete:
            return await self._complete(transfer, offset)
        _remove(transfer.part_path)
        raise _Restart()

    async def _stream(
        self, transfer: _Transfer, response: aiohttp.ClientResponse, offset: int, total: int | None
    ) -> int:
        os.makedirs(os.path.dirname(transfer.part_path) or ".", exist_ok=True)
        control = transfer.control
        timeout = control.stall_timeout if control is not None else self.stall_timeout
        meter = _ProgressMeter(self._clock, transfer.callback)
        loop = asyncio.get_running_loop()
        downloaded = offset
        with self._open(transfer.part_path, "ab" if offset > 0 else "wb") as handle:
            transfer.wrote = True
            while True:
                if control is not None:
                    await self._checkpoint(control)
                try:
                    chunk = await asyncio.wait_for(response.content.read(self.chunk_size), timeout)
                except TimeoutError as exc:
                    # aiohttp's own socket timeouts are TimeoutErrors too: keep their message.
                    if isinstance(exc, aiohttp.ClientError):
                        raise
                    raise DownloadStalledError(f"No data received for {timeout:g} seconds") from None
                if not chunk:
                    break
                await loop.run_in_executor(None, _write_chunk, handle, chunk)
                downloaded += len(chunk)
                if control is not None:
                    control.mark_progress()
                await meter.update(downloaded, total)
        return downloaded

    @staticmethod
    async def _checkpoint(control: DownloadStreamControl) -> None:
        if control.is_paused():
            await control.wait()
        if control.consume_reconnect_request():
            raise DownloadRestartRequested("Reconnect requested after resume")

    def _check_integrity(self, transfer: _Transfer, total: int | None, size: int) -> None:
        if size <= 0:
            _remove(transfer.part_path)
            raise _IntegrityError("Downloaded file is empty")
        if total is not None and total != size:
            # A short part is a good prefix: keep it and resume. A long one cannot be trusted.
            if not (size < total and transfer.allow_resume):
                _remove(transfer.part_path)
                _remove(transfer.save_path)
            raise _IntegrityError(f"File size mismatch. Expected: {total}, Got: {size}")

    async def _complete(self, transfer: _Transfer, total: int) -> tuple[bool, str]:
        attempt = 1
        while transfer.allow_resume:
            try:
                self._replace(transfer.part_path, transfer.save_path)
                break
            except PermissionError as exc:
                # Windows and virus scanners hold new files for a moment.
                if attempt == FINALIZE_ATTEMPTS:
                    return False, f"Failed to finalize download: {exc}"
                attempt += 1
                await self._sleep(FINALIZE_DELAY)
        await _report(transfer.callback, DownloadProgress(100.0, total, total, 0.0, self._clock()))
        return True, transfer.save_path

    # -- small requests -------------------------------------------------------------------------

    def _blocked(self, scope: str) -> bool:
        return self._guard is not None and self._guard.is_blocked(scope)

    def _failure_message(self, scope: str, exc: Exception) -> str:
        if (
            self._guard is not None
            and isinstance(exc, aiohttp.ClientConnectorError)
            and self._guard.report_unreachable(scope)
        ):
            return OFFLINE_FRIENDLY_MESSAGE
        return str(exc)

    async def download_to_memory(
        self,
        url: str,
        use_auth: bool = False,
        custom_headers: Mapping[str, str] | None = None,
        return_headers: bool = False,
    ) -> tuple[bool, bytes | str, dict[str, str] | None]:
        """GET ``url`` into memory: ``(True, body, headers|None)`` or ``(False, message, None)``."""
        scope = host_scope(url)
        if self._blocked(scope):
            return False, OFFLINE_FRIENDLY_MESSAGE, None
        try:
            session = await self._get_session()
            headers = self._headers(use_auth, custom_headers)
            async with session.get(url, headers=headers, **self._request_proxy()) as response:
                status = response.status
                if status == 200:
                    body = await response.read()
                    return True, body, dict(response.headers) if return_headers else None
                if status == 429:
                    wait = parse_retry_after(response.headers.get(hdrs.RETRY_AFTER), self._clock())
                    seconds = DEFAULT_RETRY_AFTER if wait is None else max(1, int(wait))
                    return False, f"Rate limited (429), retry after {seconds}s", None
                return (
                    False,
                    _MEMORY_STATUS_MESSAGES.get(status, f"Download failed with status {status}"),
                    None,
                )
        except Exception as exc:
            return False, self._failure_message(scope, exc), None

    async def get_response_headers(
        self, url: str, use_auth: bool = False, custom_headers: Mapping[str, str] | None = None
    ) -> tuple[bool, dict[str, str] | str]:
        """HEAD ``url``: ``(True, headers)`` or ``(False, message)``."""
        scope = host_scope(url)
        if self._blocked(scope):
            return False, OFFLINE_FRIENDLY_MESSAGE
        try:
            session = await self._get_session()
            headers = self._headers(use_auth, custom_headers)
            async with session.head(url, headers=headers, **self._request_proxy()) as response:
                if response.status == 200:
                    return True, dict(response.headers)
                return False, f"Head request failed with status {response.status}"
        except Exception as exc:
            return False, self._failure_message(scope, exc)

    async def make_request(
        self,
        method: str,
        url: str,
        use_auth: bool = False,
        custom_headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[bool, Any]:
        """Any request: ``(True, json-or-text)``, ``(False, message)`` or ``(False, RateLimitError)``."""
        scope = host_scope(url)
        if self._blocked(scope):
            return False, OFFLINE_FRIENDLY_MESSAGE
        try:
            session = await self._get_session()
            headers = self._headers(use_auth, custom_headers)
            async with session.request(
                method, url, headers=headers, **self._request_proxy(), **kwargs
            ) as response:
                status = response.status
                if status == 200:
                    text = await response.text()
                    try:
                        return True, json.loads(text)
                    except ValueError:
                        return True, text
                if status == 429:
                    retry_after = parse_retry_after(response.headers.get(hdrs.RETRY_AFTER), self._clock())
                    return False, RateLimitError("Request rate limited", retry_after=retry_after)
                return False, _REQUEST_STATUS_MESSAGES.get(status, f"Request failed with status {status}")
        except Exception as exc:
            return False, self._failure_message(scope, exc)
