"""DownloadManager failures: failing URLs, full disks, failing collaborators, error wording.

Each test checks what is left on disk afterwards and what the record says.
"""

from __future__ import annotations

import errno
import json
import os

import pytest

from tests.fakes import StaticMetadataProvider, make_version
from tests.http_server import Serve, Status

BODY = bytes(range(256)) * 8
PNG = b"\x89PNG preview"


async def test_all_urls_failing_keeps_the_part_and_removes_sidecar_and_preview(
    http_server, make_downloader, make_manager, libraries, tmp_path
):
    gone = http_server.route("/gone", Status(404))
    cut = http_server.route("/cut", Serve(BODY, disconnect_after=256))
    image = http_server.route("/p.png", Serve(PNG))
    (tmp_path / "cute_style.metadata.json").write_text("{}")  # a stale sidecar from an earlier attempt
    version = make_version("", file_extra={"mirrors": [{"url": gone}, {"url": cut}]}, images=[{"url": image}])
    downloader = make_downloader(env={"COMFYUI_DOWNLOAD_MAX_RETRIES": "0"}, chunk_size=256)
    manager = make_manager({101: version}, downloader=downloader)

    result = await manager.download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), download_id="d"
    )

    assert result["success"] is False
    assert result["error"].startswith("Network error after 1 attempts: ")
    assert os.listdir(tmp_path) == ["cute_style.safetensors.part"]
    assert (tmp_path / "cute_style.safetensors.part").read_bytes() == BODY[:256]
    assert libraries["lora"].added == []
    [listed] = (await manager.get_active_downloads())["downloads"]
    assert (listed["status"], listed["error"]) == ("failed", result["error"])


async def test_single_failing_url_reports_its_error(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Status(403))

    result = await make_manager({101: make_version(url)}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), download_id="d"
    )

    assert result == {
        "success": False,
        "error": "Access forbidden: You don't have permission to download this file.",
        "download_id": "d",
    }


async def test_disk_full_fails_without_a_corrupt_model(
    http_server, make_manager, libraries, tmp_path, sleeps
):
    url = http_server.route("/m", Serve(BODY))
    image = http_server.route("/p.png", Serve(PNG))
    (tmp_path / "cute_style.safetensors.part").symlink_to("/dev/full")

    result = await make_manager({101: make_version(url, images=[{"url": image}])}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), download_id="d"
    )

    assert result == {"success": False, "error": "[Errno 28] No space left on device", "download_id": "d"}
    assert os.listdir(tmp_path) == ["cute_style.safetensors.part"]
    assert sleeps.delays == []
    assert libraries["lora"].added == []


class FailingWriter:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = []

    async def save_metadata(self, file_path, entry):
        self.calls.append(file_path)
        raise self.error


async def test_failing_sidecar_write_removes_everything(http_server, make_manager, libraries, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    image = http_server.route("/p.png", Serve(PNG))
    writer = FailingWriter(OSError(errno.ENOSPC, "No space left on device"))

    result = await make_manager(
        {101: make_version(url, images=[{"url": image}])}, metadata_writer=writer
    ).download_from_civitai(model_version_id=101, save_dir=str(tmp_path), download_id="d")

    assert result == {"success": False, "error": "[Errno 28] No space left on device", "download_id": "d"}
    assert writer.calls == [f"{tmp_path}/cute_style.safetensors"]
    assert os.listdir(tmp_path) == []
    assert libraries["lora"].added == []


async def test_failing_cache_update_removes_extracted_files_sidecars_and_previews(
    http_server, make_manager, libraries, tmp_path
):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("a.safetensors", b"A")
        bundle.writestr("b.safetensors", b"B")
    url = http_server.route("/m", Serve(buffer.getvalue()))
    image = http_server.route("/p.png", Serve(PNG))

    async def broken_add(entry, relative_path):
        raise RuntimeError("cache is read-only")

    libraries["lora"].add_to_cache = broken_add
    version = make_version(url, file_name="bundle.zip", images=[{"url": image}])

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["error"] == "cache is read-only"
    assert os.listdir(tmp_path) == []


async def test_user_files_with_the_same_base_survive_a_failure(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    (tmp_path / "cute_style.webp").write_bytes(b"user's own preview")

    result = await make_manager(
        {101: make_version(url)}, metadata_writer=FailingWriter(OSError("no"))
    ).download_from_civitai(model_version_id=101, save_dir=str(tmp_path))

    assert result["error"] == "no"
    assert os.listdir(tmp_path) == ["cute_style.webp"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HTTP 401 from the API", "Early access restriction: HTTP 401 from the API."),
        ("status 403", "Early access restriction: status 403."),
        ("Unauthorized", "Early access restriction: Unauthorized."),
        ("in Early Access until May", "Early access restriction: in Early Access until May."),
    ],
)
async def test_access_errors_from_the_provider_are_explained(make_manager, text, expected):
    provider = StaticMetadataProvider(error=RuntimeError(text))

    result = await make_manager(provider=provider).download_from_civitai(
        model_version_id=101, save_dir="/tmp"
    )

    assert (
        result["error"]
        == f"{expected} Please ensure you have purchased access on Civitai and that your API key is set."
    )


async def test_other_provider_errors_are_returned_as_text(make_manager):
    provider = StaticMetadataProvider(error=ValueError("bad json at line 3"))
    manager = make_manager(provider=provider)

    result = await manager.download_from_civitai(model_version_id=101, save_dir="/tmp", download_id="d")

    assert result == {"success": False, "error": "bad json at line 3", "download_id": "d"}
    [listed] = (await manager.get_active_downloads())["downloads"]
    assert (listed["status"], listed["error"], listed["bytes_per_second"]) == (
        "failed",
        "bad json at line 3",
        0.0,
    )


async def test_history_failure_does_not_fail_the_download(http_server, make_manager, tmp_path, caplog):
    url = http_server.route("/m", Serve(BODY))

    class BrokenHistory:
        def has_version(self, version_id):
            return False

        def record(self, *args):
            raise OSError("history database is locked")

    result = await make_manager({101: make_version(url)}, history=BrokenHistory()).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["success"] is True
    assert (tmp_path / "cute_style.safetensors").read_bytes() == BODY
    assert "Could not record the download history" in caplog.text


async def test_sidecar_is_written_atomically_as_json(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))

    await make_manager({101: make_version(url)}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    text = (tmp_path / "cute_style.metadata.json").read_text()
    assert json.loads(text)["file_name"] == "cute_style"
    assert text.startswith('{\n  "model_name": "Cute Style",\n  "sha256"')
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []
