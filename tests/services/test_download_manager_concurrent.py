"""DownloadManager concurrency and control: the five-slot limit, pause, resume, cancel and skip.

The server holds responses on events the test releases; no test waits on wall-clock time.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.aio import until
from tests.fakes import make_version
from tests.http_server import Serve

BODY = bytes(range(256)) * 8
PNG = b"\x89PNG preview"


async def statuses(manager) -> dict[str, str]:
    return {d["download_id"]: d["status"] for d in (await manager.get_active_downloads())["downloads"]}


async def start_gated_downloads(http_server, make_manager, tmp_path, count, body=lambda n: BODY):
    """Downloads d0, d1, ... of files m0, m1, ... whose responses the server holds until ``gate`` is set.

    Returns (manager, tasks, gate) once five requests, the slot limit, have reached the server.
    """
    gate = asyncio.Event()
    versions = {}
    for n in range(count):
        url = http_server.route(f"/m{n}", Serve(body(n), gate=gate))
        versions[100 + n] = make_version(url, version_id=100 + n, file_name=f"m{n}.safetensors")
    manager = make_manager(versions)
    tasks = [
        asyncio.create_task(
            manager.download_from_civitai(
                model_version_id=100 + n, save_dir=str(tmp_path), download_id=f"d{n}"
            )
        )
        for n in range(count)
    ]
    await http_server.wait_for_requests(5)
    return manager, tasks, gate


async def test_at_most_five_transfers_run_and_the_rest_wait(http_server, make_manager, tmp_path):
    manager, tasks, gate = await start_gated_downloads(
        http_server, make_manager, tmp_path, 7, body=lambda n: BODY + bytes([n])
    )

    async def settled():
        return sorted((await statuses(manager)).values())

    for _ in range(200):
        if await settled() == ["downloading"] * 5 + ["waiting"] * 2:
            break
        await asyncio.sleep(0)
    assert await settled() == ["downloading"] * 5 + ["waiting"] * 2
    assert http_server.in_flight == 5
    assert len(http_server.requests) == 5
    waiting = [d for d in (await manager.get_active_downloads())["downloads"] if d["status"] == "waiting"]
    assert waiting == [
        {
            "download_id": f"d{n}",
            "model_id": None,
            "model_version_id": 100 + n,
            "progress": 0,
            "status": "waiting",
            "error": None,
            "bytes_downloaded": 0,
            "total_bytes": None,
            "bytes_per_second": 0.0,
        }
        for n in (5, 6)
    ]

    gate.set()
    results = await asyncio.gather(*tasks)

    assert results == [{"success": True, "download_id": f"d{n}"} for n in range(7)]
    assert http_server.max_in_flight == 5
    assert len(http_server.requests) == 7
    for n in range(7):
        assert (tmp_path / f"m{n}.safetensors").read_bytes() == BODY + bytes([n])
    assert set((await statuses(manager)).values()) == {"completed"}


def pausing_callback(manager, download_id, at_bytes, paused: asyncio.Event):
    """Pauses the download from inside its own progress report, once ``at_bytes`` are on disk."""

    async def on_progress(progress, snapshot=None):
        if snapshot is not None and snapshot.bytes_downloaded >= at_bytes and not paused.is_set():
            assert await manager.pause_download(download_id) == {
                "success": True,
                "message": "Download paused successfully",
            }
            paused.set()

    return on_progress


async def start_paused_download(http_server, make_manager, clock, tmp_path, images=None):
    clock.step = 1.0
    rest = asyncio.Event()
    url = http_server.route("/m", Serve(BODY, split=(512, rest)), Serve(BODY))
    manager = make_manager({101: make_version(url, images=images)})
    paused = asyncio.Event()
    task = asyncio.create_task(
        manager.download_from_civitai(
            model_version_id=101,
            save_dir=str(tmp_path),
            download_id="d",
            progress_callback=pausing_callback(manager, "d", 512, paused),
        )
    )
    await paused.wait()
    return manager, task, rest


async def test_pause_stops_reading_and_resume_continues_with_the_exact_bytes(
    http_server, make_manager, clock, tmp_path
):
    manager, task, rest = await start_paused_download(http_server, make_manager, clock, tmp_path)
    rest.set()
    await http_server.split_sent.wait()
    for _ in range(50):
        await asyncio.sleep(0)

    part = tmp_path / "cute_style.safetensors.part"
    assert part.read_bytes() == BODY[:512]
    assert (await statuses(manager)) == {"d": "paused"}
    [listed] = (await manager.get_active_downloads())["downloads"]
    assert (listed["bytes_downloaded"], listed["bytes_per_second"]) == (512, 0.0)
    assert manager._active_downloads["d"]["last_progress_timestamp"] is not None
    assert await manager.pause_download("d") == {"success": False, "error": "Download is already paused"}

    assert await manager.resume_download("d") == {"success": True, "message": "Download resumed successfully"}
    assert (await statuses(manager)) == {"d": "downloading"}
    assert await task == {"success": True, "download_id": "d"}
    assert (tmp_path / "cute_style.safetensors").read_bytes() == BODY
    assert http_server.ranges("/m") == [None]
    assert await manager.resume_download("d") == {"success": False, "error": "Download task not found"}


@pytest.mark.parametrize(("idle", "reconnects"), [(59.0, False), (60.0, True)])
async def test_resume_after_a_long_pause_reconnects_with_range(
    http_server, make_manager, clock, sleeps, tmp_path, idle, reconnects
):
    manager, task, rest = await start_paused_download(http_server, make_manager, clock, tmp_path)
    clock.step = 0.0
    # The progress mark was taken one clock step before the pause.
    clock.advance(idle - 1.0)

    await manager.resume_download("d")
    if not reconnects:
        rest.set()

    assert await task == {"success": True, "download_id": "d"}
    assert (tmp_path / "cute_style.safetensors").read_bytes() == BODY
    assert http_server.ranges("/m") == ([None, "bytes=512-"] if reconnects else [None])
    assert sleeps.delays == ([2.0] if reconnects else [])


async def test_cancel_of_a_paused_download_removes_its_files(http_server, make_manager, clock, tmp_path):
    image = http_server.route("/p.png", Serve(PNG))
    (tmp_path / "cute_style.webp").write_bytes(b"untracked preview of the same name")
    manager, task, rest = await start_paused_download(
        http_server, make_manager, clock, tmp_path, images=[{"url": image}]
    )
    assert (tmp_path / "cute_style.png").read_bytes() == PNG
    assert (tmp_path / "cute_style.safetensors.part").exists()

    result = await manager.cancel_download("d")

    assert result == {"success": True, "message": "Download cancelled successfully"}
    assert await task == {"success": True, "cancelled": True, "download_id": "d"}
    assert os.listdir(tmp_path) == ["cute_style.webp"]
    assert (await statuses(manager)) == {"d": "cancelled"}
    assert await manager.cancel_download("d") == {"success": False, "error": "Download task not found"}


async def test_cancel_while_waiting_for_a_slot(http_server, make_manager, tmp_path):
    manager, tasks, gate = await start_gated_downloads(http_server, make_manager, tmp_path, 6)
    await until(lambda: manager._active_downloads["d5"]["status"] == "waiting")

    assert await manager.cancel_download("d5") == {
        "success": True,
        "message": "Download cancelled successfully",
    }
    gate.set()
    results = await asyncio.gather(*tasks)

    assert results[5] == {"success": True, "cancelled": True, "download_id": "d5"}
    assert [r["success"] for r in results[:5]] == [True] * 5
    assert len(http_server.requests) == 5
    assert not (tmp_path / "m5.safetensors").exists()


async def test_skip_keeps_partial_files_and_a_new_request_resumes(http_server, make_manager, clock, tmp_path):
    image = http_server.route("/p.png", Serve(PNG))
    manager, task, rest = await start_paused_download(
        http_server, make_manager, clock, tmp_path, images=[{"url": image}]
    )

    result = await manager.skip_download("d")

    assert result == {"success": True, "message": "Download skipped successfully"}
    assert await task == {"success": True, "cancelled": True, "download_id": "d"}
    assert sorted(os.listdir(tmp_path)) == ["cute_style.png", "cute_style.safetensors.part"]
    assert (tmp_path / "cute_style.safetensors.part").read_bytes() == BODY[:512]
    assert await manager.get_active_downloads() == {"downloads": []}
    assert await manager.skip_download("d") == {"success": False, "error": "Download task not found"}

    again = await manager.download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), download_id="d2"
    )

    assert again == {"success": True, "download_id": "d2"}
    assert (tmp_path / "cute_style.safetensors").read_bytes() == BODY
    assert http_server.ranges("/m") == [None, "bytes=512-"]


async def test_pause_before_the_transfer_starts(http_server, make_manager, tmp_path):
    manager, tasks, gate = await start_gated_downloads(http_server, make_manager, tmp_path, 6)
    await until(lambda: manager._active_downloads["d5"]["status"] == "waiting")
    assert await manager.pause_download("d5") == {"success": True, "message": "Download paused successfully"}

    gate.set()
    await asyncio.gather(*tasks[:5])
    await until(
        lambda: manager._active_downloads["d5"]["status"] == "paused" and len(http_server.requests) == 5
    )
    assert not tasks[5].done()

    assert await manager.resume_download("d5") == {
        "success": True,
        "message": "Download resumed successfully",
    }
    assert await tasks[5] == {"success": True, "download_id": "d5"}
    assert (tmp_path / "m5.safetensors").read_bytes() == BODY


async def test_pause_between_preview_and_transfer_waits_before_the_request(
    http_server, make_manager, tmp_path
):
    url = http_server.route("/m", Serve(BODY))
    image = http_server.route("/p.png", Serve(PNG))
    manager = make_manager({101: make_version(url, images=[{"url": image}])})
    seen = []

    async def on_progress(progress, snapshot=None):
        seen.append(progress)
        if progress == 3:
            await manager.pause_download("d")

    task = asyncio.create_task(
        manager.download_from_civitai(
            model_version_id=101, save_dir=str(tmp_path), download_id="d", progress_callback=on_progress
        )
    )
    await until(lambda: seen == [1, 3] and manager._active_downloads["d"]["status"] == "paused")
    assert http_server.requests_to("/m") == []

    await manager.resume_download("d")
    assert await task == {"success": True, "download_id": "d"}
    assert len(http_server.requests_to("/m")) == 1


async def test_control_operations_on_unknown_or_finished_downloads(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager({101: make_version(url)})
    await manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path), download_id="done")
    not_found = {"success": False, "error": "Download task not found"}

    for operation in (
        manager.cancel_download,
        manager.skip_download,
        manager.pause_download,
        manager.resume_download,
    ):
        assert await operation("nope") == not_found
        assert await operation("done") == not_found
    assert (tmp_path / "cute_style.safetensors").read_bytes() == BODY


async def test_resume_of_a_running_download_is_refused(http_server, make_manager, tmp_path):
    gate = asyncio.Event()
    url = http_server.route("/m", Serve(BODY, gate=gate))
    manager = make_manager({101: make_version(url)})
    task = asyncio.create_task(
        manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path), download_id="d")
    )
    await http_server.wait_for_requests(1)

    assert await manager.resume_download("d") == {"success": False, "error": "Download is not paused"}
    gate.set()
    assert (await task)["success"] is True


async def test_caller_cancellation_propagates_and_marks_the_record(http_server, make_manager, tmp_path):
    gate = asyncio.Event()
    url = http_server.route("/m", Serve(BODY, gate=gate))
    manager = make_manager({101: make_version(url)})
    task = asyncio.create_task(
        manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path), download_id="d")
    )
    await http_server.wait_for_requests(1)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert (await statuses(manager)) == {"d": "cancelled"}
    assert manager._download_tasks == {}
    assert manager._pause_events == {}


async def test_finished_records_are_listed_for_600_seconds(
    http_server, make_manager, clock, tmp_path, snapshot
):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager(
        {101: make_version(url), 102: make_version(url, version_id=102, file_name="b.bin")}
    )
    await manager.download_from_civitai(
        model_id=11, model_version_id=101, save_dir=str(tmp_path), download_id="a"
    )
    clock.advance(300)
    await manager.download_from_civitai(model_version_id=102, save_dir=str(tmp_path), download_id="b")

    assert await manager.get_active_downloads() == snapshot
    clock.advance(299.9)
    assert list(await statuses(manager)) == ["a", "b"]
    clock.advance(0.1)
    assert list(await statuses(manager)) == ["b"]
    clock.advance(300)
    assert await manager.get_active_downloads() == {"downloads": []}


async def test_expired_records_are_dropped_when_a_new_download_starts(
    http_server, make_manager, clock, tmp_path
):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager(
        {101: make_version(url), 102: make_version(url, version_id=102, file_name="b.bin")}
    )
    await manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path), download_id="a")
    clock.advance(600)

    await manager.download_from_civitai(model_version_id=102, save_dir=str(tmp_path), download_id="b")

    assert list(manager._active_downloads) == ["b"]


async def test_cancel_retries_a_deletion_that_fails_once(http_server, make_manager, clock, sleeps, tmp_path):
    manager, task, rest = await start_paused_download(http_server, make_manager, clock, tmp_path)
    part = tmp_path / "cute_style.safetensors.part"
    part.unlink()
    part.mkdir()  # os.remove fails on a folder: the first attempt is refused

    def turn_folder_into_file(delay):
        part.rmdir()
        part.write_bytes(b"now a file")

    sleeps.hook = turn_folder_into_file

    assert await manager.cancel_download("d") == {
        "success": True,
        "message": "Download cancelled successfully",
    }
    assert sleeps.delays == [0.1]
    assert not part.exists()
    await task


async def test_cancel_gives_up_on_an_undeletable_path_after_five_attempts(
    http_server, make_manager, clock, sleeps, tmp_path, caplog
):
    manager, task, rest = await start_paused_download(http_server, make_manager, clock, tmp_path)
    part = tmp_path / "cute_style.safetensors.part"
    part.unlink()
    part.mkdir()

    assert await manager.cancel_download("d") == {
        "success": True,
        "message": "Download cancelled successfully",
    }
    assert sleeps.delays == [0.1] * 4
    assert part.is_dir()
    assert f"Could not delete {part}" in caplog.text
    await task


class BlockingWriter:
    """A metadata writer that hangs, and keeps hanging once after being cancelled."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def save_metadata(self, file_path, entry):
        self.entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await self.release.wait()
            raise


def _zip_bytes():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("a.safetensors", b"A")
        bundle.writestr("b.safetensors", b"B")
    return buffer.getvalue()


@pytest.mark.parametrize("archive", [False, True], ids=["model", "zip"])
async def test_cancel_after_the_transfer_removes_the_model_files(
    http_server, make_manager, clock, tmp_path, archive
):
    clock.step = 1.0
    url = http_server.route("/m", Serve(_zip_bytes() if archive else BODY))
    image = http_server.route("/p.png", Serve(PNG))
    version = make_version(
        url, file_name="bundle.zip" if archive else "cute_style.safetensors", images=[{"url": image}]
    )
    writer = BlockingWriter()
    manager = make_manager({101: version}, metadata_writer=writer)
    (tmp_path / "bundle.zip.aria2").write_bytes(b"")
    (tmp_path / "cute_style.safetensors.aria2").write_bytes(b"")
    task = asyncio.create_task(
        manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path), download_id="d")
    )
    await writer.entered.wait()
    expected = (
        ["a.png", "a.safetensors", "b.png", "b.safetensors"]
        if archive
        else ["cute_style.png", "cute_style.safetensors"]
    )
    assert sorted(p for p in os.listdir(tmp_path) if not p.endswith(".aria2")) == expected

    cancelling = asyncio.create_task(manager.cancel_download("d"))
    await until(lambda: manager._active_downloads["d"]["status"] == "cancelling")
    [listed] = (await manager.get_active_downloads())["downloads"]
    assert listed["status"] == "cancelling"
    writer.release.set()

    assert await cancelling == {"success": True, "message": "Download cancelled successfully"}
    assert await task == {"success": True, "cancelled": True, "download_id": "d"}
    remaining = ["cute_style.safetensors.aria2"] if archive else ["bundle.zip.aria2"]
    assert os.listdir(tmp_path) == remaining


async def test_cancel_does_not_wait_forever_for_a_stuck_task(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    writer = BlockingWriter()
    manager = make_manager({101: make_version(url)}, metadata_writer=writer, cancel_wait=0.01)
    task = asyncio.create_task(
        manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path), download_id="d")
    )
    await writer.entered.wait()

    assert await manager.cancel_download("d") == {
        "success": True,
        "message": "Download cancelled successfully",
    }

    assert not task.done()
    assert (manager._download_tasks, manager._pause_events) == ({}, {})
    assert (await statuses(manager)) == {"d": "cancelled"}
    assert os.listdir(tmp_path) == []
    writer.release.set()
    assert await task == {"success": True, "cancelled": True, "download_id": "d"}


async def test_skip_does_not_wait_forever_for_a_stuck_task(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    writer = BlockingWriter()
    manager = make_manager({101: make_version(url)}, metadata_writer=writer, cancel_wait=0.01)
    task = asyncio.create_task(
        manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path), download_id="d")
    )
    await writer.entered.wait()

    assert await manager.skip_download("d") == {"success": True, "message": "Download skipped successfully"}

    assert (manager._active_downloads, manager._download_tasks, manager._pause_events) == ({}, {}, {})
    writer.release.set()
    await task


async def test_two_skips_of_the_same_download_both_succeed(http_server, make_manager, tmp_path):
    gate = asyncio.Event()
    url = http_server.route("/m", Serve(BODY, gate=gate))
    manager = make_manager({101: make_version(url)})
    task = asyncio.create_task(
        manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path), download_id="d")
    )
    await http_server.wait_for_requests(1)

    results = await asyncio.gather(manager.skip_download("d"), manager.skip_download("d"))

    assert results == [{"success": True, "message": "Download skipped successfully"}] * 2
    assert await task == {"success": True, "cancelled": True, "download_id": "d"}


async def test_the_record_follows_the_transfer_speed(http_server, make_manager, clock, tmp_path):
    clock.step = 1.0
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager({101: make_version(url)})
    seen = []

    def on_progress(progress, snapshot=None):
        if snapshot is not None:
            record = manager._active_downloads["d"]
            seen.append((record["bytes_per_second"], snapshot.bytes_per_second))

    await manager.download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), download_id="d", progress_callback=on_progress
    )

    assert [ours for ours, theirs in seen] == [theirs for ours, theirs in seen]
    assert any(ours > 0 for ours, _ in seen)


@pytest.mark.parametrize(("idle", "reconnects"), [(99.0, False), (100.0, True)])
async def test_reconnect_threshold_follows_the_configured_stall_timeout(
    http_server, make_manager, make_downloader, clock, sleeps, tmp_path, idle, reconnects
):
    clock.step = 1.0
    rest = asyncio.Event()
    url = http_server.route("/m", Serve(BODY, split=(512, rest)), Serve(BODY))
    downloader = make_downloader({"download_stall_timeout_seconds": 200}, chunk_size=256)
    manager = make_manager({101: make_version(url)}, downloader=downloader)
    paused = asyncio.Event()
    task = asyncio.create_task(
        manager.download_from_civitai(
            model_version_id=101,
            save_dir=str(tmp_path),
            download_id="d",
            progress_callback=pausing_callback(manager, "d", 512, paused),
        )
    )
    await paused.wait()
    clock.step = 0.0
    clock.advance(idle - 1.0)

    await manager.resume_download("d")
    if not reconnects:
        rest.set()

    assert (await task)["success"] is True
    assert http_server.ranges("/m") == ([None, "bytes=512-"] if reconnects else [None])
