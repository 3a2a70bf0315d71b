"""Downloader failures on the real ``download_file``: statuses, retries, stalls, disk and permissions.

Backoff is asserted through the injected sleep; files on disk are checked after every failure.
"""

from __future__ import annotations

import asyncio
import os

import aiohttp
import pytest

from py.services.downloader import DownloadStreamControl
from tests.http_server import Serve, Status

BODY = bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (401, "Invalid or missing API key, or early access restriction."),
        (403, "Access forbidden: You don't have permission to download this file."),
        (404, "File not found - the download link may be invalid or expired."),
        (500, "Download failed with status 500"),
        (429, "Download failed with status 429"),
    ],
)
async def test_http_status_failures_are_final_after_one_request(
    http_server, make_downloader, tmp_path, sleeps, status, message
):
    url = http_server.route("/m.bin", Status(status, headers={"Retry-After": "5"}))

    result = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert result == (False, message)
    assert len(http_server.requests) == 1
    assert sleeps.delays == []
    assert os.listdir(tmp_path) == []


async def test_416_without_a_part_file_is_an_error_not_content(http_server, make_downloader, tmp_path):
    # Quirk fixed: upstream saved the 416 body as the model when there was no part to resume.
    url = http_server.route("/m.bin", Status(416, body=b"range not satisfiable"))

    result = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert result == (False, "Download failed with status 416")
    assert os.listdir(tmp_path) == []


async def test_network_timeout_retries_with_exact_backoff_then_gives_up(
    http_server, make_downloader, tmp_path, sleeps
):
    url = http_server.route("/m.bin", Serve(BODY, stall_after=0))

    def short_timeouts():
        return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(sock_read=0.05))

    ok, message = await make_downloader(session_factory=short_timeouts).download_file(url, tmp_path / "m.bin")

    assert (ok, message) == (False, "Network error after 6 attempts: Timeout on reading data from socket")
    assert sleeps.delays == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert len(http_server.requests) == 6
    assert not (tmp_path / "m.bin").exists()


@pytest.mark.parametrize(("retries", "delays"), [("0", []), ("2", [2.0, 4.0])])
async def test_max_retries_bounds_the_attempts(
    http_server, make_downloader, tmp_path, sleeps, retries, delays
):
    url = http_server.route("/m.bin", Serve(BODY, disconnect_after=100))

    ok, message = await make_downloader(env={"COMFYUI_DOWNLOAD_MAX_RETRIES": retries}).download_file(
        url, tmp_path / "m.bin"
    )

    assert not ok
    assert message.startswith(f"Network error after {int(retries) + 1} attempts: ")
    assert sleeps.delays == delays
    # Each attempt resumed from what the previous one kept.
    assert http_server.ranges("/m.bin") == [None] + [f"bytes={100 * n}-" for n in range(1, len(delays) + 1)]
    assert (tmp_path / "m.bin.part").read_bytes() == BODY[: 100 * (len(delays) + 1)]
    assert not (tmp_path / "m.bin").exists()


async def test_disconnect_mid_stream_resumes_from_the_part(http_server, make_downloader, tmp_path, sleeps):
    url = http_server.route("/m.bin", Serve(BODY, disconnect_after=300), Serve(BODY))

    result = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert result == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert http_server.ranges("/m.bin") == [None, "bytes=300-"]
    assert sleeps.delays == [2.0]


async def test_wrong_content_length_is_retried_and_resumed(http_server, make_downloader, tmp_path, sleeps):
    url = http_server.route("/m.bin", Serve(BODY[:600], content_length=1024), Serve(BODY))

    result = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert result == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert http_server.ranges("/m.bin") == [None, "bytes=600-"]


async def test_stall_reconnects_with_range_and_finishes(http_server, make_downloader, tmp_path, sleeps):
    url = http_server.route("/m.bin", Serve(BODY, stall_after=32), Serve(BODY))
    control = DownloadStreamControl(stall_timeout=0.05)

    result = await make_downloader().download_file(url, tmp_path / "m.bin", pause_event=control)

    assert result == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert http_server.ranges("/m.bin") == [None, "bytes=32-"]
    assert sleeps.delays == [2.0]


async def test_stall_without_control_uses_the_downloader_timeout(
    http_server, make_downloader, tmp_path, sleeps
):
    url = http_server.route("/m.bin", Serve(BODY, stall_after=32))
    downloader = make_downloader(env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "1"})
    downloader.stall_timeout = 0.05

    result = await downloader.download_file(url, tmp_path / "m.bin")

    assert result == (False, "Network error after 2 attempts: No data received for 0.05 seconds")
    assert http_server.ranges("/m.bin") == [None, "bytes=32-"]
    assert (tmp_path / "m.bin.part").read_bytes() == BODY[:64]


async def test_short_file_keeps_the_part_and_resumes(http_server, make_downloader, tmp_path, sleeps):
    # The first answer claims a total of 2048 bytes: 1024 arrive, the part is a good prefix.
    url = http_server.route("/m.bin", Serve(BODY, range_total=2048), Serve(BODY + BODY))
    (tmp_path / "m.bin.part").write_bytes(BODY[:24])

    result = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert result == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY + BODY
    assert http_server.ranges("/m.bin") == ["bytes=24-", "bytes=1024-"]
    assert sleeps.delays == [2.0]


async def test_long_file_drops_the_part_and_starts_over(http_server, make_downloader, tmp_path, sleeps):
    url = http_server.route("/m.bin", Serve(BODY, range_total=1000), Serve(BODY))
    (tmp_path / "m.bin.part").write_bytes(BODY[:24])

    result = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert result == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert http_server.ranges("/m.bin") == ["bytes=24-", None]
    assert sleeps.delays == [2.0]


async def test_size_mismatch_exhausts_retries_with_the_integrity_message(
    http_server, make_downloader, tmp_path, sleeps
):
    url = http_server.route("/m.bin", Serve(BODY, range_total=5000), Serve(BODY + BODY, range_total=5000))
    (tmp_path / "m.bin.part").write_bytes(BODY[:24])

    result = await make_downloader(env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "1"}).download_file(
        url, tmp_path / "m.bin"
    )

    assert result == (False, "File size mismatch. Expected: 5000, Got: 2048")
    assert sleeps.delays == [2.0]
    assert http_server.ranges("/m.bin") == ["bytes=24-", "bytes=1024-"]
    assert (tmp_path / "m.bin.part").read_bytes() == BODY + BODY
    assert not (tmp_path / "m.bin").exists()


async def test_size_mismatch_without_resume_removes_the_target(
    http_server, make_downloader, tmp_path, sleeps
):
    # A 200 cannot announce a wrong total, so the short body comes as a 206 to a request without Range.
    from aiohttp import web

    class ShortPartial:
        async def respond(self, request, server):
            return web.Response(status=206, body=BODY[:10], headers={"Content-Range": "bytes 0-9/1024"})

    url = http_server.route("/m.bin", ShortPartial())

    result = await make_downloader(env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "1"}).download_file(
        url, tmp_path / "m.bin", allow_resume=False
    )

    assert result == (False, "File size mismatch. Expected: 1024, Got: 10")
    assert os.listdir(tmp_path) == []
    assert http_server.ranges("/m.bin") == [None, None]


async def test_empty_file_is_deleted_and_retried(http_server, make_downloader, tmp_path, sleeps):
    url = http_server.route("/m.bin", Serve(b""))

    result = await make_downloader(env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "3"}).download_file(
        url, tmp_path / "m.bin"
    )

    assert result == (False, "Downloaded file is empty")
    assert sleeps.delays == [2.0, 4.0, 8.0]
    assert os.listdir(tmp_path) == []


async def test_disk_full_fails_at_once_and_keeps_the_part(http_server, make_downloader, tmp_path, sleeps):
    url = http_server.route("/m.bin", Serve(BODY))
    (tmp_path / "m.bin.part").symlink_to("/dev/full")

    result = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert result == (False, "[Errno 28] No space left on device")
    assert sleeps.delays == []
    assert len(http_server.requests) == 1
    assert not (tmp_path / "m.bin").exists()
    assert (tmp_path / "m.bin.part").is_symlink()


async def test_disk_full_without_resume_leaves_no_corrupt_target(http_server, make_downloader, tmp_path):
    # Quirk fixed: writing in place, upstream left the truncated file under the final name.
    url = http_server.route("/m.bin", Serve(BODY))
    (tmp_path / "m.bin").symlink_to("/dev/full")

    result = await make_downloader().download_file(url, tmp_path / "m.bin", allow_resume=False)

    assert result == (False, "[Errno 28] No space left on device")
    assert not os.path.lexists(tmp_path / "m.bin")


async def test_failure_before_writing_keeps_an_existing_target_without_resume(
    http_server, make_downloader, tmp_path
):
    url = http_server.route("/m.bin", Status(404))
    (tmp_path / "m.bin").write_bytes(b"user's file")

    result = await make_downloader().download_file(url, tmp_path / "m.bin", allow_resume=False)

    assert result == (False, "File not found - the download link may be invalid or expired.")
    assert (tmp_path / "m.bin").read_bytes() == b"user's file"


async def test_network_failure_without_resume_removes_the_partial_target(
    http_server, make_downloader, tmp_path
):
    url = http_server.route("/m.bin", Serve(BODY, disconnect_after=100))

    ok, message = await make_downloader(env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "1"}).download_file(
        url, tmp_path / "m.bin", allow_resume=False
    )

    assert not ok
    assert message.startswith("Network error after 2 attempts: ")
    assert http_server.ranges("/m.bin") == [None, None]
    assert os.listdir(tmp_path) == []


def deny_open(path, mode):
    raise PermissionError(13, "Permission denied", path)


async def test_permission_denied_opening_the_part_fails_at_once(
    http_server, make_downloader, tmp_path, sleeps
):
    # Tests run as root, where file modes do not deny: the file-opening boundary is injected.
    url = http_server.route("/m.bin", Serve(BODY))
    (tmp_path / "m.bin.part").write_bytes(BODY[:10])

    result = await make_downloader(open_file=deny_open).download_file(url, tmp_path / "m.bin")

    assert result == (False, f"[Errno 13] Permission denied: '{tmp_path / 'm.bin.part'}'")
    assert sleeps.delays == []
    assert http_server.ranges("/m.bin") == ["bytes=10-"]
    assert (tmp_path / "m.bin.part").read_bytes() == BODY[:10]
    assert not (tmp_path / "m.bin").exists()


@pytest.mark.skipif(
    os.getpid() == 1 or not os.path.exists("/proc/1/auxv"), reason="needs another process's /proc"
)
async def test_permission_denied_by_the_kernel(http_server, make_downloader, tmp_path):
    # Even root may not open another process's auxv for writing: a real EACCES.
    url = http_server.route("/m.bin", Serve(BODY))
    part = tmp_path / "m.bin.part"
    part.symlink_to("/proc/1/auxv")

    result = await make_downloader().download_file(url, tmp_path / "m.bin")

    assert result == (False, f"[Errno 13] Permission denied: '{part}'")
    assert part.is_symlink()


class FlakyReplace:
    """os.replace that is denied ``failures`` times first, as on a file held open elsewhere."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[str, str]] = []

    def __call__(self, source: str, target: str) -> None:
        self.calls.append((source, target))
        if len(self.calls) <= self.failures:
            raise PermissionError(13, "Permission denied", target)
        os.replace(source, target)


async def test_finalise_retries_a_denied_rename(http_server, make_downloader, tmp_path, sleeps):
    url = http_server.route("/m.bin", Serve(BODY))
    replace = FlakyReplace(failures=4)

    result = await make_downloader(replace_file=replace).download_file(url, tmp_path / "m.bin")

    assert result == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY
    assert replace.calls == [(str(tmp_path / "m.bin.part"), str(tmp_path / "m.bin"))] * 5
    assert sleeps.delays == [2.0] * 4


async def test_finalise_gives_up_after_five_attempts(http_server, make_downloader, tmp_path, sleeps):
    url = http_server.route("/m.bin", Serve(BODY))
    replace = FlakyReplace(failures=5)
    reports = []

    result = await make_downloader(replace_file=replace).download_file(
        url, tmp_path / "m.bin", lambda p, s: reports.append(p)
    )

    assert result == (
        False,
        f"Failed to finalize download: [Errno 13] Permission denied: '{tmp_path / 'm.bin'}'",
    )
    assert len(replace.calls) == 5
    assert sleeps.delays == [2.0] * 4
    assert (tmp_path / "m.bin.part").read_bytes() == BODY
    assert not (tmp_path / "m.bin").exists()
    assert 100.0 not in reports[-1:]


async def test_session_refresh_failure_ends_the_download_and_keeps_the_part(
    http_server, make_downloader, tmp_path, sleeps
):
    url = http_server.route("/m.bin", Serve(BODY, disconnect_after=200), Serve(BODY))
    sessions = []

    def factory():
        if sessions:
            raise RuntimeError("proxy settings are broken")
        sessions.append(aiohttp.ClientSession())
        return sessions[-1]

    downloader = make_downloader(session_factory=factory)
    result = await downloader.download_file(url, tmp_path / "m.bin")

    assert result == (False, "Could not recreate the HTTP session: proxy settings are broken")
    assert sleeps.delays == [2.0]
    assert (tmp_path / "m.bin.part").read_bytes() == BODY[:200]
    # The old session was kept, so a later call still works and resumes.
    assert not sessions[0].closed
    assert await downloader.download_file(url, tmp_path / "m.bin") == (True, str(tmp_path / "m.bin"))
    assert (tmp_path / "m.bin").read_bytes() == BODY


async def test_session_creation_failure_on_first_use(make_downloader, tmp_path):
    def factory():
        raise RuntimeError("no session today")

    result = await make_downloader(session_factory=factory).download_file(
        "http://127.0.0.1:9/x", tmp_path / "x"
    )

    assert result == (False, "no session today")


async def test_reconnect_requests_that_exhaust_retries_say_so(http_server, make_downloader, tmp_path, sleeps):
    url = http_server.route("/m.bin", Serve(BODY))
    control = DownloadStreamControl(stall_timeout=60)

    def reconnect_every_time(percent, snapshot):
        control.request_reconnect()

    from tests.fakes import FakeClock

    downloader = make_downloader(
        env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "0"}, clock=FakeClock(step=1.0), chunk_size=256
    )
    result = await downloader.download_file(
        url, tmp_path / "m.bin", reconnect_every_time, pause_event=control
    )

    assert result == (False, "Network error after 1 attempts: Reconnect requested after resume")
    assert (tmp_path / "m.bin.part").read_bytes() == BODY[:256]


async def test_rejected_certificate_is_logged_and_retried(make_downloader, tmp_path, sleeps, caplog):
    # A TLS server whose self-signed certificate the client does not trust.
    import ssl
    from pathlib import Path

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(Path(__file__).parents[1] / "data" / "selfsigned.pem")

    async def hang_up(reader, writer):
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    url = f"https://127.0.0.1:{port}/m.bin"
    try:
        ok, message = await make_downloader(env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "1"}).download_file(
            url, tmp_path / "m.bin"
        )
    finally:
        server.close()
        await server.wait_closed()

    assert not ok
    assert message.startswith(
        f"Network error after 2 attempts: Cannot connect to host 127.0.0.1:{port} ssl:True"
    )
    assert "CERTIFICATE_VERIFY_FAILED" in message
    assert sleeps.delays == [2.0]
    assert caplog.text.count(f"TLS certificate rejected: {url}") == 2
