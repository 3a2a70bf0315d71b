"""DownloadManager decision pipeline and transfer, end to end over a real local server.

Only the outer boundaries are in memory (metadata provider, libraries); the downloader is real.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import zipfile

import pytest

from py.services.download_manager import (
    MemoryDownloadHistory,
    early_access_message,
    fallback_file,
    first_tag,
    resolve_target_file,
    select_preview_media,
    unique_path,
)
from py.utils.utils import render_path_template
from tests.fakes import StaticMetadataProvider, make_version
from tests.http_server import Serve, Status

BODY = bytes(range(256)) * 8
SHA = hashlib.sha256(BODY).hexdigest()
PNG = b"\x89PNG preview bytes"


class RefusingDownloader:
    """Records download_file calls and refuses them without any network access (for internet URLs)."""

    stall_timeout = 120.0

    def __init__(self):
        self.calls = []

    async def download_file(self, url, save_path, progress_callback=None, **kwargs):
        self.calls.append((url, save_path, kwargs["use_auth"]))
        return False, f"refused {url}"


class RecordingDownloader:
    """Delegates to a real Downloader and records the arguments of each download_file call."""

    def __init__(self, real):
        self.real = real
        self.calls = []
        self.stall_timeout = real.stall_timeout

    async def download_file(self, url, save_path, progress_callback=None, **kwargs):
        self.calls.append((url, save_path, kwargs["use_auth"]))
        return await self.real.download_file(url, save_path, progress_callback, **kwargs)

    async def download_to_memory(self, url, **kwargs):
        return await self.real.download_to_memory(url, **kwargs)


async def test_successful_download_writes_file_sidecar_preview_and_cache(
    http_server, make_manager, libraries, tmp_path
):
    url = http_server.route("/api/download/models/101", Serve(BODY))
    image_url = http_server.route("/images/1.png", Serve(PNG))
    version = make_version(url, images=[{"url": image_url, "nsfwLevel": 1, "type": "image"}])
    manager = make_manager({101: version})
    progress = []

    result = await manager.download_from_civitai(
        model_version_id=101,
        save_dir=str(tmp_path),
        progress_callback=lambda p, s=None: progress.append(p),
        download_id="d-1",
    )

    assert result == {"success": True, "download_id": "d-1"}
    model = tmp_path / "cute_style.safetensors"
    assert model.read_bytes() == BODY
    assert not (tmp_path / "cute_style.safetensors.part").exists()
    assert (tmp_path / "cute_style.png").read_bytes() == PNG
    sidecar = json.loads((tmp_path / "cute_style.metadata.json").read_text())
    expected_entry = {
        "file_name": "cute_style",
        "model_name": "Cute Style",
        "file_path": f"{tmp_path}/cute_style.safetensors",
        "size": len(BODY),
        "sha256": SHA,
        "base_model": "SDXL 1.0",
        "preview_url": f"{tmp_path}/cute_style.png",
        "preview_nsfw_level": 1,
        "model_type": "lora",
        "tags": ["Style", "Anime"],
        "from_civitai": True,
        "civitai": version,
    }
    assert sidecar == expected_entry
    assert libraries["lora"].added == [(expected_entry, "")]
    assert libraries["checkpoint"].added == libraries["embedding"].added == []
    assert progress[:2] == [1, 3]
    assert progress[-1] == 100
    assert progress == sorted(progress)
    listing = await manager.get_active_downloads()
    assert listing["downloads"] == [
        {
            "download_id": "d-1",
            "model_id": None,
            "model_version_id": 101,
            "progress": 100,
            "status": "completed",
            "error": None,
            "bytes_downloaded": len(BODY),
            "total_bytes": len(BODY),
            "bytes_per_second": 0.0,
        }
    ]


async def test_known_hash_is_kept_lowercase_without_rehashing(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager({101: make_version(url, sha256="AB" * 32)})

    await manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path))

    assert json.loads((tmp_path / "cute_style.metadata.json").read_text())["sha256"] == "ab" * 32


async def test_missing_ids_is_an_error_and_registers_nothing(make_manager):
    manager = make_manager({})

    result = await manager.download_from_civitai(save_dir="/tmp")

    assert result == {"success": False, "error": "Either model_id or model_version_id must be provided"}
    assert await manager.get_active_downloads() == {"downloads": []}


async def test_generated_download_id_is_returned(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager({101: make_version(url)})

    result = await manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path))

    [listed] = (await manager.get_active_downloads())["downloads"]
    assert result == {"success": True, "download_id": listed["download_id"]}
    assert len(listed["download_id"]) == 36


async def test_model_id_alone_fetches_the_version_and_runs_the_version_gate(
    http_server, make_manager, libraries, tmp_path
):
    url = http_server.route("/m", Serve(BODY))
    provider = StaticMetadataProvider({101: make_version(url)})
    libraries["embedding"].versions.add(101)
    manager = make_manager(provider=provider)

    result = await manager.download_from_civitai(model_id=11, save_dir=str(tmp_path), download_id="d")

    assert result == {
        "success": False,
        "error": "Model version already exists in embedding library",
        "download_id": "d",
    }
    assert provider.calls == [(11, None)]
    assert http_server.requests == []


@pytest.mark.parametrize("holder", ["lora", "checkpoint", "embedding"])
async def test_version_gate_runs_before_fetching_metadata(make_manager, libraries, holder):
    libraries[holder].versions.add(101)
    provider = StaticMetadataProvider({})
    manager = make_manager(provider=provider)

    result = await manager.download_from_civitai(model_version_id=101, save_dir="/tmp", download_id="d")

    assert result == {
        "success": False,
        "error": f"Model version already exists in {holder} library",
        "download_id": "d",
    }
    assert provider.calls == []


async def test_first_library_holding_the_version_is_named(make_manager, libraries):
    libraries["checkpoint"].versions.add(101)
    libraries["lora"].versions.add(101)

    result = await make_manager({}).download_from_civitai(model_version_id=101, save_dir="/tmp")

    assert result["error"] == "Model version already exists in lora library"


async def test_missing_metadata(make_manager):
    result = await make_manager({}).download_from_civitai(
        model_version_id=7, save_dir="/tmp", download_id="d"
    )

    assert result == {"success": False, "error": "Failed to fetch model metadata", "download_id": "d"}


async def test_unsupported_model_type(make_manager):
    version = make_version("http://x", model_type="Poses")

    result = await make_manager({101: version}).download_from_civitai(model_version_id=101, save_dir="/tmp")

    assert result["error"] == 'Model type "Poses" is not supported for download'


@pytest.mark.parametrize(
    ("civitai_type", "library"),
    [("Checkpoint", "checkpoint"), ("LoCon", "lora"), ("DoRA", "lora"), ("TextualInversion", "embedding")],
)
async def test_model_types_go_to_their_library(
    http_server, make_manager, libraries, tmp_path, civitai_type, library
):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager({101: make_version(url, model_type=civitai_type)})

    result = await manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path))

    assert result["success"] is True
    assert [entry["model_type"] for entry, _ in libraries[library].added] == [library]


# -- file selection -----------------------------------------------------------------------------

FILES = [
    {"id": 1, "name": "cfg.yaml", "type": "Config", "primary": True},
    {
        "id": 2,
        "name": "a-fp32.safetensors",
        "type": "Model",
        "metadata": {"format": "SafeTensor", "fp": "fp32"},
    },
    {
        "id": 3,
        "name": "a-fp16.safetensors",
        "type": "Model",
        "primary": True,
        "metadata": {"fp": "fp16", "size": "pruned"},
    },
    {"id": 4, "name": "neg.pt", "type": "Negative", "format": "PickleTensor"},
]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (None, None),
        ({}, None),
        ({"id": "3"}, 3),
        ({"id": 4}, 4),
        ({"id": 99}, None),
        ({"isPrimary": True}, 3),
        ({"type": "Model", "fp": "fp32"}, 2),
        ({"fp": "fp16"}, 3),
        ({"metadata": {"fp": "fp16"}}, 3),
        ({"type": "Model", "size": "full"}, 2),
        ({"format": "SafeTensor"}, 2),
        ({"type": "Negative", "format": "PickleTensor"}, 4),
        ({"type": "Negative", "format": "SafeTensor"}, None),
        ({"type": "Archive"}, None),
        ({"fp": ""}, 2),
    ],
)
def test_resolve_target_file(params, expected):
    found = resolve_target_file(FILES, params)
    assert (found or {}).get("id") == expected


def test_resolve_primary_needs_a_weight_type():
    assert resolve_target_file([{"id": 1, "primary": True, "type": "Config"}], {"isPrimary": True}) is None


def test_lenient_match_defaults_the_file_type_to_model():
    assert resolve_target_file([{"id": 8, "name": "x"}], {"fp": "fp16"}) == {"id": 8, "name": "x"}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (FILES, 3),
        ([FILES[0], FILES[1], FILES[3]], 2),
        ([{"id": 9, "type": "VAE", "primary": True}, FILES[0]], 9),
        ([FILES[0], {"id": 5, "type": "Archive", "primary": True}], None),
        ([{"id": 6, "type": "VAE"}], None),
        ([], None),
    ],
)
def test_fallback_file(files, expected):
    assert (fallback_file(files) or {}).get("id") == expected


async def test_explicit_file_is_downloaded(http_server, make_manager, tmp_path):
    url = http_server.route("/fp32", Serve(BODY))
    version = make_version("http://unused.invalid/x")
    version["files"].append(
        {"id": 6000, "name": "style-fp32.safetensors", "type": "Model", "downloadUrl": url}
    )
    manager = make_manager({101: version})

    result = await manager.download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), file_params={"id": 6000}
    )

    assert result["success"] is True
    assert (tmp_path / "style-fp32.safetensors").read_bytes() == BODY


# -- skip gates ---------------------------------------------------------------------------------


def _history_with(version_id):
    history = MemoryDownloadHistory()
    history.record(11, version_id, 5001, "cute_style.safetensors")
    return history


async def test_previously_downloaded_version_is_skipped(http_server, make_manager, tmp_path):
    # The file was deleted from the library since, but the history remembers the download.
    url = http_server.route("/m", Serve(BODY))
    settings = {"skip_previously_downloaded_model_versions": True}
    manager = make_manager({101: make_version(url)}, settings, history=_history_with(101))

    result = await manager.download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path / "b"), download_id="d2"
    )

    assert result == {
        "success": True,
        "skipped": True,
        "status": "skipped",
        "reason": "previously_downloaded_version",
        "message": "Model version 101 was downloaded before",
        "model_version_id": 101,
        "file_name": "cute_style.safetensors",
        "download_id": "d2",
    }
    assert http_server.requests == []
    assert not (tmp_path / "b").exists()
    assert [d["status"] for d in (await manager.get_active_downloads())["downloads"]] == ["skipped"]


async def test_history_of_another_version_does_not_skip(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    settings = {"skip_previously_downloaded_model_versions": True}
    manager = make_manager({101: make_version(url)}, settings, history=_history_with(100))

    assert (await manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path)))[
        "success"
    ] is True


async def test_successful_download_is_recorded_in_the_history(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    history = MemoryDownloadHistory()

    await make_manager({101: make_version(url)}, history=history).download_from_civitai(
        model_id=11, model_version_id=101, save_dir=str(tmp_path)
    )

    assert history.downloads == [
        {"model_id": 11, "version_id": 101, "file_id": 5001, "file_name": "cute_style.safetensors"}
    ]


async def test_history_is_ignored_without_the_setting(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager({101: make_version(url)}, history=_history_with(101))

    again = await manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path))

    assert again["success"] is True
    assert (tmp_path / "cute_style.safetensors").read_bytes() == BODY


async def test_explicit_file_bypasses_the_history_skip(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    settings = {"skip_previously_downloaded_model_versions": True}
    manager = make_manager({101: make_version(url)}, settings, history=_history_with(101))

    again = await manager.download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), file_params={"id": 5001}
    )

    assert again["success"] is True


async def test_excluded_base_model_is_skipped(make_manager, tmp_path):
    manager = make_manager(
        {101: make_version("http://x/m", base_model="Pony")}, {"download_skip_base_models": ["Pony"]}
    )

    result = await manager.download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), download_id="d"
    )

    assert result == {
        "success": True,
        "skipped": True,
        "status": "skipped",
        "reason": "excluded_base_model",
        "message": "Base model Pony is excluded from downloads",
        "model_version_id": 101,
        "file_name": "cute_style.safetensors",
        "download_id": "d",
    }


async def test_only_supported_base_models_can_be_excluded(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager(
        {101: make_version(url, base_model="Homebrew")}, {"download_skip_base_models": ["Homebrew"]}
    )

    result = await manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path))

    assert result["success"] is True
    assert "skipped" not in result


# -- per-file gate ------------------------------------------------------------------------------


def _cached(version_id, sha256="", path="/lib/cute_style.safetensors"):
    return {"civitai": {"id": version_id}, "sha256": sha256, "file_path": path}


@pytest.mark.parametrize(
    ("entry", "wanted_sha", "exists"),
    [
        (_cached(101, SHA), SHA, True),
        (_cached(101, SHA.upper()), SHA, True),
        (_cached(101, "0" * 64), SHA, False),
        (_cached(101, ""), SHA, True),
        (_cached(101, SHA), "", True),
        (_cached(101, "", "/lib/other.safetensors"), "", False),
        (_cached(102, SHA), SHA, False),
        (_cached(101, "0" * 64, "/lib/cute_style.safetensors"), SHA, False),
    ],
    ids=[
        "same-hash",
        "hash-case",
        "other-hash",
        "no-cached-hash",
        "no-wanted-hash",
        "other-name",
        "other-version",
        "hash-beats-name",
    ],
)
async def test_per_file_gate(http_server, make_manager, libraries, tmp_path, entry, wanted_sha, exists):
    url = http_server.route("/m", Serve(BODY))
    libraries["lora"].cache.append(entry)
    manager = make_manager({101: make_version(url, sha256=wanted_sha)})

    result = await manager.download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), file_params={"id": 5001}
    )

    if exists:
        assert result["error"] == "File cute_style.safetensors already exists in lora library"
        assert http_server.requests == []
    else:
        assert result["success"] is True


@pytest.mark.parametrize(
    "entries",
    [
        [_cached(102, SHA), _cached(101, SHA)],
        [_cached(101, "0" * 64), _cached(101, SHA)],
        [_cached(101, "", "/lib/other.safetensors"), _cached(101, "", "/lib/cute_style.safetensors")],
    ],
    ids=["other-version-first", "other-hash-first", "other-name-first"],
)
async def test_per_file_gate_looks_at_every_entry(http_server, make_manager, libraries, tmp_path, entries):
    url = http_server.route("/m", Serve(BODY))
    libraries["lora"].cache.extend(entries)
    manager = make_manager({101: make_version(url, sha256=SHA)})

    result = await manager.download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), file_params={"id": 5001}
    )

    assert result["error"] == "File cute_style.safetensors already exists in lora library"


async def test_file_without_a_name_is_never_already_there(make_manager, libraries, tmp_path):
    libraries["lora"].cache.append({"civitai": {"id": 101}, "sha256": "", "file_path": "/lib/x.safetensors"})
    libraries["lora"].cache.append({"civitai": {"id": 101}, "sha256": ""})
    version = make_version("http://x/m")
    del version["files"][0]["name"]

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), file_params={"id": 5001}
    )

    assert result["error"] == "No filename found in file info"


async def test_empty_names_never_match(http_server, make_manager, libraries, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    libraries["lora"].cache.append({"civitai": {"id": 101}, "sha256": "", "file_path": ""})
    version = make_version(url)
    version["files"][0]["name"] = ".safetensors"
    manager = make_manager({101: version})

    result = await manager.download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), file_params={"id": 5001}
    )

    assert result["success"] is True


async def test_unresolved_file_params_fall_back_to_the_version_gate(make_manager, libraries):
    libraries["checkpoint"].versions.add(101)
    manager = make_manager({101: make_version("http://x/m")})

    result = await manager.download_from_civitai(
        model_version_id=101, save_dir="/tmp", file_params={"id": 424242}
    )

    assert result["error"] == "Model version already exists in checkpoint library"


async def test_explicit_file_without_version_id_runs_the_version_gate(make_manager, libraries):
    libraries["lora"].versions.add(101)
    manager = make_manager({101: make_version("http://x/m")})

    result = await manager.download_from_civitai(model_id=11, save_dir="/tmp", file_params={"id": 5001})

    assert result["error"] == "Model version already exists in lora library"


# -- paths --------------------------------------------------------------------------------------


async def test_default_paths_use_the_root_and_template(http_server, make_manager, libraries, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    settings = {
        "default_lora_root": str(tmp_path / "loras"),
        "download_path_templates": {"lora": "{base_model}/{first_tag}/{author}/{model_name}"},
        "base_model_path_mappings": {"SDXL 1.0": "sdxl"},
        "priority_tags": {"lora": ["anime", "style"]},
    }
    manager = make_manager({101: make_version(url)}, settings)

    result = await manager.download_from_civitai(
        model_version_id=101, use_default_paths=True, save_dir="/ignored"
    )

    assert result["success"] is True
    assert (
        tmp_path / "loras" / "sdxl" / "anime" / "alice" / "Cute Style" / "cute_style.safetensors"
    ).read_bytes() == BODY
    assert libraries["lora"].added[0][1] == "sdxl/anime/alice/Cute Style"


async def test_save_dir_as_root_keeps_the_given_folder(http_server, make_manager, libraries, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    settings = {"default_lora_root": "/nowhere", "download_path_templates": {"lora": "{model_name}"}}
    manager = make_manager({101: make_version(url)}, settings)

    result = await manager.download_from_civitai(
        model_version_id=101, use_default_paths=True, save_dir=str(tmp_path), use_save_dir_as_root=True
    )

    assert result["success"] is True
    assert (tmp_path / "Cute Style" / "cute_style.safetensors").exists()


async def test_save_dir_as_root_without_save_dir_uses_the_default_root(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager({101: make_version(url)}, {"default_lora_root": str(tmp_path)})

    result = await manager.download_from_civitai(
        model_version_id=101, use_default_paths=True, use_save_dir_as_root=True
    )

    assert result["success"] is True
    assert (tmp_path / "cute_style.safetensors").exists()


@pytest.mark.parametrize(
    ("civitai_type", "file_type", "setting"),
    [
        ("Checkpoint", "Diffusion Model", "default_unet_root"),
        ("Checkpoint", "UNet", "default_unet_root"),
        ("Checkpoint", "Model", "default_checkpoint_root"),
        ("TextualInversion", "Model", "default_embedding_root"),
        ("LORA", "Diffusion Model", "default_lora_root"),
    ],
)
async def test_default_root_per_model_type(
    http_server, make_manager, tmp_path, civitai_type, file_type, setting
):
    url = http_server.route("/m", Serve(BODY))
    version = make_version(url, model_type=civitai_type, file_extra={"type": file_type})
    manager = make_manager({101: version}, {setting: str(tmp_path / setting)})

    result = await manager.download_from_civitai(model_version_id=101, use_default_paths=True)

    assert result["success"] is True
    assert (tmp_path / setting / "cute_style.safetensors").exists()


@pytest.mark.parametrize(
    ("civitai_type", "name"),
    [("LORA", "lora"), ("Checkpoint", "checkpoint"), ("TextualInversion", "embedding")],
)
async def test_missing_default_root(make_manager, civitai_type, name):
    manager = make_manager({101: make_version("http://x/m", model_type=civitai_type)})

    result = await manager.download_from_civitai(model_version_id=101, use_default_paths=True)

    assert result["error"] == f"Default {name} root path not set in settings"


async def test_missing_unet_root(make_manager):
    version = make_version("http://x/m", model_type="Checkpoint", file_extra={"type": "Diffusion Model"})

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, use_default_paths=True
    )

    assert result["error"] == "Default unet root path not set in settings"


async def test_no_save_dir(make_manager):
    result = await make_manager({101: make_version("http://x/m")}).download_from_civitai(model_version_id=101)

    assert result["error"] == "No save directory specified"


@pytest.mark.parametrize("relative", ["../escape", "a/../../escape", "/abs/elsewhere"])
async def test_paths_outside_the_save_dir_are_rejected_before_any_folder_exists(
    make_manager, tmp_path, relative
):
    root = tmp_path / "root"
    root.mkdir()

    result = await make_manager({101: make_version("http://x/m")}).download_from_civitai(
        model_version_id=101, save_dir=str(root), relative_path=relative
    )

    assert result["error"] == "Download path is outside allowed directory"
    assert sorted(os.listdir(tmp_path)) == ["root"]
    assert os.listdir(root) == []


async def test_sibling_with_a_common_prefix_is_outside(make_manager, tmp_path):
    result = await make_manager({101: make_version("http://x/m")}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path / "root"), relative_path="../root-evil"
    )

    assert result["error"] == "Download path is outside allowed directory"
    assert not (tmp_path / "root-evil").exists()


async def test_template_with_dotdot_is_rejected(make_manager, tmp_path):
    settings = {
        "default_lora_root": str(tmp_path / "root"),
        "download_path_templates": {"lora": "../{model_name}"},
    }

    result = await make_manager({101: make_version("http://x/m")}, settings).download_from_civitai(
        model_version_id=101, use_default_paths=True
    )

    assert result["error"] == "Download path is outside allowed directory"
    assert os.listdir(tmp_path) == []


async def test_relative_path_inside_is_created(http_server, make_manager, libraries, tmp_path):
    url = http_server.route("/m", Serve(BODY))

    result = await make_manager({101: make_version(url)}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), relative_path="styles/anime"
    )

    assert result["success"] is True
    assert (tmp_path / "styles" / "anime" / "cute_style.safetensors").exists()
    assert libraries["lora"].added[0][1] == "styles/anime"


async def test_file_name_from_the_server_cannot_leave_the_folder(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    root = tmp_path / "root"

    result = await make_manager(
        {101: make_version(url, file_name="..\\..\\evil.safetensors")}
    ).download_from_civitai(model_version_id=101, save_dir=str(root))

    assert result["success"] is True
    assert os.listdir(tmp_path) == ["root"]
    assert (root / "evil.safetensors").read_bytes() == BODY


async def test_existing_file_gets_a_numbered_name(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    (tmp_path / "cute_style.safetensors").write_bytes(b"someone else's")
    (tmp_path / "cute_style-1.safetensors").write_bytes(b"and another")

    result = await make_manager({101: make_version(url)}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["success"] is True
    assert (tmp_path / "cute_style-2.safetensors").read_bytes() == BODY
    assert json.loads((tmp_path / "cute_style-2.metadata.json").read_text())["file_name"] == "cute_style-2"
    assert (tmp_path / "cute_style.safetensors").read_bytes() == b"someone else's"


def test_unique_path(tmp_path):
    assert unique_path(str(tmp_path), "a.bin") == str(tmp_path / "a.bin")
    (tmp_path / "a.bin").write_bytes(b"")
    assert unique_path(str(tmp_path), "a.bin") == str(tmp_path / "a-1.bin")


@pytest.mark.parametrize(
    ("template", "fields", "model_type", "expected"),
    [
        ("", {"model_name": "x"}, "lora", ""),
        (None, {}, "lora", ""),
        ("{base_model}/{first_tag}", {"base_model": "SDXL 1.0", "first_tag": "style"}, "lora", "sdxl/style"),
        ("{base_model}", {"base_model": "Pony"}, "lora", "Pony"),
        ("{base_model}/{first_tag}/{author}", {}, "lora", "no tags/Anonymous"),
        ("/{model_name}//{version_name}/", {"model_name": "a:b", "version_name": "v?1"}, "lora", "a_b/v_1"),
        ("{model_name} {author}", {"model_name": "My Emb", "author": "bo b"}, "embedding", "My_Emb_bo_b"),
        ("{model_name} x", {"model_name": "My Emb"}, "lora", "My Emb x"),
        ("../{model_name}", {"model_name": "m"}, "lora", "../m"),
    ],
)
def test_render_path_template(template, fields, model_type, expected):
    assert render_path_template(template, fields, model_type, {"SDXL 1.0": "sdxl"}) == expected


def test_render_path_template_without_mappings():
    assert render_path_template("{base_model}", {"base_model": "SDXL 1.0"}, "lora") == "SDXL 1.0"


@pytest.mark.parametrize(
    ("tags", "priorities", "expected"),
    [
        (["Style", "Anime"], ["anime"], "anime"),
        (["Style", "Anime"], ["Concept", "STYLE"], "style"),
        (["Style", "Anime"], None, "style"),
        ([], ["anime"], ""),
        (None, None, ""),
    ],
)
def test_first_tag(tags, priorities, expected):
    assert first_tag(tags, priorities) == expected


# -- early access -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, None),
        ({"earlyAccessEndsAt": "2030-05-01T00:00:00Z"}, "This model requires payment (until 2030-05-01)."),
        ({"paidAccess": {"permanent": True, "endsAt": None}}, "This model requires a permanent purchase."),
        (
            {"paidAccess": {"permanent": False, "endsAt": "2031-01-02T10:00:00Z"}},
            "This model requires payment (until 2031-01-02).",
        ),
        (
            {"paidAccess": '{"permanent": false, "endsAt": "2031-01-02"}'},
            "This model requires payment (until 2031-01-02).",
        ),
        ({"paidAccess": {"permanent": False, "endsAt": None}}, None),
        ({"paidAccess": "not json"}, None),
        ({"paidAccess": ["odd"]}, None),
        (
            {"paidAccess": {"permanent": False, "endsAt": None}, "earlyAccessEndsAt": "2030-05-01"},
            "This model requires payment (until 2030-05-01).",
        ),
    ],
)
def test_early_access_message(extra, expected):
    message = early_access_message(extra)
    if expected is None:
        assert message is None
    else:
        assert (
            message
            == f"{expected} Please ensure you have purchased access on Civitai and that your API key is set."
        )


async def test_early_access_message_replaces_the_download_error(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Status(401))
    version = make_version(url, extra={"earlyAccessEndsAt": "2030-05-01T00:00:00Z"})

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["error"] == (
        "This model requires payment (until 2030-05-01). "
        "Please ensure you have purchased access on Civitai and that your API key is set."
    )


async def test_early_access_version_that_downloads_succeeds(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    version = make_version(url, extra={"earlyAccessEndsAt": "2030-05-01T00:00:00Z"})

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["success"] is True


# -- files and URLs -----------------------------------------------------------------------------


async def test_no_suitable_file(make_manager, tmp_path):
    version = make_version("http://x/m")
    version["files"] = [{"id": 1, "name": "cfg.yaml", "type": "Config", "primary": True}]

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["error"] == "No suitable file found in metadata"


async def test_no_url(make_manager, tmp_path):
    version = make_version("", file_extra={"mirrors": [{"url": "http://x/y", "deletedAt": "2024-01-01"}]})

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["error"] == "No mirror URL found"


async def test_no_file_name(make_manager, tmp_path):
    version = make_version("http://x/m", file_name="")

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["error"] == "No filename found in file info"


async def test_live_mirrors_replace_the_download_url_and_are_tried_in_order(
    http_server, make_downloader, make_manager, tmp_path
):
    gone = http_server.route("/gone", Status(404))
    mirror = http_server.route("/mirror", Serve(BODY))
    mirrors = [
        {"url": http_server.url("/deleted"), "deletedAt": "2024-01-01"},
        {"url": f"  {gone}  ", "deletedAt": None},
        {"url": None, "deletedAt": None},
        {"url": mirror, "deletedAt": None},
    ]
    version = make_version(http_server.url("/primary"), file_extra={"mirrors": mirrors})
    downloader = RecordingDownloader(make_downloader(chunk_size=256))

    result = await make_manager({101: version}, downloader=downloader).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["success"] is True
    target = str(tmp_path / "cute_style.safetensors")
    assert downloader.calls == [(gone, target, False), (mirror, target, False)]
    assert (tmp_path / "cute_style.safetensors").read_bytes() == BODY


@pytest.mark.parametrize(("source", "first"), [("civarchive", "other"), (None, "civitai")])
async def test_civarchive_source_tries_non_civitai_urls_first(make_manager, tmp_path, source, first):
    civitai = "https://civitai.com/api/download/models/101"
    # Sorts after the civitai URL as plain text: only the civitai-last rule puts it first.
    other = "https://mirror.example/files/m.safetensors"
    version = make_version("", file_extra={"mirrors": [{"url": civitai}, {"url": other}]})
    downloader = RefusingDownloader()

    result = await make_manager({101: version}, downloader=downloader).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), source=source
    )

    urls = [call[0] for call in downloader.calls]
    assert urls == ([other, civitai] if first == "other" else [civitai, other])
    assert [call[2] for call in downloader.calls] == [url == civitai for url in urls]
    assert result["error"] == f"refused {urls[-1]}"


@pytest.mark.parametrize(
    ("url", "auth"),
    [
        ("https://civitai.com/api/download/models/1", True),
        ("https://civitai.red/api/download/models/1", True),
        ("https://civitai.com/models/1", False),
    ],
)
async def test_auth_only_for_civitai_download_urls(make_manager, tmp_path, url, auth):
    downloader = RefusingDownloader()

    await make_manager({101: make_version(url)}, downloader=downloader).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert downloader.calls == [(url, str(tmp_path / "cute_style.safetensors"), auth)]


# -- previews -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("blur", "level", "expected"),
    [(True, "R", 2), (True, "PG13", 1), (True, "PG", 0), (False, "R", 0), (True, "unknown", 2)],
)
def test_select_preview_media(blur, level, expected):
    images = [{"i": 0, "nsfwLevel": 16}, {"i": 1, "nsfwLevel": 1}, {"i": 2, "nsfwLevel": 2}]
    images = [images[0], images[2], images[1]] if expected == 2 else images
    picked = select_preview_media(images, blur, level)
    assert picked["i"] == expected


def test_select_preview_media_missing_level_counts_as_safe():
    assert select_preview_media([{"i": 0, "nsfwLevel": 8}, {"i": 1}], True, "R") == {"i": 1}
    assert select_preview_media([{"i": 0, "nsfwLevel": 8}, {"i": 1}], True, "PG") == {"i": 1}
    assert select_preview_media([{"i": 0, "nsfwLevel": 8}, {"i": 1, "nsfwLevel": 1}], True, None)["i"] == 1


@pytest.mark.parametrize(
    ("path", "kind", "saved"),
    [
        ("/img/a.jpeg", "image", "cute_style.jpeg"),
        ("/img/a", "image", "cute_style.png"),
        ("/vid/a.webm", "video", "cute_style.webm"),
        ("/vid/a.php", "video", "cute_style.mp4"),
    ],
)
async def test_preview_extension_comes_from_the_url(http_server, make_manager, tmp_path, path, kind, saved):
    url = http_server.route("/m", Serve(BODY))
    image = http_server.route(path, Serve(PNG))
    version = make_version(url, images=[{"url": image, "type": kind, "nsfwLevel": 2}])

    await make_manager({101: version}).download_from_civitai(model_version_id=101, save_dir=str(tmp_path))

    assert (tmp_path / saved).read_bytes() == PNG
    sidecar = json.loads((tmp_path / "cute_style.metadata.json").read_text())
    assert (sidecar["preview_url"], sidecar["preview_nsfw_level"]) == (f"{tmp_path}/{saved}", 2)


async def test_preview_failure_does_not_fail_the_download(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    image = http_server.route("/img.png", Status(404))
    progress = []
    version = make_version(url, images=[{"url": image}])

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), progress_callback=progress.append
    )

    assert result["success"] is True
    assert sorted(os.listdir(tmp_path)) == ["cute_style.metadata.json", "cute_style.safetensors"]
    assert json.loads((tmp_path / "cute_style.metadata.json").read_text())["preview_url"] == ""
    assert progress[:2] == [1, 3]


async def test_unwritable_preview_is_skipped(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    image = http_server.route("/img.png", Serve(PNG))
    (tmp_path / "cute_style.png").mkdir()

    result = await make_manager({101: make_version(url, images=[{"url": image}])}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["success"] is True
    assert (tmp_path / "cute_style.png").is_dir()
    assert json.loads((tmp_path / "cute_style.metadata.json").read_text())["preview_url"] == ""


async def test_no_images_means_no_preview_progress(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    progress = []

    await make_manager({101: make_version(url)}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), progress_callback=progress.append
    )

    assert 1 not in progress
    assert progress[-1] == 100


# -- zip archives -------------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, data in entries.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


async def test_zip_archive_is_extracted_flat_with_one_sidecar_per_file(
    http_server, make_manager, libraries, tmp_path
):
    archive = _zip(
        {"readme.txt": b"hi", "a.safetensors": b"AAAA", "deep/": b"", "deep/dir/b.SAFETENSORS": b"BBBB"}
    )
    url = http_server.route("/m", Serve(archive))
    image = http_server.route("/p.png", Serve(PNG))
    (tmp_path / "a.safetensors").write_bytes(b"existing")
    version = make_version(url, file_name="bundle.zip", sha256="ff" * 32, images=[{"url": image}])
    manager = make_manager({101: version})

    result = await manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path))

    assert result["success"] is True
    assert sorted(os.listdir(tmp_path)) == [
        "a-1.metadata.json",
        "a-1.png",
        "a-1.safetensors",
        "a.safetensors",
        "b.SAFETENSORS",
        "b.metadata.json",
        "b.png",
    ]
    assert (tmp_path / "a-1.safetensors").read_bytes() == b"AAAA"
    assert (tmp_path / "b.SAFETENSORS").read_bytes() == b"BBBB"
    assert (tmp_path / "b.png").read_bytes() == PNG
    first = json.loads((tmp_path / "a-1.metadata.json").read_text())
    second = json.loads((tmp_path / "b.metadata.json").read_text())
    assert (first["file_name"], first["sha256"], first["size"], first["preview_url"]) == (
        "a-1",
        hashlib.sha256(b"AAAA").hexdigest(),
        4,
        f"{tmp_path}/a-1.png",
    )
    assert (second["file_name"], second["sha256"], second["preview_url"]) == (
        "b",
        hashlib.sha256(b"BBBB").hexdigest(),
        f"{tmp_path}/b.png",
    )
    assert [entry["file_path"] for entry, _ in libraries["lora"].added] == [
        f"{tmp_path}/a-1.safetensors",
        f"{tmp_path}/b.SAFETENSORS",
    ]
    assert (first["preview_nsfw_level"], second["preview_nsfw_level"]) == (0, 0)
    record = next(iter(manager._active_downloads.values()))
    assert record["extracted_paths"] == [str(tmp_path / "a-1.safetensors"), str(tmp_path / "b.SAFETENSORS")]
    assert record["preview_path"] == str(tmp_path / "a-1.png")


async def test_zip_for_checkpoints_keeps_checkpoint_extensions(http_server, make_manager, tmp_path):
    archive = _zip({"m.ckpt": b"C", "m.gguf": b"G", "notes.md": b"x"})
    url = http_server.route("/m", Serve(archive))
    version = make_version(url, file_name="bundle.zip", model_type="Checkpoint")

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["success"] is True
    assert sorted(p for p in os.listdir(tmp_path) if not p.endswith(".json")) == ["m.ckpt", "m.gguf"]


async def test_zip_without_model_files_fails_and_cleans_up(http_server, make_manager, libraries, tmp_path):
    archive = _zip({"m.gguf": b"G", "notes.md": b"x"})
    url = http_server.route("/m", Serve(archive))
    image = http_server.route("/p.png", Serve(PNG))
    version = make_version(
        url, file_name="bundle.zip", model_type="TextualInversion", images=[{"url": image}]
    )

    result = await make_manager({101: version}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), download_id="z"
    )

    assert result == {
        "success": False,
        "error": "Zip archive does not contain any supported model files (.ckpt, .pt, .pt2, .bin, .pth, .safetensors, .pkl, .sft)",
        "download_id": "z",
    }
    assert os.listdir(tmp_path) == []
    assert libraries["embedding"].added == []


async def test_model_id_alone_downloads_the_version_it_names(http_server, make_manager, libraries, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    provider = StaticMetadataProvider({101: make_version(url)})

    result = await make_manager(provider=provider).download_from_civitai(model_id=11, save_dir=str(tmp_path))

    assert result["success"] is True
    assert provider.calls == [(11, None)]
    assert libraries["lora"].added[0][0]["civitai"]["id"] == 101


async def test_the_record_keeps_the_request_and_the_files(http_server, make_manager, clock, tmp_path):
    clock.step = 1.0
    url = http_server.route("/m", Serve(BODY))
    image = http_server.route("/p.png", Serve(PNG))
    manager = make_manager({101: make_version(url, images=[{"url": image}])})
    params = {"id": 5001, "nested": {"k": [1]}}

    await manager.download_from_civitai(
        model_id=11,
        model_version_id=101,
        save_dir=str(tmp_path),
        relative_path="sub",
        download_id="d",
        source="civitai",
        file_params=params,
    )
    params["nested"]["k"].append(2)

    record = manager._active_downloads["d"]
    assert record == {
        "model_id": 11,
        "model_version_id": 101,
        "save_dir": str(tmp_path),
        "relative_path": "sub",
        "use_default_paths": False,
        "use_save_dir_as_root": False,
        "source": "civitai",
        "file_params": {"id": 5001, "nested": {"k": [1]}},
        "status": "completed",
        "progress": 100,
        "transfer_backend": "python",
        "bytes_downloaded": len(BODY),
        "total_bytes": len(BODY),
        "bytes_per_second": 0.0,
        "last_progress_timestamp": record["last_progress_timestamp"],
        "error": None,
        "file_path": str(tmp_path / "sub" / "cute_style.safetensors"),
        "part_path": str(tmp_path / "sub" / "cute_style.safetensors.part"),
        "preview_path": str(tmp_path / "sub" / "cute_style.png"),
        "preview_copies": [],
        "finished_at": record["finished_at"],
    }
    assert record["last_progress_timestamp"] < record["finished_at"]


async def test_a_new_download_is_queued_before_it_waits(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    manager = make_manager({101: make_version(url)})

    task = asyncio.create_task(
        manager.download_from_civitai(model_version_id=101, save_dir=str(tmp_path), download_id="d")
    )
    await asyncio.sleep(0)

    assert (await manager.get_active_downloads())["downloads"] == [
        {
            "download_id": "d",
            "model_id": None,
            "model_version_id": 101,
            "progress": 0,
            "status": "queued",
            "error": None,
            "bytes_downloaded": 0,
            "total_bytes": None,
            "bytes_per_second": 0.0,
        }
    ]
    assert (await task)["success"] is True


async def test_empty_file_params_mean_none(make_manager, libraries):
    libraries["lora"].versions.add(101)
    provider = StaticMetadataProvider({101: make_version("http://x/m")})

    result = await make_manager(provider=provider).download_from_civitai(
        model_version_id=101, save_dir="/tmp", file_params={}
    )

    assert result["error"] == "Model version already exists in lora library"
    assert provider.calls == []


async def test_progress_never_passes_100(http_server, make_manager, clock, tmp_path):
    # The server first claims 1000 bytes and sends 1024 from offset 24: more than 100 % arrives.
    clock.step = 1.0
    url = http_server.route("/m", Serve(BODY[:1024], range_total=1000), Serve(BODY))
    (tmp_path / "cute_style.safetensors.part").write_bytes(BODY[:24])
    progress = []

    result = await make_manager({101: make_version(url)}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path), progress_callback=lambda p, s=None: progress.append(p)
    )

    assert result["success"] is True
    assert max(progress) == 100
    assert progress.count(100) >= 2


async def test_default_settings_blur_mature_previews(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    mature = http_server.route("/mature.png", Serve(b"mature"))
    safe = http_server.route("/safe.jpeg", Serve(b"safe"))
    images = [{"url": mature, "nsfwLevel": 4}, {"url": safe, "nsfwLevel": 2}]

    await make_manager({101: make_version(url, images=images)}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert (tmp_path / "cute_style.jpeg").read_bytes() == b"safe"
    assert not (tmp_path / "cute_style.png").exists()


@pytest.mark.parametrize(
    ("version_creator", "model_creator", "author"),
    [
        ({"username": "alice"}, {"username": "bob"}, "alice"),
        (None, {"username": "bob"}, "bob"),
        (None, None, "Anonymous"),
    ],
)
async def test_author_comes_from_the_version_then_the_model(
    http_server, make_manager, tmp_path, version_creator, model_creator, author
):
    url = http_server.route("/m", Serve(BODY))
    version = make_version(url)
    version["creator"] = version_creator
    if model_creator:
        version["model"]["creator"] = model_creator
    settings = {
        "default_lora_root": str(tmp_path),
        "download_path_templates": {"lora": "{author}/{version_name}"},
    }

    result = await make_manager({101: version}, settings).download_from_civitai(
        model_version_id=101, use_default_paths=True
    )

    assert result["success"] is True
    assert (tmp_path / author / "v1.0" / "cute_style.safetensors").exists()


async def test_embedding_paths_use_underscores(http_server, make_manager, libraries, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    settings = {
        "default_embedding_root": str(tmp_path),
        "download_path_templates": {"embedding": "{model_name}"},
    }
    version = make_version(url, model_type="TextualInversion")

    await make_manager({101: version}, settings).download_from_civitai(
        model_version_id=101, use_default_paths=True
    )

    assert (tmp_path / "Cute_Style" / "cute_style.safetensors").exists()
    assert libraries["embedding"].added[0][1] == "Cute_Style"


async def test_missing_names_are_empty_in_the_sidecar(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    version = make_version(url)
    del version["model"]["name"]
    del version["baseModel"]

    await make_manager({101: version}).download_from_civitai(model_version_id=101, save_dir=str(tmp_path))

    sidecar = json.loads((tmp_path / "cute_style.metadata.json").read_text())
    assert (sidecar["model_name"], sidecar["base_model"]) == ("", "")
    assert (sidecar["preview_url"], sidecar["preview_nsfw_level"]) == ("", 0)


async def test_metadata_does_not_alias_the_providers_data(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))
    version = make_version(url)
    saved = []

    class KeepingWriter:
        async def save_metadata(self, file_path, entry):
            saved.append(entry)

    await make_manager({101: version}, metadata_writer=KeepingWriter()).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )
    version["model"]["tags"].append("changed later")
    version["files"][0]["name"] = "renamed.safetensors"

    assert saved[0]["civitai"]["model"]["tags"] == ["Style", "Anime"]
    assert saved[0]["civitai"]["files"][0]["name"] == "cute_style.safetensors"


@pytest.mark.parametrize(
    ("settings", "saved"),
    [({"blur_mature_content": False}, b"mature"), ({"mature_blur_level": "X"}, b"r-rated"), ({}, b"safe")],
)
async def test_preview_choice_follows_the_blur_settings(http_server, make_manager, tmp_path, settings, saved):
    url = http_server.route("/m", Serve(BODY))
    images = [
        {"url": http_server.route("/1.png", Serve(b"mature")), "nsfwLevel": 16},
        {"url": http_server.route("/2.png", Serve(b"r-rated")), "nsfwLevel": 4},
        {"url": http_server.route("/3.png", Serve(b"safe")), "nsfwLevel": 1},
    ]

    await make_manager({101: make_version(url, images=images)}, settings).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert (tmp_path / "cute_style.png").read_bytes() == saved


async def test_image_without_url_gives_no_preview(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(BODY))

    result = await make_manager({101: make_version(url, images=[{"type": "image"}])}).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert result["success"] is True
    assert [r.path for r in http_server.requests] == ["/m"]
    assert sorted(os.listdir(tmp_path)) == ["cute_style.metadata.json", "cute_style.safetensors"]


def test_lenient_match_ignores_empty_values_on_the_file():
    files = [{"id": 1, "type": "Model", "metadata": {"fp": ""}}]
    assert resolve_target_file(files, {"fp": "fp16"}) == files[0]


def test_lenient_match_compares_sizes():
    files = [
        {"id": 7, "type": "Model", "metadata": {"size": "pruned"}},
        {"id": 8, "type": "Model", "metadata": {"size": "full"}},
    ]
    assert resolve_target_file(files, {"size": "full"})["id"] == 8
    assert resolve_target_file(files, {"type": "VAE", "size": "full"}) is None
    assert resolve_target_file([{"id": 1, "type": "VAE"}, *files], {"size": "full"})["id"] == 8


async def test_missing_model_type(make_manager):
    version = make_version("http://x/m")
    del version["model"]["type"]

    result = await make_manager({101: version}).download_from_civitai(model_version_id=101, save_dir="/tmp")

    assert result["error"] == 'Model type "" is not supported for download'


async def test_requested_version_id_is_used_when_the_payload_has_none(make_manager, tmp_path):
    version = make_version("http://x/m")
    del version["id"]
    settings = {"skip_previously_downloaded_model_versions": True}

    result = await make_manager({101: version}, settings, history=_history_with(101)).download_from_civitai(
        model_version_id=101, save_dir=str(tmp_path)
    )

    assert (result["reason"], result["model_version_id"]) == ("previously_downloaded_version", 101)


async def test_extracted_entries_are_independent(http_server, make_manager, tmp_path):
    url = http_server.route("/m", Serve(_zip({"a.safetensors": b"A", "b.safetensors": b"B"})))
    saved = []

    class KeepingWriter:
        async def save_metadata(self, file_path, entry):
            saved.append(entry)

    await make_manager(
        {101: make_version(url, file_name="x.zip")}, metadata_writer=KeepingWriter()
    ).download_from_civitai(model_version_id=101, save_dir=str(tmp_path))

    first, second = saved
    first["civitai"]["model"]["tags"].append("only mine")
    assert second["civitai"]["model"]["tags"] == ["Style", "Anime"]
