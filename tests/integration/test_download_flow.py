"""A download from request to library: coordinator -> manager -> downloader -> local server -> disk.

Nothing inside the chain is replaced; the metadata provider and the library are small real in-memory ones.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from py.services.download_coordinator import DownloadCoordinator
from py.services.download_manager import DownloadManager
from py.services.downloader import Downloader
from py.services.progress_broadcaster import RecordingProgressBroadcaster
from tests.fakes import FakeClock, MemoryLibrary, RecordingSleep, StaticMetadataProvider, make_version
from tests.http_server import Serve

pytestmark = pytest.mark.integration

MODEL = b"fake model data " * 512  # 8 KiB
PREVIEW = b"\x89PNG\r\n\x1a\n preview"


async def test_complete_download_flow(http_server, tmp_path):
    url = http_server.route("/api/download/models/101", Serve(MODEL))
    image = http_server.route("/images/101.jpeg", Serve(PREVIEW))
    version = make_version(url, images=[{"url": image, "nsfwLevel": 1}])
    clock = FakeClock(step=1.0)
    settings = {
        "default_lora_root": str(tmp_path / "loras"),
        "download_path_templates": {"lora": "{base_model}/{author}"},
    }
    downloader = Downloader(settings, sleep=RecordingSleep(), clock=clock, env={}, chunk_size=1024)
    library = MemoryLibrary()
    manager = DownloadManager(
        settings=settings,
        downloader=downloader,
        metadata_provider=StaticMetadataProvider({101: version}),
        libraries={"lora": library, "checkpoint": MemoryLibrary(), "embedding": MemoryLibrary()},
        clock=clock,
    )
    broadcaster = RecordingProgressBroadcaster(clock=clock)

    async def factory():
        return manager

    coordinator = DownloadCoordinator(ws_manager=broadcaster, download_manager_factory=factory)
    try:
        result = await coordinator.schedule_download({"model_version_id": 101, "use_default_paths": True})
    finally:
        await downloader.close()

    download_id = result["download_id"]
    assert result == {"success": True, "download_id": download_id}

    folder = tmp_path / "loras" / "SDXL 1.0" / "alice"
    model = folder / "cute_style.safetensors"
    assert model.read_bytes() == MODEL
    sha256 = hashlib.sha256(MODEL).hexdigest()
    assert hashlib.sha256(model.read_bytes()).hexdigest() == sha256
    assert not (folder / "cute_style.safetensors.part").exists()
    assert (folder / "cute_style.jpeg").read_bytes() == PREVIEW

    sidecar = json.loads((folder / "cute_style.metadata.json").read_text())
    assert sidecar == {
        "file_name": "cute_style",
        "model_name": "Cute Style",
        "file_path": f"{folder}/cute_style.safetensors",
        "size": len(MODEL),
        "sha256": sha256,
        "base_model": "SDXL 1.0",
        "preview_url": f"{folder}/cute_style.jpeg",
        "preview_nsfw_level": 1,
        "model_type": "lora",
        "tags": ["Style", "Anime"],
        "from_civitai": True,
        "civitai": version,
    }
    assert library.added == [(sidecar, "SDXL 1.0/alice")]
    assert await library.version_exists(101) is True

    messages = broadcaster.messages
    assert {mid for mid, _ in messages} == {download_id}
    progress = [data["progress"] for _, data in messages]
    assert progress[:2] == [1, 3]
    assert progress == sorted(progress)
    assert progress[-1] == 100
    transfer = [data for _, data in messages if "bytes_downloaded" in data]
    assert [data["bytes_downloaded"] for data in transfer] == [1024 * n for n in range(1, 9)] + [len(MODEL)]
    assert {data["total_bytes"] for data in transfer} == {len(MODEL)}

    [request] = http_server.requests_to("/api/download/models/101")
    assert request.headers["Accept-Encoding"] == "identity"
    assert "Range" not in request.headers
    listing = await coordinator.list_active_downloads()
    assert [(d["download_id"], d["status"], d["progress"]) for d in listing["downloads"]] == [
        (download_id, "completed", 100)
    ]
