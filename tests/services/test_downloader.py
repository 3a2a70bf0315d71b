"""Downloader over real HTTP: full and resumed transfers, redirects, progress, sessions, small requests.

Every test talks to the scripted server on 127.0.0.1; only time (clock, sleep) is injected.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import os
import ssl

import aiohttp
import pytest

from py.services.downloader import (
    DEFAULT_STALL_TIMEOUT,
    OFFLINE_FRIENDLY_MESSAGE,
    USER_AGENT,
    DownloadProgress,
    DownloadStreamControl,
    dispatch_progress,
    host_scope,
    is_ssl_cert_verify_error,
    max_retries_from,
    parse_retry_after,
    stall_timeout_from,
)
from py.services.errors import RateLimitError
from tests.fakes import FakeClock, ScriptedClock
from tests.http_server import Redirect, Serve, Status

BODY = bytes(range(256)) * 4  # 1024 bytes, every offset distinguishable


# -- plain and resumed transfers ----------------------------------------------------------------


async def test_full_download_writes_exact_bytes_and_removes_part(
    http_server, make_downloader, tmp_path, sleeps
):
    url = http_server.route("/model.safetensors", Serve(BODY))
    target = tmp_path / "sub" / "model.safetensors"

    ok, result = await make_downloader().download_file(url, target)

    assert (ok, result) == (True, str(target))
    assert target.read_bytes() == BODY
    assert not (tmp_path / "sub" / "model.safetensors.part").exists()
    [request] = http_server.requests
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Accept-Encoding"] == "identity"
    assert "Range" not in request.headers
    assert "Authorization" not in request.headers
    assert sleeps.delays == []


async def test_resume_sends_range_and_appends_only_the_missing_bytes(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    target = tmp_path / "m.bin"
    # The part holds bytes the server never sent: they survive only if nothing is re-downloaded.
    (tmp_path / "m.bin.part").write_bytes(b"\xff" * 100)

    ok, _ = await make_downloader().download_file(url, target)

    assert ok
    assert target.read_bytes() == b"\xff" * 100 + BODY[100:]
    assert http_server.ranges("/m.bin") == ["bytes=100-"]
    assert not (tmp_path / "m.bin.part").exists()


async def test_206_without_content_range_uses_content_length_plus_offset(
    http_server, make_downloader, tmp_path
):
    url = http_server.route("/m.bin", Serve(BODY, omit_content_range=True))
    (tmp_path / "m.bin.part").write_bytes(BODY[:12])
    reports = []
    downloader = make_downloader(clock=FakeClock(step=1.0), chunk_size=506)

    ok, _ = await downloader.download_file(url, tmp_path / "m.bin", lambda p, s: reports.append(s))

    assert ok
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert [(r.bytes_downloaded, r.total_bytes) for r in reports] == [(518, 1024), (1024, 1024), (1024, 1024)]
    assert len(http_server.requests) == 1


async def test_206_total_comes_from_content_range(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    (tmp_path / "m.bin.part").write_bytes(BODY[:24])
    reports = []
    downloader = make_downloader(clock=FakeClock(step=1.0), chunk_size=1000)

    ok, _ = await downloader.download_file(url, tmp_path / "m.bin", lambda p, s: reports.append(s))

    assert ok
    assert [(r.percent_complete, r.bytes_downloaded, r.total_bytes) for r in reports] == [
        (100.0, 1024, 1024),
        (100.0, 1024, 1024),
    ]


async def test_server_ignoring_range_restarts_from_scratch(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY, honour_range=False))
    (tmp_path / "m.bin.part").write_bytes(b"\xff" * 100)

    ok, _ = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert ok
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert http_server.ranges("/m.bin") == ["bytes=100-"]


async def test_redirect_that_ignored_range_is_retried_at_the_final_url(
    http_server, make_downloader, tmp_path
):
    http_server.route("/files/m.bin", Serve(BODY, honour_range=False), Serve(BODY))
    url = http_server.route("/api/download", Redirect("/files/m.bin"))
    (tmp_path / "m.bin.part").write_bytes(b"\xff" * 100)

    ok, _ = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert ok
    assert (tmp_path / "m.bin").read_bytes() == b"\xff" * 100 + BODY[100:]
    assert [(r.path, r.headers.get("Range")) for r in http_server.requests] == [
        ("/api/download", "bytes=100-"),
        ("/files/m.bin", "bytes=100-"),
        ("/files/m.bin", "bytes=100-"),
    ]


async def test_final_url_already_tried_falls_back_to_a_full_download(http_server, make_downloader, tmp_path):
    http_server.route("/files/m.bin", Serve(BODY, honour_range=False))
    url = http_server.route("/api/download", Redirect("/files/m.bin"))
    (tmp_path / "m.bin.part").write_bytes(b"\xff" * 100)

    ok, _ = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert ok
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert [r.path for r in http_server.requests] == ["/api/download", "/files/m.bin", "/files/m.bin"]


async def test_redirect_is_followed_on_a_fresh_download(http_server, make_downloader, tmp_path):
    http_server.route("/files/m.bin", Serve(BODY))
    url = http_server.route("/api/download", Redirect("/files/m.bin"))

    ok, _ = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert ok
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert [r.path for r in http_server.requests] == ["/api/download", "/files/m.bin"]


async def test_416_with_complete_part_is_finalised_without_downloading(
    http_server, make_downloader, tmp_path
):
    url = http_server.route("/m.bin", Serve(BODY))
    http_server.route("/m.bin", Serve(BODY), method="HEAD")
    (tmp_path / "m.bin.part").write_bytes(BODY)
    reports = []

    ok, result = await make_downloader().download_file(
        url, tmp_path / "m.bin", lambda p, s: reports.append(s)
    )

    assert (ok, result) == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert not (tmp_path / "m.bin.part").exists()
    assert [(r.method, r.headers.get("Range")) for r in http_server.requests] == [
        ("GET", "bytes=1024-"),
        ("HEAD", None),
    ]
    assert [dataclasses.asdict(r) for r in reports] == [
        {
            "percent_complete": 100.0,
            "bytes_downloaded": 1024,
            "total_bytes": 1024,
            "bytes_per_second": 0.0,
            "timestamp": 1_700_000_000.0,
        }
    ]


@pytest.mark.parametrize("head", [Serve(BODY + b"x"), Status(405)], ids=["length-differs", "head-fails"])
async def test_416_with_unverifiable_part_downloads_again(
    http_server, make_downloader, tmp_path, head, sleeps
):
    url = http_server.route("/m.bin", Status(416), Serve(BODY))
    http_server.route("/m.bin", head, method="HEAD")
    (tmp_path / "m.bin.part").write_bytes(b"\xff" * 2000)

    ok, _ = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert ok
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert http_server.ranges("/m.bin") == ["bytes=2000-", None]
    assert sleeps.delays == []


async def test_empty_part_file_is_not_a_resume(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    (tmp_path / "m.bin.part").write_bytes(b"")

    ok, _ = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert ok
    assert http_server.ranges("/m.bin") == [None]
    assert (tmp_path / "m.bin").read_bytes() == BODY


async def test_without_resume_the_target_is_written_directly(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    (tmp_path / "m.bin").write_bytes(b"old content that is longer than nothing")
    (tmp_path / "m.bin.part").write_bytes(b"\xff" * 10)

    ok, result = await make_downloader().download_file(url, tmp_path / "m.bin", allow_resume=False)

    assert (ok, result) == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert http_server.ranges("/m.bin") == [None]
    # An unrelated .part is neither used nor touched.
    assert (tmp_path / "m.bin.part").read_bytes() == b"\xff" * 10


async def test_existing_target_is_replaced_on_finalise(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    (tmp_path / "m.bin").write_bytes(b"stale")

    ok, _ = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert ok
    assert (tmp_path / "m.bin").read_bytes() == BODY


# -- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "use_auth", "expected"),
    [
        (
            {"civitai_api_key": "k-123"},
            True,
            {"Authorization": "Bearer k-123", "Content-Type": "application/json"},
        ),
        ({"civitai_api_key": "k-123"}, False, {}),
        ({"civitai_api_key": ""}, True, {}),
        ({}, True, {}),
        ({"civitai_api_key": "k-123"}, None, {}),
    ],
    ids=["key-and-auth", "key-no-auth", "empty-key", "no-key", "key-default"],
)
async def test_auth_headers_only_with_use_auth_and_a_key(
    http_server, make_downloader, tmp_path, settings, use_auth, expected
):
    url = http_server.route("/m.bin", Serve(BODY))

    auth = {} if use_auth is None else {"use_auth": use_auth}
    await make_downloader(settings).download_file(url, tmp_path / "m.bin", **auth)

    [request] = http_server.requests
    sent = {k: request.headers[k] for k in ("Authorization", "Content-Type") if k in request.headers}
    assert sent == expected


async def test_custom_headers_are_sent_and_override_defaults(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))

    await make_downloader().download_file(
        url, tmp_path / "m.bin", custom_headers={"X-Trace": "abc", "User-Agent": "custom/2"}
    )

    [request] = http_server.requests
    assert request.headers["X-Trace"] == "abc"
    assert request.headers["User-Agent"] == "custom/2"
    assert request.headers["Accept-Encoding"] == "identity"


# -- progress -----------------------------------------------------------------------------------


async def test_progress_snapshots_at_most_once_a_second_then_a_final_100(
    http_server, make_downloader, tmp_path, snapshot
):
    url = http_server.route("/m.bin", Serve(BODY))
    reports: list[DownloadProgress] = []
    downloader = make_downloader(clock=FakeClock(step=0.25), chunk_size=64)

    ok, _ = await downloader.download_file(url, tmp_path / "m.bin", lambda p, s: reports.append(s))

    assert ok
    gaps = [b.timestamp - a.timestamp for a, b in zip(reports[:-2], reports[1:-1], strict=True)]
    assert all(gap >= 1.0 for gap in gaps)
    percents = [r.percent_complete for r in reports]
    assert percents == sorted(percents)
    assert reports[-1] == DownloadProgress(100.0, 1024, 1024, 0.0, reports[-1].timestamp)
    assert [dataclasses.asdict(r) for r in reports] == snapshot


async def test_speed_uses_a_five_second_window(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    reports: list[DownloadProgress] = []
    # Each chunk is 64 bytes and 2 s apart: the window holds the last three samples (4 s).
    downloader = make_downloader(clock=FakeClock(step=2.0), chunk_size=64)

    await downloader.download_file(url, tmp_path / "m.bin", lambda p, s: reports.append(s))

    assert [r.bytes_per_second for r in reports[:3]] == [0.0, 32.0, 32.0]
    assert reports[5].bytes_per_second == 32.0


async def test_unknown_total_reports_zero_percent_and_no_total(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY, chunked=True))
    reports = []
    downloader = make_downloader(clock=FakeClock(step=1.0), chunk_size=512)

    ok, _ = await downloader.download_file(url, tmp_path / "m.bin", lambda p, s: reports.append(s))

    assert ok
    assert [(r.percent_complete, r.total_bytes) for r in reports] == [(0.0, None), (0.0, None), (100.0, 1024)]


async def test_one_argument_callback_gets_the_percent(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    seen = []

    await make_downloader(clock=FakeClock(step=1.0), chunk_size=512).download_file(
        url, tmp_path / "m.bin", seen.append
    )

    assert seen == [50.0, 100.0, 100.0]


async def test_async_callback_is_awaited(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    seen = []

    async def on_progress(percent, snapshot):
        await asyncio.sleep(0)
        seen.append((percent, snapshot.bytes_downloaded))

    await make_downloader(clock=FakeClock(step=1.0), chunk_size=512).download_file(
        url, tmp_path / "m.bin", on_progress
    )

    assert seen == [(50.0, 512), (100.0, 1024), (100.0, 1024)]


async def test_type_error_inside_callback_is_not_retried_as_one_argument_call(
    http_server, make_downloader, tmp_path, caplog
):
    # Quirk fixed: upstream called the callback again with one argument when it raised TypeError.
    url = http_server.route("/m.bin", Serve(BODY))
    calls = []

    def broken(percent, snapshot=None):
        calls.append(snapshot is not None)
        raise TypeError("bug inside the callback")

    ok, _ = await make_downloader(clock=FakeClock(step=1.0), chunk_size=512).download_file(
        url, tmp_path / "m.bin", broken
    )

    assert ok
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert calls == [True, True, True]
    assert caplog.text.count("Progress callback failed") == 3


async def test_dispatch_progress_without_callback_does_nothing():
    assert await dispatch_progress(None, 5.0, None) is None


# -- pause / resume -----------------------------------------------------------------------------


async def _download_paused_after_256_bytes(make_downloader, url, dest):
    """A download (256-byte chunks) whose progress callback pauses it once the first chunk is in.

    Returns the running task and its control, after the pause.
    """
    control = DownloadStreamControl(stall_timeout=60)
    paused = asyncio.Event()

    def on_progress(percent, snapshot):
        if snapshot.bytes_downloaded == 256 and not paused.is_set():
            control.pause()
            paused.set()

    downloader = make_downloader(clock=FakeClock(step=1.0), chunk_size=256)
    task = asyncio.create_task(downloader.download_file(url, dest, on_progress, pause_event=control))
    await paused.wait()
    return task, control


async def test_pause_stops_reading_and_resume_continues_on_the_same_connection(
    http_server, make_downloader, tmp_path
):
    rest = asyncio.Event()
    url = http_server.route("/m.bin", Serve(BODY, split=(256, rest)))
    task, control = await _download_paused_after_256_bytes(make_downloader, url, tmp_path / "m.bin")
    rest.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert (tmp_path / "m.bin.part").read_bytes() == BODY[:256]
    assert not task.done()

    control.resume()
    assert await task == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert http_server.ranges("/m.bin") == [None]


async def test_resume_with_reconnect_opens_a_new_ranged_request(
    http_server, make_downloader, tmp_path, sleeps
):
    rest = asyncio.Event()
    url = http_server.route("/m.bin", Serve(BODY, split=(256, rest)), Serve(BODY))
    task, control = await _download_paused_after_256_bytes(make_downloader, url, tmp_path / "m.bin")
    control.resume(force_reconnect=True)

    assert await task == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert http_server.ranges("/m.bin") == [None, "bytes=256-"]
    assert sleeps.delays == [2.0]


async def test_reconnect_request_while_running_restarts_with_range(
    http_server, make_downloader, tmp_path, sleeps
):
    url = http_server.route("/m.bin", Serve(BODY))
    control = DownloadStreamControl(stall_timeout=60)
    asked = []

    def on_progress(percent, snapshot):
        if not asked:
            asked.append(snapshot.bytes_downloaded)
            control.request_reconnect()

    downloader = make_downloader(clock=FakeClock(step=1.0), chunk_size=256)
    ok, _ = await downloader.download_file(url, tmp_path / "m.bin", on_progress, pause_event=control)

    assert ok
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert http_server.ranges("/m.bin") == [None, "bytes=256-"]
    assert sleeps.delays == [2.0]


# -- DownloadStreamControl ----------------------------------------------------------------------


async def test_stream_control_pause_resume_and_reconnect_flags():
    control = DownloadStreamControl()
    assert control.stall_timeout == DEFAULT_STALL_TIMEOUT
    assert (control.is_set(), control.is_paused(), control.has_reconnect_request()) == (True, False, False)

    control.pause()
    assert (control.is_set(), control.is_paused()) == (False, True)
    control.resume()
    assert (control.is_paused(), control.has_reconnect_request()) == (False, False)

    control.clear()
    assert control.is_paused()
    control.set()
    assert not control.is_paused()

    control.pause()
    control.resume(force_reconnect=True)
    assert (control.is_paused(), control.has_reconnect_request()) == (False, True)
    assert control.consume_reconnect_request() is True
    assert control.consume_reconnect_request() is False

    control.pause()
    control.request_reconnect()
    assert (control.is_paused(), control.has_reconnect_request()) == (False, True)
    await asyncio.wait_for(control.wait(), 1)


def test_stream_control_progress_clock():
    clock = FakeClock(start=100.0)
    control = DownloadStreamControl(stall_timeout=45, clock=clock)
    assert control.stall_timeout == 45.0
    assert control.time_since_last_progress() is None

    control.request_reconnect()
    control.mark_progress()
    assert control.last_progress_timestamp == 100.0
    assert control.has_reconnect_request() is False

    clock.advance(7.5)
    assert control.time_since_last_progress() == 7.5
    assert control.time_since_last_progress(now=101.0) == 1.0
    assert control.time_since_last_progress(now=50.0) == 0.0
    control.mark_progress(ts=105.0)
    assert control.last_progress_timestamp == 105.0
    control.mark_progress(ts=0)
    assert control.last_progress_timestamp == 107.5

    control.update_stall_timeout(31)
    assert control.stall_timeout == 31.0
    assert isinstance(control.stall_timeout, float)


# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, 5),
        ({"COMFYUI_DOWNLOAD_MAX_RETRIES": "2"}, 2),
        ({"COMFYUI_DOWNLOAD_MAX_RETRIES": "-4"}, 0),
        ({"COMFYUI_DOWNLOAD_MAX_RETRIES": "lots"}, 5),
        ({"COMFYUI_DOWNLOAD_MAX_RETRIES": "0"}, 0),
    ],
)
def test_max_retries_from_env(env, expected):
    assert max_retries_from(env) == expected


@pytest.mark.parametrize(
    ("settings", "env", "expected"),
    [
        ({}, {}, 120.0),
        ({"download_stall_timeout_seconds": 45}, {"COMFYUI_DOWNLOAD_STALL_TIMEOUT": "90"}, 45.0),
        ({}, {"COMFYUI_DOWNLOAD_STALL_TIMEOUT": "90"}, 90.0),
        ({"download_stall_timeout_seconds": 5}, {}, 30.0),
        ({"download_stall_timeout_seconds": "soon"}, {}, 120.0),
        ({}, {"COMFYUI_DOWNLOAD_STALL_TIMEOUT": "30.5"}, 30.5),
    ],
)
def test_stall_timeout_from_settings_then_env(settings, env, expected):
    assert stall_timeout_from(settings, env) == expected


def test_downloader_reads_its_configuration(make_downloader):
    downloader = make_downloader(
        {"download_stall_timeout_seconds": 40}, env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "3"}
    )
    assert (downloader.max_retries, downloader.stall_timeout) == (3, 40.0)
    assert (downloader.base_delay, downloader.session_timeout, downloader.chunk_size) == (
        2.0,
        300.0,
        16 * 1024 * 1024,
    )


def test_downloader_reads_the_process_environment_by_default(monkeypatch):
    from py.services.downloader import Downloader

    monkeypatch.setenv("COMFYUI_DOWNLOAD_MAX_RETRIES", "1")
    monkeypatch.setenv("COMFYUI_DOWNLOAD_STALL_TIMEOUT", "77")
    downloader = Downloader()
    assert (downloader.max_retries, downloader.stall_timeout) == (1, 77.0)


# -- sessions -----------------------------------------------------------------------------------


async def test_default_session_settings(make_downloader):
    downloader = make_downloader()
    session = await downloader._get_session()
    assert session.connector.limit == 8
    assert session.connector._cached_hosts._ttl == 300
    assert session.timeout == aiohttp.ClientTimeout(total=None, connect=60, sock_read=300)
    assert session.trust_env is True


async def test_http_proxy_is_used_per_request(http_server, make_downloader, tmp_path):
    http_server.route("/m.bin", Serve(BODY))
    port = http_server.url("/").split(":")[2].rstrip("/")
    settings = {
        "proxy_enabled": True,
        "proxy_host": "127.0.0.1",
        "proxy_port": port,
        "proxy_type": "HTTP",
        "proxy_username": "user",
        "proxy_password": "secret",
    }
    downloader = make_downloader(settings)

    ok, _ = await downloader.download_file("http://models.invalid/m.bin", tmp_path / "m.bin")

    assert ok
    assert (tmp_path / "m.bin").read_bytes() == BODY
    [request] = http_server.requests
    assert request.headers["Host"] == "models.invalid"
    assert request.headers["Proxy-Authorization"] == "Basic dXNlcjpzZWNyZXQ="
    session = await downloader._get_session()
    assert session.trust_env is False


async def test_proxy_without_username_sends_no_credentials(http_server, make_downloader, tmp_path):
    http_server.route("/m.bin", Serve(BODY))
    port = http_server.url("/").split(":")[2].rstrip("/")
    settings = {"proxy_enabled": True, "proxy_host": "127.0.0.1", "proxy_port": port}

    ok, _ = await make_downloader(settings).download_file("http://models.invalid/m.bin", tmp_path / "m.bin")

    assert ok
    assert "Proxy-Authorization" not in http_server.requests[0].headers


@pytest.mark.parametrize("missing", ["proxy_enabled", "proxy_host", "proxy_port"])
async def test_incomplete_proxy_settings_mean_no_proxy(http_server, make_downloader, tmp_path, missing):
    url = http_server.route("/m.bin", Serve(BODY))
    settings = {"proxy_enabled": True, "proxy_host": "proxy.invalid", "proxy_port": 9}
    del settings[missing]

    downloader = make_downloader(settings)
    ok, _ = await downloader.download_file(url, tmp_path / "m.bin")

    assert ok
    assert (await downloader._get_session()).trust_env is True


async def test_socks_proxy_is_refused_with_a_clear_message(make_downloader, tmp_path):
    settings = {"proxy_enabled": True, "proxy_host": "127.0.0.1", "proxy_port": 1080, "proxy_type": "socks5"}

    result = await make_downloader(settings).download_file("http://models.invalid/m.bin", tmp_path / "m.bin")

    assert result == (False, "SOCKS proxies are not supported; use an http or https proxy")


class CountingFactory:
    def __init__(self, fail_from: int | None = None) -> None:
        self.sessions: list[aiohttp.ClientSession] = []
        self.old_closed_when_created: list[bool] = []
        self.fail_from = fail_from

    def __call__(self) -> aiohttp.ClientSession:
        if self.fail_from is not None and len(self.sessions) >= self.fail_from:
            raise RuntimeError("cannot build a session")
        self.old_closed_when_created.append(bool(self.sessions) and self.sessions[-1].closed)
        session = aiohttp.ClientSession()
        self.sessions.append(session)
        return session


@pytest.mark.parametrize(("age", "expected_sessions"), [(300.0, 1), (300.5, 2)])
async def test_session_is_recreated_after_the_session_timeout(
    http_server, make_downloader, tmp_path, clock, age, expected_sessions
):
    url = http_server.route("/m.bin", Serve(BODY))
    factory = CountingFactory()
    downloader = make_downloader(session_factory=factory)

    await downloader.download_file(url, tmp_path / "a.bin")
    clock.advance(age)
    await downloader.download_file(url, tmp_path / "b.bin")

    assert len(factory.sessions) == expected_sessions
    assert factory.sessions[0].closed is (expected_sessions == 2)
    assert (tmp_path / "b.bin").read_bytes() == BODY


async def test_refresh_closes_the_old_session_only_after_the_new_one_exists(make_downloader):
    factory = CountingFactory()
    downloader = make_downloader(session_factory=factory)
    first = await downloader._get_session()

    await downloader.refresh_session()

    assert factory.old_closed_when_created == [False, False]
    assert first.closed
    assert await downloader._get_session() is factory.sessions[1]


async def test_failed_refresh_keeps_the_old_session(make_downloader):
    factory = CountingFactory(fail_from=1)
    downloader = make_downloader(session_factory=factory)
    first = await downloader._get_session()

    with pytest.raises(RuntimeError, match="cannot build a session"):
        await downloader.refresh_session()

    assert not first.closed
    assert await downloader._get_session() is first


async def test_close_closes_and_forgets_the_session(make_downloader):
    factory = CountingFactory()
    downloader = make_downloader(session_factory=factory)
    await downloader._get_session()

    await downloader.close()
    await downloader.close()

    assert factory.sessions[0].closed
    assert await downloader._get_session() is factory.sessions[1]


# -- download_to_memory / get_response_headers / make_request ------------------------------------


class Guard:
    def __init__(self, blocked: bool = False, offline_after_failure: bool = True) -> None:
        self.blocked = blocked
        self.offline_after_failure = offline_after_failure
        self.checked: list[str] = []
        self.reported: list[str] = []

    def is_blocked(self, scope: str) -> bool:
        self.checked.append(scope)
        return self.blocked

    def report_unreachable(self, scope: str) -> bool:
        self.reported.append(scope)
        return self.offline_after_failure


async def test_download_to_memory_returns_bytes_and_optional_headers(http_server, make_downloader):
    url = http_server.route("/img.png", Serve(b"png-bytes", headers={"X-Kind": "image"}))
    downloader = make_downloader({"civitai_api_key": "k"})

    ok, body, headers = await downloader.download_to_memory(url, use_auth=True, custom_headers={"X-A": "1"})
    assert (ok, body, headers) == (True, b"png-bytes", None)

    ok, body, headers = await downloader.download_to_memory(url, return_headers=True)
    assert (ok, body) == (True, b"png-bytes")
    assert headers["X-Kind"] == "image"
    assert headers["Content-Length"] == "9"
    first, second = http_server.requests
    assert (first.headers["Authorization"], first.headers["X-A"]) == ("Bearer k", "1")
    assert "Authorization" not in second.headers


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (401, "Unauthorized access - invalid or missing API key"),
        (403, "Access forbidden"),
        (404, "File not found"),
        (500, "Download failed with status 500"),
    ],
)
async def test_download_to_memory_status_messages(http_server, make_downloader, status, message):
    url = http_server.route("/x", Status(status))

    assert await make_downloader().download_to_memory(url) == (False, message, None)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7),
        ({"Retry-After": "0"}, 1),
        ({"Retry-After": "2.9"}, 2),
        ({}, 60),
        ({"Retry-After": "whenever"}, 60),
        ({"Retry-After": "Tue, 14 Nov 2023 22:15:20 GMT"}, 120),
    ],
)
async def test_download_to_memory_rate_limit_message(http_server, make_downloader, headers, seconds):
    url = http_server.route("/x", Status(429, headers=headers))

    result = await make_downloader().download_to_memory(url)

    assert result == (False, f"Rate limited (429), retry after {seconds}s", None)


async def test_guard_blocks_small_requests_before_any_traffic(http_server, make_downloader):
    url = http_server.route("/x", Serve(b"{}"))
    guard = Guard(blocked=True)
    downloader = make_downloader(guard=guard)

    assert await downloader.download_to_memory(url) == (False, OFFLINE_FRIENDLY_MESSAGE, None)
    assert await downloader.get_response_headers(url) == (False, OFFLINE_FRIENDLY_MESSAGE)
    assert await downloader.make_request("GET", url) == (False, OFFLINE_FRIENDLY_MESSAGE)
    assert http_server.requests == []
    assert guard.checked == ["127.0.0.1"] * 3


async def test_download_file_does_not_consult_the_guard(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    guard = Guard(blocked=True)

    ok, _ = await make_downloader(guard=guard).download_file(url, tmp_path / "m.bin")

    assert ok
    assert guard.checked == []


def _closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/x"


async def test_unreachable_host_is_reported_to_the_guard(make_downloader):
    url = _closed_port_url()
    guard = Guard()
    downloader = make_downloader(guard=guard)

    assert await downloader.download_to_memory(url) == (False, OFFLINE_FRIENDLY_MESSAGE, None)
    assert await downloader.get_response_headers(url) == (False, OFFLINE_FRIENDLY_MESSAGE)
    assert await downloader.make_request("GET", url) == (False, OFFLINE_FRIENDLY_MESSAGE)
    assert guard.reported == ["127.0.0.1"] * 3


async def test_unreachable_host_message_when_guard_keeps_it_online(make_downloader):
    url = _closed_port_url()
    guard = Guard(offline_after_failure=False)

    ok, message, headers = await make_downloader(guard=guard).download_to_memory(url)

    assert (ok, headers) == (False, None)
    assert message.startswith("Cannot connect to host 127.0.0.1:")
    assert guard.reported == ["127.0.0.1"]


async def test_errors_without_guard_are_returned_as_text(make_downloader):
    url = _closed_port_url()
    downloader = make_downloader()

    ok, message, _ = await downloader.download_to_memory(url)
    assert not ok
    assert message.startswith("Cannot connect to host 127.0.0.1:")
    ok, message = await downloader.get_response_headers(url)
    assert message.startswith("Cannot connect to host 127.0.0.1:")
    ok, message = await downloader.make_request("GET", url)
    assert message.startswith("Cannot connect to host 127.0.0.1:")


async def test_non_connection_errors_are_not_reported_to_the_guard(http_server, make_downloader):
    url = http_server.route("/x", Serve(b"abcdef", disconnect_after=2))
    guard = Guard()

    ok, message, _ = await make_downloader(guard=guard).download_to_memory(url)

    assert not ok
    assert message != OFFLINE_FRIENDLY_MESSAGE
    assert guard.reported == []


async def test_get_response_headers(http_server, make_downloader):
    url = http_server.route("/m.bin", Serve(BODY, headers={"ETag": '"v1"'}), method="HEAD")
    missing = http_server.route("/gone", Status(404), method="HEAD")
    downloader = make_downloader({"civitai_api_key": "k"})

    ok, headers = await downloader.get_response_headers(url, use_auth=True, custom_headers={"X-A": "1"})
    assert ok
    assert (headers["Content-Length"], headers["Etag"]) == ("1024", '"v1"')
    assert await downloader.get_response_headers(missing) == (False, "Head request failed with status 404")
    first = http_server.requests[0]
    assert (first.method, first.headers["Authorization"], first.headers["X-A"]) == ("HEAD", "Bearer k", "1")


async def test_make_request_parses_json_or_returns_text(http_server, make_downloader):
    json_url = http_server.route("/api/v1/models", Serve(b'{"id": 7, "tags": ["a"]}'), method="POST")
    text_url = http_server.route("/plain", Serve(b"not json"))
    downloader = make_downloader({"civitai_api_key": "k"})

    assert await downloader.make_request(
        "POST", json_url, use_auth=True, custom_headers={"X-A": "1"}, params={"page": "2"}
    ) == (True, {"id": 7, "tags": ["a"]})
    assert await downloader.make_request("GET", text_url) == (True, "not json")
    first = http_server.requests[0]
    assert (first.headers["Authorization"], first.headers["X-A"]) == ("Bearer k", "1")


async def test_make_request_passes_extra_arguments(http_server, make_downloader):
    from aiohttp import web

    seen = {}

    class Echo:
        async def respond(self, request, server):
            seen["query"] = dict(request.query)
            seen["body"] = await request.json()
            return web.json_response({"ok": True})

    url = http_server.route("/echo", Echo(), method="POST")

    result = await make_downloader().make_request("POST", url, params={"page": "2"}, json={"a": 1})

    assert result == (True, {"ok": True})
    assert seen == {"query": {"page": "2"}, "body": {"a": 1}}


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (401, "Unauthorized access - invalid or missing API key"),
        (403, "Access forbidden"),
        (404, "Resource not found"),
        (502, "Request failed with status 502"),
    ],
)
async def test_make_request_status_messages(http_server, make_downloader, status, message):
    url = http_server.route("/x", Status(status))

    assert await make_downloader().make_request("GET", url) == (False, message)


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({}, None),
        ({"Retry-After": "Tue, 14 Nov 2023 22:14:00"}, None),
        ({"Retry-After": "Tue, 14 Nov 2023 22:15:20 GMT"}, 120.0),
    ],
)
async def test_make_request_rate_limit_is_a_rate_limit_error(
    http_server, make_downloader, headers, retry_after
):
    url = http_server.route("/x", Status(429, headers=headers))

    ok, error = await make_downloader().make_request("GET", url)

    assert ok is False
    assert isinstance(error, RateLimitError)
    assert (str(error), error.message, error.retry_after, error.provider) == (
        "Request rate limited",
        "Request rate limited",
        retry_after,
        None,
    )


# -- pure helpers -------------------------------------------------------------------------------

NOW = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        (email.utils.formatdate(NOW + 90, usegmt=True), 90.0),
        (email.utils.formatdate(NOW - 90, usegmt=True), 0.0),
        ("Tue, 14 Nov 2023 22:15:20 +0100", 0.0),
        ("Tue, 14 Nov 2023 22:15:20", None),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, NOW) == expected


def test_ssl_certificate_errors_are_recognised():
    assert is_ssl_cert_verify_error(ssl.SSLCertVerificationError("bad cert"))
    assert is_ssl_cert_verify_error(aiohttp.ClientConnectorCertificateError(None, ValueError("x")))
    assert is_ssl_cert_verify_error(OSError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    assert not is_ssl_cert_verify_error(OSError("connection reset"))


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        ("https://CivitAI.com/api/x", "civitai.com"),
        ("http://127.0.0.1:8080/a", "127.0.0.1"),
        ("no-host", "unknown"),
    ],
)
def test_host_scope(url, scope):
    assert host_scope(url) == scope


async def test_speed_window_keeps_a_sample_exactly_five_seconds_old(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY[:192]))
    reports: list[DownloadProgress] = []
    # Calls: session created, meter started, one per 64-byte chunk, final report.
    clock = ScriptedClock([0.0, 0.0, 1.0, 2.0, 6.0, 7.0])

    ok, _ = await make_downloader(clock=clock, chunk_size=64).download_file(
        url, tmp_path / "m.bin", lambda p, s: reports.append(s)
    )

    assert ok
    assert [(r.timestamp, r.bytes_downloaded, r.bytes_per_second) for r in reports] == [
        (1.0, 64, 0.0),
        (2.0, 128, 64.0),
        (6.0, 192, 25.6),
        (7.0, 192, 0.0),
    ]


@pytest.mark.parametrize(
    ("content_range", "total"),
    [("bytes 24-1023/*", 1024), ("bytes 24-1023", 1024), ("bytes 24-1023/ 2048", 2048)],
    ids=["unknown-total", "no-slash", "spaced-total"],
)
async def test_unusual_content_range_totals(http_server, make_downloader, tmp_path, content_range, total):
    url = http_server.route(
        "/m.bin", Serve(BODY, omit_content_range=True, headers={"Content-Range": content_range})
    )
    (tmp_path / "m.bin.part").write_bytes(BODY[:24])
    reports = []

    ok, message = await make_downloader(env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "0"}).download_file(
        url, tmp_path / "m.bin", lambda p, s: reports.append(s)
    )

    if total == 1024:
        assert (ok, reports[-1].total_bytes) == (True, 1024)
    else:
        assert (ok, message) == (False, "File size mismatch. Expected: 2048, Got: 1024")


async def test_206_with_neither_content_range_nor_length(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY, omit_content_range=True, chunked=True))
    (tmp_path / "m.bin.part").write_bytes(BODY[:24])

    result = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert result == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY


async def test_socks_settings_with_a_custom_session_are_not_sent_per_request(
    http_server, make_downloader, tmp_path
):
    url = http_server.route("/m.bin", Serve(BODY))
    settings = {"proxy_enabled": True, "proxy_host": "127.0.0.1", "proxy_port": 1080, "proxy_type": "socks5"}

    ok, _ = await make_downloader(settings, session_factory=aiohttp.ClientSession).download_file(
        url, tmp_path / "m.bin"
    )

    assert ok
    assert len(http_server.requests) == 1


async def test_proxy_username_without_password(http_server, make_downloader, tmp_path):
    http_server.route("/m.bin", Serve(BODY))
    port = http_server.url("/").split(":")[2].rstrip("/")
    settings = {
        "proxy_enabled": True,
        "proxy_host": "127.0.0.1",
        "proxy_port": port,
        "proxy_username": "user",
    }

    ok, _ = await make_downloader(settings).download_file("http://models.invalid/m.bin", tmp_path / "m.bin")

    assert ok
    assert http_server.requests[0].headers["Proxy-Authorization"] == "Basic dXNlcjo="


async def test_relative_save_path_in_the_working_directory(
    http_server, make_downloader, tmp_path, monkeypatch
):
    url = http_server.route("/m.bin", Serve(BODY))
    monkeypatch.chdir(tmp_path)

    result = await make_downloader().download_file(url, "m.bin")

    assert result == (True, "m.bin")
    assert os.listdir(tmp_path) == ["m.bin"]


async def test_failed_resume_keeps_an_existing_target(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY, disconnect_after=100))
    (tmp_path / "m.bin").write_bytes(b"previous version")

    ok, _ = await make_downloader(env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "0"}).download_file(
        url, tmp_path / "m.bin"
    )

    assert not ok
    assert (tmp_path / "m.bin").read_bytes() == b"previous version"
    assert (tmp_path / "m.bin.part").read_bytes() == BODY[:100]


async def test_each_chunk_marks_progress_on_the_control(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    control = DownloadStreamControl(stall_timeout=60, clock=FakeClock(start=500.0, step=1.0))

    ok, _ = await make_downloader(chunk_size=256).download_file(url, tmp_path / "m.bin", pause_event=control)

    assert ok
    assert control.last_progress_timestamp == 503.0


# -- one-byte boundaries ------------------------------------------------------------------------


async def test_one_byte_part_is_resumed(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY))
    (tmp_path / "m.bin.part").write_bytes(b"\xff")

    assert (await make_downloader().download_file(url, tmp_path / "m.bin"))[0]

    assert http_server.ranges("/m.bin") == ["bytes=1-"]
    assert (tmp_path / "m.bin").read_bytes() == b"\xff" + BODY[1:]


async def test_one_byte_part_with_a_server_ignoring_range(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(BODY, honour_range=False))
    (tmp_path / "m.bin.part").write_bytes(b"\xff")

    assert (await make_downloader().download_file(url, tmp_path / "m.bin"))[0]

    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert len(http_server.requests) == 1


async def test_complete_one_byte_part_answered_416(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(b"z"))
    http_server.route("/m.bin", Serve(b"z"), method="HEAD")
    (tmp_path / "m.bin.part").write_bytes(b"z")

    assert await make_downloader().download_file(url, tmp_path / "m.bin") == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == b"z"


async def test_one_byte_file(http_server, make_downloader, tmp_path):
    url = http_server.route("/m.bin", Serve(b"z"))

    assert await make_downloader().download_file(url, tmp_path / "m.bin") == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == b"z"


# -- redirects that come back -------------------------------------------------------------------


async def test_redirect_back_to_a_tried_url_is_not_followed_again(http_server, make_downloader, tmp_path):
    # /a redirects to /b, which ignores Range, so /b is asked directly; /b then redirects via /c
    # back to itself and ignores Range again: it was tried, so the download restarts from zero.
    http_server.route("/a", Redirect("/b"))
    http_server.route("/b", Serve(BODY, honour_range=False), Redirect("/c"), Serve(BODY, honour_range=False))
    http_server.route("/c", Redirect("/b"))
    (tmp_path / "m.bin.part").write_bytes(b"\xff" * 10)

    assert (await make_downloader().download_file(http_server.url("/a"), tmp_path / "m.bin"))[0]

    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert [r.path for r in http_server.requests] == ["/a", "/b", "/b", "/c", "/b"]


async def test_redirect_to_the_starting_url_is_not_followed_again(http_server, make_downloader, tmp_path):
    http_server.route("/a", Redirect("/b"), Serve(BODY, honour_range=False))
    http_server.route("/b", Redirect("/a"))
    (tmp_path / "m.bin.part").write_bytes(b"\xff" * 10)

    assert (await make_downloader().download_file(http_server.url("/a"), tmp_path / "m.bin"))[0]

    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert [r.path for r in http_server.requests] == ["/a", "/b", "/a"]


async def test_every_request_goes_through_the_http_proxy(http_server, make_downloader, tmp_path):
    http_server.route("/m.bin", Status(416), Serve(BODY))
    http_server.route("/m.bin", Serve(BODY), method="HEAD")
    http_server.route("/api", Serve(b'{"a": 1}'))
    port = http_server.url("/").split(":")[2].rstrip("/")
    downloader = make_downloader({"proxy_enabled": True, "proxy_host": "127.0.0.1", "proxy_port": port})
    (tmp_path / "m.bin.part").write_bytes(BODY)

    assert (await downloader.download_file("http://models.invalid/m.bin", tmp_path / "m.bin"))[0]
    assert (await downloader.download_to_memory("http://models.invalid/api"))[1] == b'{"a": 1}'
    assert (await downloader.get_response_headers("http://models.invalid/m.bin"))[0] is True
    assert await downloader.make_request("GET", "http://models.invalid/api") == (True, {"a": 1})

    assert [(r.method, r.headers["Host"]) for r in http_server.requests] == [
        ("GET", "models.invalid"),
        ("HEAD", "models.invalid"),
        ("GET", "models.invalid"),
        ("HEAD", "models.invalid"),
        ("GET", "models.invalid"),
    ]
    # The HEAD that checks a complete part carries the same headers as the download.
    assert http_server.requests[1].headers["User-Agent"] == USER_AGENT


async def test_small_requests_do_not_authenticate_by_default(http_server, make_downloader):
    url = http_server.route("/x", Serve(b"{}"))
    http_server.route("/x", Serve(b"{}"), method="HEAD")
    downloader = make_downloader({"civitai_api_key": "k"})

    await downloader.get_response_headers(url)
    await downloader.make_request("GET", url)
    await downloader.download_to_memory(url)

    assert [r.headers.get("Authorization") for r in http_server.requests] == [None, None, None]
