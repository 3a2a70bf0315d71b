"""DownloadCoordinator and the progress broadcaster: payload checks, messages broadcast, cached state.

The coordinator runs a real manager and downloader against the local server.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from py.services.download_coordinator import DownloadCoordinator
from py.services.downloader import DownloadProgress
from py.services.progress_broadcaster import InMemoryProgressBroadcaster, RecordingProgressBroadcaster
from tests.aio import until
from tests.fakes import FakeClock, make_version
from tests.http_server import Serve

BODY = bytes(range(256)) * 8


@pytest.fixture
def broadcaster():
    return RecordingProgressBroadcaster(clock=FakeClock(start=50.0))


def coordinator_for(manager, broadcaster):
    async def factory():
        return manager

    return DownloadCoordinator(ws_manager=broadcaster, download_manager_factory=factory)


async def test_schedule_download_runs_and_broadcasts_progress(
    http_server, make_manager, clock, broadcaster, tmp_path, snapshot
):
    clock.step = 1.0
    url = http_server.route("/m", Serve(BODY))
    coordinator = coordinator_for(make_manager({101: make_version(url)}), broadcaster)
    payload = {"model_version_id": "101", "model_root": str(tmp_path), "download_id": "d-7"}

    result = await coordinator.schedule_download(payload)

    assert result == {"success": True, "download_id": "d-7"}
    assert (tmp_path / "cute_style.safetensors").read_bytes() == BODY
    assert {download_id for download_id, _ in broadcaster.messages} == {"d-7"}
    progress = [data["progress"] for _, data in broadcaster.messages]
    assert progress == sorted(progress)
    assert progress[-1] == 100
    assert [data for _, data in broadcaster.messages] == snapshot
    assert broadcaster.get_download_progress("d-7") == {
        "progress": 100,
        "timestamp": 50.0,
        "status": "progress",
    }


async def test_schedule_download_generates_an_id_and_passes_every_field(broadcaster):
    calls = []

    class Manager:
        async def download_from_civitai(self, **kwargs):
            calls.append(kwargs)
            return {"success": True}

    async def factory():
        return Manager()

    coordinator = DownloadCoordinator(ws_manager=broadcaster, download_manager_factory=factory)
    payload = {
        "model_id": 11,
        "model_version_id": "",
        "model_root": "/models",
        "relative_path": "styles",
        "use_default_paths": True,
        "use_save_dir_as_root": True,
        "source": "civarchive",
        "file_params": {},
    }

    result = await coordinator.schedule_download(payload)

    download_id = payload["download_id"]
    assert uuid.UUID(download_id).version == 4
    assert result == {"success": True, "download_id": download_id}
    [call] = calls
    callback = call.pop("progress_callback")
    assert call == {
        "model_id": 11,
        "model_version_id": None,
        "save_dir": "/models",
        "relative_path": "styles",
        "use_default_paths": True,
        "download_id": download_id,
        "source": "civarchive",
        "file_params": None,
        "use_save_dir_as_root": True,
    }
    await callback(41.6, DownloadProgress(41.6, 416, 1000, 12.5, 1.0))
    await callback("not a number")
    await callback(None)
    assert [data for _, data in broadcaster.messages] == [
        {
            "status": "progress",
            "progress": 42,
            "download_id": download_id,
            "bytes_downloaded": 416,
            "total_bytes": 1000,
            "bytes_per_second": 12.5,
        },
        {"status": "progress", "progress": 0, "download_id": download_id},
        {"status": "progress", "progress": 0, "download_id": download_id},
    ]


async def test_schedule_download_defaults(broadcaster):
    calls = []

    class Manager:
        async def download_from_civitai(self, **kwargs):
            calls.append(kwargs)
            return {"success": False, "error": "x"}

    async def factory():
        return Manager()

    payload = {"model_version_id": 5, "file_params": {"id": 1}, "download_id": "given"}

    result = await DownloadCoordinator(
        ws_manager=broadcaster, download_manager_factory=factory
    ).schedule_download(payload)

    assert result == {"success": False, "error": "x", "download_id": "given"}
    call = calls[0]
    assert (
        call["save_dir"],
        call["relative_path"],
        call["use_default_paths"],
        call["use_save_dir_as_root"],
    ) == (
        None,
        "",
        False,
        False,
    )
    assert (call["source"], call["file_params"], call["model_id"], call["model_version_id"]) == (
        None,
        {"id": 1},
        None,
        5,
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"model_id": "abc"}, "Invalid model_id: Must be an integer"),
        ({"model_version_id": [1]}, "Invalid model_version_id: Must be an integer"),
        ({}, "Missing required parameter: Please provide either 'model_id' or 'model_version_id'"),
        (
            {"model_id": None, "model_version_id": ""},
            "Missing required parameter: Please provide either 'model_id' or 'model_version_id'",
        ),
    ],
)
async def test_invalid_payloads(broadcaster, payload, message):
    async def factory():
        raise AssertionError("the manager must not be needed")

    coordinator = DownloadCoordinator(ws_manager=broadcaster, download_manager_factory=factory)

    with pytest.raises(ValueError) as raised:
        await coordinator.schedule_download(payload)

    assert str(raised.value) == message
    assert broadcaster.messages == []


async def start_held_download(http_server, make_manager, broadcaster, tmp_path):
    """Download "d" scheduled through a coordinator; its response is held (never released).

    Returns (coordinator, task) once the request has reached the server.
    """
    url = http_server.route("/m", Serve(BODY, gate=asyncio.Event()))
    coordinator = coordinator_for(make_manager({101: make_version(url)}), broadcaster)
    task = asyncio.create_task(
        coordinator.schedule_download(
            {"model_version_id": 101, "model_root": str(tmp_path), "download_id": "d"}
        )
    )
    await http_server.wait_for_requests(1)
    return coordinator, task


async def test_cancel_broadcasts_only_when_something_was_cancelled(
    http_server, make_manager, broadcaster, tmp_path
):
    coordinator, task = await start_held_download(http_server, make_manager, broadcaster, tmp_path)

    # Quirk fixed: a failed cancel is not announced as "cancelled".
    assert await coordinator.cancel_download("other") == {
        "success": False,
        "error": "Download task not found",
    }
    assert broadcaster.messages == []

    assert await coordinator.cancel_download("d") == {
        "success": True,
        "message": "Download cancelled successfully",
    }
    assert await task == {"success": True, "cancelled": True, "download_id": "d"}
    assert broadcaster.messages == [
        (
            "d",
            {
                "status": "cancelled",
                "progress": 0,
                "download_id": "d",
                "message": "Download cancelled by user",
            },
        )
    ]
    assert broadcaster.get_download_progress("d") == {
        "progress": 0,
        "timestamp": 50.0,
        "status": "cancelled",
        "message": "Download cancelled by user",
    }


async def test_skip_broadcasts_only_when_something_was_skipped(
    http_server, make_manager, broadcaster, tmp_path
):
    coordinator, task = await start_held_download(http_server, make_manager, broadcaster, tmp_path)

    assert await coordinator.skip_download("other") == {"success": False, "error": "Download task not found"}
    assert broadcaster.messages == []
    assert await coordinator.skip_download("d") == {
        "success": True,
        "message": "Download skipped successfully",
    }
    await task
    assert broadcaster.messages == [
        (
            "d",
            {
                "status": "skipped",
                "progress": 0,
                "download_id": "d",
                "message": "Download skipped by user (partial files preserved)",
            },
        )
    ]


async def test_pause_and_resume_broadcast_the_cached_figures(
    http_server, make_manager, clock, broadcaster, tmp_path
):
    clock.step = 1.0
    rest = asyncio.Event()
    url = http_server.route("/m", Serve(BODY, split=(256, rest)))
    manager = make_manager({101: make_version(url)})
    coordinator = coordinator_for(manager, broadcaster)
    task = asyncio.create_task(
        coordinator.schedule_download(
            {"model_version_id": 101, "model_root": str(tmp_path), "download_id": "d"}
        )
    )
    await until_message(broadcaster, lambda data: data.get("bytes_downloaded") == 256)
    before = len(broadcaster.messages)

    assert await coordinator.pause_download("d") == {
        "success": True,
        "message": "Download paused successfully",
    }
    assert await coordinator.pause_download("d") == {"success": False, "error": "Download is already paused"}
    assert await coordinator.resume_download("d") == {
        "success": True,
        "message": "Download resumed successfully",
    }
    assert await coordinator.resume_download("d") == {"success": False, "error": "Download is not paused"}

    assert [data for _, data in broadcaster.messages[before:]] == [
        {
            "status": "paused",
            "progress": 15,
            "download_id": "d",
            "message": "Download paused by user",
            "bytes_downloaded": 256,
            "total_bytes": 2048,
            "bytes_per_second": 0.0,
        },
        {
            "status": "downloading",
            "progress": 15,
            "download_id": "d",
            "message": "Download resumed by user",
            "bytes_downloaded": 256,
            "total_bytes": 2048,
            "bytes_per_second": 0.0,
        },
    ]
    rest.set()
    assert (await task)["success"] is True


async def test_pause_and_resume_without_cached_progress_use_defaults(broadcaster):
    class Manager:
        async def pause_download(self, download_id):
            return {"success": True}

        async def resume_download(self, download_id):
            return {"success": True}

    async def factory():
        return Manager()

    coordinator = DownloadCoordinator(ws_manager=broadcaster, download_manager_factory=factory)
    await coordinator.resume_download("x")
    await coordinator.pause_download("y")

    common = {"progress": 0, "bytes_downloaded": None, "total_bytes": None, "bytes_per_second": 0.0}
    assert broadcaster.messages == [
        ("x", {**common, "download_id": "x", "status": "downloading", "message": "Download resumed by user"}),
        ("y", {**common, "download_id": "y", "status": "paused", "message": "Download paused by user"}),
    ]


async def test_resume_uses_the_cached_speed(broadcaster):
    class Manager:
        async def resume_download(self, download_id):
            return {"success": True}

    async def factory():
        return Manager()

    await broadcaster.broadcast_download_progress("x", {"progress": 40, "bytes_per_second": 9.5})
    await DownloadCoordinator(ws_manager=broadcaster, download_manager_factory=factory).resume_download("x")

    assert broadcaster.messages[-1][1]["bytes_per_second"] == 9.5
    assert broadcaster.messages[-1][1]["progress"] == 40


async def test_failed_pause_and_resume_broadcast_nothing(broadcaster):
    class Manager:
        async def pause_download(self, download_id):
            return {"success": False, "error": "Download task not found"}

        resume_download = pause_download

    async def factory():
        return Manager()

    coordinator = DownloadCoordinator(ws_manager=broadcaster, download_manager_factory=factory)

    assert await coordinator.pause_download("x") == {"success": False, "error": "Download task not found"}
    assert await coordinator.resume_download("x") == {"success": False, "error": "Download task not found"}
    assert broadcaster.messages == []


async def test_list_active_downloads_delegates(http_server, make_manager, broadcaster, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager({101: make_version(url)})
    coordinator = coordinator_for(manager, broadcaster)
    await coordinator.schedule_download(
        {"model_version_id": 101, "model_root": str(tmp_path), "download_id": "d"}
    )

    listing = await coordinator.list_active_downloads()

    assert listing == await manager.get_active_downloads()
    assert [d["download_id"] for d in listing["downloads"]] == ["d"]


async def until_message(broadcaster, predicate) -> None:
    await until(lambda: any(predicate(data) for _, data in broadcaster.messages), what="the message")


# -- broadcaster --------------------------------------------------------------------------------


async def test_broadcaster_caches_known_fields_and_sends_raw_json():
    clock = FakeClock(start=10.0)
    broadcaster = InMemoryProgressBroadcaster(clock=clock)
    sent = []

    async def send(text):
        sent.append(text)

    broadcaster.register("d", send)
    data = {
        "status": "progress",
        "progress": 12,
        "download_id": "d",
        "bytes_downloaded": 5,
        "total_bytes": 9,
        "bytes_per_second": 1.5,
        "message": "hi",
        "extra": [1],
    }
    await broadcaster.broadcast_download_progress("d", data)
    await broadcaster.broadcast_download_progress("other", {"status": "x"})

    assert [json.loads(text) for text in sent] == [data]
    assert broadcaster.get_download_progress("d") == {
        "progress": 12,
        "timestamp": 10.0,
        "bytes_downloaded": 5,
        "total_bytes": 9,
        "bytes_per_second": 1.5,
        "status": "progress",
        "message": "hi",
    }
    assert broadcaster.get_download_progress("other") == {"progress": 0, "timestamp": 10.0, "status": "x"}
    assert broadcaster.get_download_progress("missing") is None

    broadcaster.unregister("d")
    broadcaster.unregister("d")
    await broadcaster.broadcast_download_progress("d", {"progress": 13})
    assert len(sent) == 1
    broadcaster.cleanup_download_progress("d")
    broadcaster.cleanup_download_progress("d")
    assert broadcaster.get_download_progress("d") is None


async def test_send_errors_are_swallowed_and_progress_still_cached(caplog):
    broadcaster = InMemoryProgressBroadcaster(clock=FakeClock())

    async def broken(text):
        raise ConnectionResetError("socket closed")

    broadcaster.register("d", broken)
    await broadcaster.broadcast_download_progress("d", {"progress": 50})

    assert broadcaster.get_download_progress("d")["progress"] == 50
    assert "Could not send progress for d" in caplog.text


async def test_cleanup_old_downloads_by_age():
    clock = FakeClock(start=0.0)
    broadcaster = InMemoryProgressBroadcaster(clock=clock)
    await broadcaster.broadcast_download_progress("old", {"progress": 1})
    clock.advance(3600)
    await broadcaster.broadcast_download_progress("new", {"progress": 2})

    clock.advance(23 * 3600)
    broadcaster.cleanup_old_downloads()
    assert broadcaster.get_download_progress("old")["progress"] == 1
    clock.advance(1)
    broadcaster.cleanup_old_downloads()
    assert broadcaster.get_download_progress("old") is None
    assert broadcaster.get_download_progress("new")["progress"] == 2
    broadcaster.cleanup_old_downloads(max_age_hours=0.5)
    assert broadcaster.get_download_progress("new") is None


def test_generated_ids_are_distinct_uuid4():
    broadcaster = InMemoryProgressBroadcaster()
    first, second = broadcaster.generate_download_id(), broadcaster.generate_download_id()
    assert first != second
    assert uuid.UUID(first).version == 4
    assert str(uuid.UUID(first)) == first


async def test_recording_broadcaster_keeps_copies_in_order():
    broadcaster = RecordingProgressBroadcaster()
    data = {"progress": 1}
    await broadcaster.broadcast_download_progress("a", data)
    data["progress"] = 2
    await broadcaster.broadcast_download_progress("b", data)

    assert broadcaster.messages == [("a", {"progress": 1}), ("b", {"progress": 2})]


def test_rate_limit_error_carries_its_details():
    from py.services.errors import RateLimitError

    error = RateLimitError("slow down", retry_after=3.5, provider="civitai")

    assert (str(error), error.message, error.retry_after, error.provider) == (
        "slow down",
        "slow down",
        3.5,
        "civitai",
    )
