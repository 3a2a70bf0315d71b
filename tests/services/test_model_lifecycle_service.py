"""ModelLifecycleService and its helpers on real files in tmp_path and real cache objects."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from py.services.model_lifecycle_service import (
    ModelLifecycleService,
    RenameFailedError,
    delete_model_artifacts,
    extract_model_id,
    find_model_artifacts,
    require_path_in_library_roots,
)
from py.services.sidecar_store import MetadataError, SidecarStore
from py.utils.constants import PREVIEW_EXTENSIONS
from tests.services.conftest import AUTOV3_A, SHA_A, SHA_B, Fixture, build_library


def touch(directory: Path, *names: str) -> None:
    for name in names:
        (directory / name).write_bytes(name.encode())


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# -- delete_model_artifacts ------------------------------------------------------------------------


def test_delete_model_artifacts_removes_every_file_of_the_model_and_returns_full_paths(
    tmp_path: Path,
) -> None:
    touch(
        tmp_path,
        "model.safetensors",
        "model.metadata.json",
        "model.metadata.json.bak",
        "model.webp",
        "model.preview.png",
        "model.gif",
        "model.webm",
    )

    deleted = delete_model_artifacts(str(tmp_path), "model")

    base = tmp_path.as_posix()
    # Main file first, then sidecars, then previews in priority order.
    assert deleted == [
        f"{base}/model.safetensors",
        f"{base}/model.metadata.json",
        f"{base}/model.metadata.json.bak",
        f"{base}/model.webp",
        f"{base}/model.preview.png",
        f"{base}/model.gif",
        f"{base}/model.webm",
    ]
    assert names(tmp_path) == []


def test_delete_model_artifacts_covers_every_preview_extension(tmp_path: Path) -> None:
    touch(tmp_path, "m.safetensors", *(f"m{ext}" for ext in PREVIEW_EXTENSIONS))
    deleted = delete_model_artifacts(str(tmp_path), "m")
    assert deleted == [f"{tmp_path.as_posix()}/m{ext}" for ext in (".safetensors", *PREVIEW_EXTENSIONS)]
    assert names(tmp_path) == []


def test_delete_model_artifacts_leaves_other_models_with_a_shared_prefix(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "model.safetensors",
        "model.metadata.json",
        "model.v1.safetensors",
        "model.v1.metadata.json",
        "model.v1.preview.jpeg",
        "model2.safetensors",
        "model.txt",
    )

    deleted = delete_model_artifacts(str(tmp_path), "model.v1")

    assert deleted == [
        f"{tmp_path.as_posix()}/model.v1.safetensors",
        f"{tmp_path.as_posix()}/model.v1.metadata.json",
        f"{tmp_path.as_posix()}/model.v1.preview.jpeg",
    ]
    assert names(tmp_path) == [
        "model.metadata.json",
        "model.safetensors",
        "model.txt",
        "model2.safetensors",
    ]


def test_delete_model_artifacts_without_main_file_still_removes_the_sidecars(tmp_path: Path) -> None:
    touch(tmp_path, "gone.metadata.json", "gone.jpg")
    assert delete_model_artifacts(str(tmp_path), "gone") == [
        f"{tmp_path.as_posix()}/gone.metadata.json",
        f"{tmp_path.as_posix()}/gone.jpg",
    ]
    assert names(tmp_path) == []


def test_delete_model_artifacts_uses_the_given_main_extension(tmp_path: Path) -> None:
    touch(tmp_path, "ckpt.ckpt", "ckpt.safetensors", "ckpt.png")
    assert delete_model_artifacts(str(tmp_path), "ckpt", ".ckpt") == [
        f"{tmp_path.as_posix()}/ckpt.ckpt",
        f"{tmp_path.as_posix()}/ckpt.png",
    ]
    # A file with another weight extension is another model.
    assert names(tmp_path) == ["ckpt.safetensors"]


def test_delete_model_artifacts_skips_a_directory_named_like_a_preview(tmp_path: Path) -> None:
    touch(tmp_path, "m.safetensors")
    (tmp_path / "m.webp").mkdir()
    assert delete_model_artifacts(str(tmp_path), "m") == [f"{tmp_path.as_posix()}/m.safetensors"]
    assert names(tmp_path) == ["m.webp"]


def test_find_model_artifacts_pairs_each_file_with_its_suffix(tmp_path: Path) -> None:
    touch(tmp_path, "a.b.safetensors", "a.b.metadata.json.bak", "a.b.preview.mp4", "a.b.mp4")
    base = tmp_path.as_posix()
    assert find_model_artifacts(str(tmp_path), "a.b") == [
        (".safetensors", f"{base}/a.b.safetensors"),
        (".metadata.json.bak", f"{base}/a.b.metadata.json.bak"),
        (".preview.mp4", f"{base}/a.b.preview.mp4"),
        (".mp4", f"{base}/a.b.mp4"),
    ]
    # Nothing is removed by looking.
    assert len(names(tmp_path)) == 4


# -- library-root containment ----------------------------------------------------------------------


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    (root / "sub").mkdir(parents=True)
    return root


@pytest.mark.parametrize(
    "relative",
    ["lib", "lib/m.safetensors", "lib/sub/m.safetensors", "lib/sub/../m.safetensors", "lib/./sub/x"],
)
def test_paths_under_a_root_pass_the_containment_check(tmp_path: Path, lib: Path, relative: str) -> None:
    require_path_in_library_roots(str(tmp_path / relative), [str(lib)])


@pytest.mark.parametrize(
    "relative",
    ["lib/../outside.safetensors", "lib/sub/../../x", "lib2/m.safetensors", "li", "m.safetensors"],
)
def test_paths_outside_every_root_are_rejected_with_the_exact_message(
    tmp_path: Path, lib: Path, relative: str
) -> None:
    path = str(tmp_path / relative)
    with pytest.raises(ValueError) as info:
        require_path_in_library_roots(path, [str(lib)], "File path")
    assert str(info.value) == f"File path '{path}' is outside configured library directories"


def test_the_default_label_is_model_path(tmp_path: Path, lib: Path) -> None:
    with pytest.raises(ValueError) as info:
        require_path_in_library_roots("/elsewhere/m.safetensors", [str(lib)])
    assert (
        str(info.value) == "Model path '/elsewhere/m.safetensors' is outside configured library directories"
    )


def test_any_of_several_roots_contains_the_path(tmp_path: Path, lib: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    require_path_in_library_roots(str(other / "m.safetensors"), [str(lib), str(other)])
    require_path_in_library_roots(str(lib / "m.safetensors"), [str(lib), str(other)])


def test_with_no_roots_nothing_is_inside(lib: Path) -> None:
    with pytest.raises(ValueError, match="is outside configured library directories$"):
        require_path_in_library_roots(str(lib / "m.safetensors"), [])
    with pytest.raises(ValueError, match="is outside configured library directories$"):
        require_path_in_library_roots(str(lib / "m.safetensors"), [""])


def test_a_root_given_with_a_trailing_separator_or_dots_still_matches(lib: Path) -> None:
    require_path_in_library_roots(str(lib / "m.safetensors"), [str(lib) + os.sep])
    require_path_in_library_roots(str(lib / "m.safetensors"), [str(lib / "sub" / "..")])


def test_filesystem_root_as_library_root_contains_everything(lib: Path) -> None:
    require_path_in_library_roots(str(lib / "m.safetensors"), [os.sep])


def test_a_relative_path_is_judged_from_the_working_directory(
    lib: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(lib)
    require_path_in_library_roots("sub/m.safetensors", [str(lib)])
    with pytest.raises(ValueError, match=r"^Model path '\.\./m\.safetensors' is outside"):
        require_path_in_library_roots("../m.safetensors", [str(lib)])


def test_symlinks_are_not_resolved_a_folder_linked_into_a_root_belongs_to_it(
    tmp_path: Path, lib: Path
) -> None:
    # Users link model folders that live elsewhere into their library: those models are managed.
    external = tmp_path / "external"
    external.mkdir()
    (lib / "linked").symlink_to(external, target_is_directory=True)
    require_path_in_library_roots(str(lib / "linked" / "m.safetensors"), [str(lib)])


def test_symlinks_are_not_resolved_a_link_outside_pointing_into_a_root_is_outside(
    tmp_path: Path, lib: Path
) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(lib, target_is_directory=True)
    path = str(alias / "m.safetensors")
    with pytest.raises(ValueError) as info:
        require_path_in_library_roots(path, [str(lib)])
    assert str(info.value) == f"Model path '{path}' is outside configured library directories"


# -- model id extraction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"civitai": {"modelId": 11, "model_id": 22, "model": {"id": 33}}, "model_id": 44}, 11),
        ({"civitai": {"model_id": 22, "model": {"id": 33}}, "model_id": 44}, 22),
        ({"civitai": {"model": {"id": 33}}, "model_id": 44}, 33),
        ({"civitai": {"model": {"id": "33"}}}, 33),
        ({"civitai": {"modelId": "x", "model": {"id": 33}}}, 33),
        ({"civitai": {"modelId": None}, "model_id": 44, "civitai_model_id": 55}, 44),
        ({"civitai": {"model": "not a mapping"}, "civitai_model_id": 55}, 55),
        ({"civitai": "not a mapping", "civitai_model_id": "55"}, 55),
        ({"model_id": " 7 "}, 7),
        ({"model_id": 0}, 0),
        ({"model_id": True}, None),
        ({"model_id": 1.5}, None),
        ({"model_id": "-3"}, None),
        ({"model_id": "\u00b2"}, None),
        ({"model_id": ""}, None),
        ({}, None),
        (None, None),
        ([("model_id", 1)], None),
        ("model_id", None),
    ],
)
def test_extract_model_id(payload: object, expected: int | None) -> None:
    assert extract_model_id(payload) == expected


# -- the service on a real library -----------------------------------------------------------------

INITIAL_FILES = [
    "lib/a.metadata.json",
    "lib/a.metadata.json.bak",
    "lib/a.preview.png",
    "lib/a.safetensors",
    "lib/a.webp",
    "lib/notes.txt",
    "lib/sub/a.metadata.json",
    "lib/sub/a.safetensors",
    "lib/sub/b.v1.jpeg",
    "lib/sub/b.v1.metadata.json",
    "lib/sub/b.v1.metadata.json.bak",
    "lib/sub/b.v1.safetensors",
]

INITIAL_STATE = {
    "autov3": {AUTOV3_A: "lib/a.safetensors"},
    "cache": ["lib/a.safetensors", "lib/sub/a.safetensors", "lib/sub/b.v1.safetensors"],
    "hash": {SHA_A: "lib/sub/a.safetensors", SHA_B: "lib/sub/b.v1.safetensors"},
    "duplicates": {SHA_A: ["lib/a.safetensors", "lib/sub/a.safetensors"]},
    "excluded": [],
    "tags": {"anime": 1, "copy": 1, "style": 2},
    "persisted": {
        "cache": ["lib/a.safetensors", "lib/sub/a.safetensors", "lib/sub/b.v1.safetensors"],
        "hash_rows": [
            (SHA_A, "lib/a.safetensors"),
            (SHA_A, "lib/sub/a.safetensors"),
            (SHA_B, "lib/sub/b.v1.safetensors"),
        ],
        "autov3_rows": [(AUTOV3_A, "lib/a.safetensors")],
        "excluded": [],
    },
}


class VersionRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, list[int]]] = []

    async def update_in_library_versions(
        self, model_type: str, model_id: int, version_ids: list[int]
    ) -> None:
        self.calls.append((model_type, model_id, version_ids))


class RecipeRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def update_lora_filename_by_hash(self, sha256: str, new_file_name: str) -> int:
        self.calls.append((sha256, new_file_name))
        return 1


class TrashStager:
    """Stages a delete the way an undo service does: moves the files into a trash folder."""

    def __init__(self, trash: Path, batch_id: str | None = "batch-1") -> None:
        self.trash = trash
        self.batch_id = batch_id
        self.calls: list[dict[str, Any]] = []

    async def stage_model_delete(self, *, model_type: str, file_path: str, files: list[str]) -> str | None:
        self.calls.append({"model_type": model_type, "file_path": file_path, "files": list(files)})
        if self.batch_id is None:
            return None
        self.trash.mkdir(exist_ok=True)
        for path in files:
            shutil.move(path, self.trash / Path(path).name)
        return self.batch_id


def make_service(fx: Fixture, **kwargs: Any) -> ModelLifecycleService:
    return ModelLifecycleService(library=fx.library, metadata=SidecarStore(), **kwargs)


def scrub(value: Any, fx: Fixture) -> Any:
    """Payload with tmp paths replaced by ``<tmp>`` so snapshots do not depend on the machine."""
    text = json.dumps(value, sort_keys=True).replace(fx.tmp.as_posix(), "<tmp>")
    return json.loads(text)


def test_the_fixture_library_starts_consistent(models: Fixture) -> None:
    assert models.files() == INITIAL_FILES
    assert models.state() == INITIAL_STATE


# delete_model


async def test_delete_model_removes_its_files_and_every_cache_reference(models: Fixture, snapshot) -> None:
    versions = VersionRecorder()
    result = await make_service(models, version_sync=versions).delete_model(models.paths["a"])

    assert result == {
        "success": True,
        "deleted_files": [
            models.paths["a"],
            f"{models.root.as_posix()}/a.metadata.json",
            f"{models.root.as_posix()}/a.metadata.json.bak",
            f"{models.root.as_posix()}/a.webp",
            f"{models.root.as_posix()}/a.preview.png",
        ],
        "batch_id": None,
    }
    assert scrub(result, models) == snapshot
    assert models.files() == [f for f in INITIAL_FILES if not f.startswith("lib/a.")]
    assert models.state() == {
        "autov3": {},
        "cache": ["lib/sub/a.safetensors", "lib/sub/b.v1.safetensors"],
        # The surviving copy answers for the hash and is no longer a duplicate.
        "hash": {SHA_A: "lib/sub/a.safetensors", SHA_B: "lib/sub/b.v1.safetensors"},
        "duplicates": {},
        "excluded": [],
        "tags": {"copy": 1, "style": 1},
        "persisted": {
            "cache": ["lib/sub/a.safetensors", "lib/sub/b.v1.safetensors"],
            "hash_rows": [(SHA_A, "lib/sub/a.safetensors"), (SHA_B, "lib/sub/b.v1.safetensors")],
            "autov3_rows": [],
            "excluded": [],
        },
    }
    # Version 1001 still has a file (the copy), so both versions remain.
    assert versions.calls == [("lora", 100, [1001, 1002])]
    assert sorted(models.library.cache.get_versions_by_model_id(100), key=lambda d: d["versionId"]) == [
        {"versionId": 1001, "name": "v1001", "fileName": "a"},
        {"versionId": 1002, "name": "v1002", "fileName": "b.v1"},
    ]
    assert models.library.cache.folders == ["sub"]
    assert models.library.cache_version == 1


async def test_deleting_the_last_file_of_a_version_drops_it_from_the_synced_versions(models: Fixture) -> None:
    versions = VersionRecorder()
    service = make_service(models, version_sync=versions)
    await service.delete_model(models.paths["b"])
    await service.delete_model(models.paths["a"])
    await service.delete_model(models.paths["c"])
    assert versions.calls == [("lora", 100, [1001]), ("lora", 100, [1001]), ("lora", 100, [])]
    assert models.files() == ["lib/notes.txt"]
    assert models.state() == {
        "autov3": {},
        "cache": [],
        "hash": {},
        "duplicates": {},
        "excluded": [],
        "tags": {},
        # An emptied partition loads as nothing.
        "persisted": None,
    }
    assert models.library.cache_version == 3


async def test_delete_model_takes_the_model_id_from_the_cache_entry_when_the_sidecar_is_corrupt(
    models: Fixture,
) -> None:
    (models.root / "sub" / "b.v1.metadata.json").write_text("{broken", encoding="utf-8")
    versions = VersionRecorder()
    result = await make_service(models, version_sync=versions).delete_model(models.paths["b"])
    assert result["deleted_files"] == [
        models.paths["b"],
        f"{models.root.as_posix()}/sub/b.v1.metadata.json",
        f"{models.root.as_posix()}/sub/b.v1.metadata.json.bak",
        f"{models.root.as_posix()}/sub/b.v1.jpeg",
    ]
    assert versions.calls == [("lora", 100, [1001])]


async def test_delete_model_prefers_the_sidecar_model_id_over_the_cache_entry(models: Fixture) -> None:
    sidecar = models.root / "sub" / "b.v1.metadata.json"
    sidecar.write_text(json.dumps({"civitai": {"modelId": 555}}), encoding="utf-8")
    versions = VersionRecorder()
    await make_service(models, version_sync=versions).delete_model(models.paths["b"])
    assert versions.calls == [("lora", 555, [])]


async def test_delete_model_without_any_model_id_syncs_no_versions(models: Fixture) -> None:
    (models.root / "sub" / "a.metadata.json").unlink()
    models.entry(models.paths["c"]).pop("civitai")
    versions = VersionRecorder()
    result = await make_service(models, version_sync=versions).delete_model(models.paths["c"])
    assert result == {"success": True, "deleted_files": [models.paths["c"]], "batch_id": None}
    assert versions.calls == []


async def test_delete_model_of_a_file_unknown_to_the_cache_removes_only_files(models: Fixture) -> None:
    orphan = models.root / "orphan.safetensors"
    orphan.write_bytes(b"x")
    (models.root / "orphan.png").write_bytes(b"p")
    result = await make_service(models).delete_model(orphan.as_posix())
    assert result["deleted_files"] == [orphan.as_posix(), f"{models.root.as_posix()}/orphan.png"]
    assert models.files() == INITIAL_FILES
    assert models.state() == INITIAL_STATE
    assert models.library.cache_version == 0


async def test_delete_model_of_a_missing_file_still_cleans_the_caches(models: Fixture) -> None:
    for name in ("a.safetensors", "a.metadata.json"):
        (models.root / "sub" / name).unlink()
    result = await make_service(models).delete_model(models.paths["c"])
    assert result == {"success": True, "deleted_files": [], "batch_id": None}
    assert models.state()["cache"] == ["lib/a.safetensors", "lib/sub/b.v1.safetensors"]
    assert models.state()["hash"] == {SHA_A: "lib/a.safetensors", SHA_B: "lib/sub/b.v1.safetensors"}


async def test_delete_model_with_a_stager_moves_files_aside_and_returns_the_batch(
    models: Fixture, snapshot
) -> None:
    stager = TrashStager(models.tmp / "trash")
    result = await make_service(models, stager=stager).delete_model(models.paths["b"])

    staged = [
        models.paths["b"],
        f"{models.root.as_posix()}/sub/b.v1.metadata.json",
        f"{models.root.as_posix()}/sub/b.v1.metadata.json.bak",
        f"{models.root.as_posix()}/sub/b.v1.jpeg",
    ]
    assert result == {"success": True, "deleted_files": staged, "batch_id": "batch-1"}
    assert scrub(result, models) == snapshot
    assert stager.calls == [{"model_type": "lora", "file_path": models.paths["b"], "files": staged}]
    assert sorted(p.name for p in (models.tmp / "trash").iterdir()) == [
        "b.v1.jpeg",
        "b.v1.metadata.json",
        "b.v1.metadata.json.bak",
        "b.v1.safetensors",
    ]
    assert models.files() == [f for f in INITIAL_FILES if not f.startswith("lib/sub/b.v1")]
    assert models.state()["cache"] == ["lib/a.safetensors", "lib/sub/a.safetensors"]
    assert models.state()["persisted"]["hash_rows"] == [
        (SHA_A, "lib/a.safetensors"),
        (SHA_A, "lib/sub/a.safetensors"),
    ]


async def test_delete_model_hard_deletes_when_the_stager_declines(models: Fixture) -> None:
    stager = TrashStager(models.tmp / "trash", batch_id=None)
    result = await make_service(models, stager=stager).delete_model(models.paths["c"])
    assert result == {
        "success": True,
        "deleted_files": [models.paths["c"], f"{models.root.as_posix()}/sub/a.metadata.json"],
        "batch_id": None,
    }
    assert len(stager.calls) == 1
    assert not (models.tmp / "trash").exists()
    assert "lib/sub/a.safetensors" not in models.files()


async def test_delete_model_accepts_a_path_with_dot_segments_inside_the_root(models: Fixture) -> None:
    dotted = f"{models.root.as_posix()}/sub/../sub/b.v1.safetensors"
    result = await make_service(models).delete_model(dotted)
    assert result["deleted_files"][0] == dotted
    assert "lib/sub/b.v1.safetensors" not in models.files()


async def test_delete_model_without_persistent_cache_updates_memory_only(tmp_path: Path) -> None:
    fx = await build_library(tmp_path, persistent=False)
    await make_service(fx).delete_model(fx.paths["a"])
    state = fx.state()
    assert state["cache"] == ["lib/sub/a.safetensors", "lib/sub/b.v1.safetensors"]
    assert state["persisted"] is None
    assert not (tmp_path / "cache.sqlite").exists()


@pytest.mark.parametrize("path", ["", None])
async def test_delete_model_requires_a_path(models: Fixture, path: Any) -> None:
    with pytest.raises(ValueError) as info:
        await make_service(models).delete_model(path)
    assert str(info.value) == "Model path is required"


@pytest.mark.parametrize("outside", ["../victim.safetensors", "sub/../../victim.safetensors", "../lib2/x"])
async def test_delete_model_refuses_paths_outside_the_roots_and_touches_nothing(
    models: Fixture, outside: str
) -> None:
    victim_dir = models.tmp / "lib2"
    victim_dir.mkdir()
    (models.tmp / "victim.safetensors").write_bytes(b"v")
    (victim_dir / "x").write_bytes(b"x")
    path = f"{models.root.as_posix()}/{outside}"
    with pytest.raises(ValueError) as info:
        await make_service(models).delete_model(path)
    assert str(info.value) == f"Model path '{path}' is outside configured library directories"
    assert (models.tmp / "victim.safetensors").exists()
    assert (victim_dir / "x").exists()
    assert models.files() == INITIAL_FILES
    assert models.state() == INITIAL_STATE


async def test_delete_model_refuses_a_symlink_outside_the_roots_that_points_into_one(models: Fixture) -> None:
    alias = models.tmp / "alias"
    alias.symlink_to(models.root, target_is_directory=True)
    path = (alias / "a.safetensors").as_posix()
    with pytest.raises(ValueError, match="is outside configured library directories$"):
        await make_service(models).delete_model(path)
    assert models.files() == INITIAL_FILES
    assert models.state() == INITIAL_STATE


async def test_delete_model_follows_a_folder_linked_into_the_root(models: Fixture) -> None:
    external = models.tmp / "external"
    external.mkdir()
    (external / "x.safetensors").write_bytes(b"x")
    (external / "x.metadata.json").write_text("{}", encoding="utf-8")
    (models.root / "linked").symlink_to(external, target_is_directory=True)
    result = await make_service(models).delete_model(f"{models.root.as_posix()}/linked/x.safetensors")
    assert result["deleted_files"] == [
        f"{models.root.as_posix()}/linked/x.safetensors",
        f"{models.root.as_posix()}/linked/x.metadata.json",
    ]
    assert list(external.iterdir()) == []


# bulk_delete_models


async def test_bulk_delete_models_deletes_each_model_and_persists_the_result(
    models: Fixture, snapshot
) -> None:
    versions = VersionRecorder()
    result = await make_service(models, version_sync=versions).bulk_delete_models(
        [models.paths["a"], models.paths["b"], models.paths["a"]]
    )
    assert result["success"] is True
    assert result["total_deleted"] == 2
    assert [r["file_path"] for r in result["results"]] == [models.paths["a"], models.paths["b"]]
    assert scrub(result, models) == snapshot
    assert models.files() == ["lib/notes.txt", "lib/sub/a.metadata.json", "lib/sub/a.safetensors"]
    assert models.state() == {
        "autov3": {},
        "cache": ["lib/sub/a.safetensors"],
        "hash": {SHA_A: "lib/sub/a.safetensors"},
        "duplicates": {},
        "excluded": [],
        "tags": {"copy": 1},
        "persisted": {
            "cache": ["lib/sub/a.safetensors"],
            "hash_rows": [(SHA_A, "lib/sub/a.safetensors")],
            "autov3_rows": [],
            "excluded": [],
        },
    }
    assert versions.calls == [("lora", 100, [1001, 1002]), ("lora", 100, [1001])]


async def test_bulk_delete_models_checks_every_path_before_deleting_any(models: Fixture) -> None:
    outside = (models.tmp / "elsewhere.safetensors").as_posix()
    with pytest.raises(ValueError) as info:
        await make_service(models).bulk_delete_models([models.paths["a"], models.paths["b"], outside])
    assert str(info.value) == f"Model path '{outside}' is outside configured library directories"
    assert models.files() == INITIAL_FILES
    assert models.state() == INITIAL_STATE


async def test_bulk_delete_models_rejects_an_empty_path_among_others(models: Fixture) -> None:
    with pytest.raises(ValueError) as info:
        await make_service(models).bulk_delete_models([models.paths["a"], ""])
    assert str(info.value) == "Model path is required"
    assert models.files() == INITIAL_FILES


@pytest.mark.parametrize("paths", [[], ()])
async def test_bulk_delete_models_requires_paths(models: Fixture, paths: Any) -> None:
    with pytest.raises(ValueError) as info:
        await make_service(models).bulk_delete_models(paths)
    assert str(info.value) == "No file paths provided for deletion"


async def test_bulk_delete_models_accepts_any_iterable(models: Fixture) -> None:
    result = await make_service(models).bulk_delete_models(p for p in [models.paths["c"]])
    assert result["total_deleted"] == 1
    assert "lib/sub/a.safetensors" not in models.files()


# exclude_model / unexclude_model


async def test_exclude_model_marks_the_sidecar_and_removes_the_model_from_the_caches(
    models: Fixture, snapshot
) -> None:
    before = models.sidecar("lib/a.metadata.json")
    result = await make_service(models).exclude_model(models.paths["a"])

    assert result == {"success": True, "message": "Model a.safetensors excluded"}
    assert scrub(result, models) == snapshot
    assert models.files() == INITIAL_FILES
    assert models.sidecar("lib/a.metadata.json") == {**before, "exclude": True}
    assert models.state() == {
        "autov3": {},
        "cache": ["lib/sub/a.safetensors", "lib/sub/b.v1.safetensors"],
        "hash": {SHA_A: "lib/sub/a.safetensors", SHA_B: "lib/sub/b.v1.safetensors"},
        "duplicates": {},
        "excluded": ["lib/a.safetensors"],
        "tags": {"copy": 1, "style": 1},
        "persisted": {
            "cache": ["lib/sub/a.safetensors", "lib/sub/b.v1.safetensors"],
            "hash_rows": [(SHA_A, "lib/sub/a.safetensors"), (SHA_B, "lib/sub/b.v1.safetensors")],
            "autov3_rows": [],
            "excluded": ["lib/a.safetensors"],
        },
    }
    assert models.library.cache_version == 1


async def test_excluding_twice_lists_the_model_once(models: Fixture) -> None:
    service = make_service(models)
    await service.exclude_model(models.paths["b"])
    state = models.state()
    result = await service.exclude_model(models.paths["b"])
    assert result == {"success": True, "message": "Model b.v1.safetensors excluded"}
    assert models.state() == state
    assert models.library.excluded_models == [models.paths["b"]]
    assert models.library.cache_version == 1


async def test_exclude_model_without_sidecar_creates_one(models: Fixture) -> None:
    (models.root / "sub" / "a.metadata.json").unlink()
    await make_service(models).exclude_model(models.paths["c"])
    assert models.sidecar("lib/sub/a.metadata.json") == {"exclude": True}


async def test_exclude_model_with_a_corrupt_sidecar_keeps_it_and_changes_nothing(models: Fixture) -> None:
    sidecar = models.root / "a.metadata.json"
    sidecar.write_text("{user data, broken", encoding="utf-8")
    with pytest.raises(MetadataError, match="is not valid JSON$"):
        await make_service(models).exclude_model(models.paths["a"])
    assert sidecar.read_text(encoding="utf-8") == "{user data, broken"
    assert models.state() == INITIAL_STATE


async def test_exclude_model_of_a_missing_file_is_an_error(models: Fixture) -> None:
    with pytest.raises(ValueError) as info:
        await make_service(models).exclude_model(f"{models.root.as_posix()}/missing.safetensors")
    assert str(info.value) == "Model file does not exist"
    assert models.files() == INITIAL_FILES
    assert models.state() == INITIAL_STATE


async def test_exclude_model_checks_path_and_roots(models: Fixture) -> None:
    service = make_service(models)
    with pytest.raises(ValueError, match="^Model path is required$"):
        await service.exclude_model("")
    outside = (models.tmp / "x.safetensors").as_posix()
    with pytest.raises(ValueError, match="is outside configured library directories$"):
        await service.exclude_model(outside)


async def test_exclude_a_model_the_cache_does_not_hold_still_lists_it(models: Fixture) -> None:
    stray = models.root / "stray.safetensors"
    stray.write_bytes(b"s")
    await make_service(models).exclude_model(stray.as_posix())
    state = models.state()
    assert state["excluded"] == ["lib/stray.safetensors"]
    assert state["persisted"]["excluded"] == ["lib/stray.safetensors"]
    assert state["cache"] == INITIAL_STATE["cache"]
    assert models.library.cache_version == 0


async def test_unexclude_model_restores_the_model_in_every_cache(models: Fixture, snapshot) -> None:
    service = make_service(models)
    await service.exclude_model(models.paths["a"])
    result = await service.unexclude_model(models.paths["a"])

    assert result == {"success": True, "message": "Model a.safetensors restored"}
    assert scrub(result, models) == snapshot
    assert models.files() == INITIAL_FILES
    assert models.sidecar("lib/a.metadata.json")["exclude"] is False
    restored = INITIAL_STATE | {
        # The restored copy registers last: it now answers for the shared hash.
        "hash": {SHA_A: "lib/a.safetensors", SHA_B: "lib/sub/b.v1.safetensors"},
        "duplicates": {SHA_A: ["lib/sub/a.safetensors", "lib/a.safetensors"]},
    }
    assert models.state() == restored
    entry = models.entry(models.paths["a"])
    assert entry["folder"] == ""
    assert entry["file_name"] == "a"
    assert entry["exclude"] is False
    assert entry["tags"] == ["style", "anime"]
    assert models.library.cache.get_files_by_version_id(1001) == [
        models.entry(models.paths["c"]),
        entry,
    ]
    assert models.library.cache_version == 2


async def test_unexclude_model_computes_the_folder_from_the_deepest_root(tmp_path: Path) -> None:
    fx = await build_library(tmp_path)
    fx.library.roots.append((fx.root / "sub").as_posix())
    service = make_service(fx)
    await service.exclude_model(fx.paths["b"])
    await service.unexclude_model(fx.paths["b"])
    assert fx.entry(fx.paths["b"])["folder"] == ""
    fx.library.roots[:] = [tmp_path.as_posix(), fx.root.as_posix()]
    await service.unexclude_model(fx.paths["b"])
    assert fx.entry(fx.paths["b"])["folder"] == "sub"


async def test_unexclude_model_of_a_cached_model_replaces_its_entry(models: Fixture) -> None:
    sidecar = models.root / "sub" / "b.v1.metadata.json"
    payload = json.loads(sidecar.read_text(encoding="utf-8"))
    payload["tags"] = ["new"]
    payload["model_name"] = "Renamed in sidecar"
    sidecar.write_text(json.dumps(payload), encoding="utf-8")

    await make_service(models).unexclude_model(models.paths["b"])

    assert [item["file_path"] for item in models.library.cache.raw_data].count(models.paths["b"]) == 1
    assert models.entry(models.paths["b"])["model_name"] == "Renamed in sidecar"
    assert models.library.tag_counts == {"anime": 1, "copy": 1, "new": 1, "style": 1}
    assert models.state()["hash"] == INITIAL_STATE["hash"]


async def test_unexclude_model_without_sidecar_or_hash_restores_a_bare_entry(models: Fixture) -> None:
    bare = models.root / "bare.safetensors"
    bare.write_bytes(b"b")
    service = make_service(models)
    await service.exclude_model(bare.as_posix())
    (models.root / "bare.metadata.json").unlink()
    await service.unexclude_model(bare.as_posix())
    assert models.entry(bare.as_posix()) == {
        "exclude": False,
        "file_path": bare.as_posix(),
        "file_name": "bare",
        "folder": "",
    }
    assert models.sidecar("lib/bare.metadata.json") == {"exclude": False}
    assert models.state()["hash"] == INITIAL_STATE["hash"]
    assert models.library.excluded_models == []


async def test_unexclude_model_of_a_missing_file_is_an_error(models: Fixture) -> None:
    models.library.excluded_models.append(f"{models.root.as_posix()}/gone.safetensors")
    with pytest.raises(ValueError) as info:
        await make_service(models).unexclude_model(f"{models.root.as_posix()}/gone.safetensors")
    assert str(info.value) == "Model file does not exist"
    assert models.library.excluded_models == [f"{models.root.as_posix()}/gone.safetensors"]


async def test_unexclude_model_checks_path_and_roots(models: Fixture) -> None:
    service = make_service(models)
    with pytest.raises(ValueError, match="^Model path is required$"):
        await service.unexclude_model("")
    outside = (models.tmp / "x.safetensors").as_posix()
    with pytest.raises(ValueError, match="is outside configured library directories$"):
        await service.unexclude_model(outside)


# rename_model


async def test_rename_model_renames_the_whole_file_set_and_updates_every_cache(
    models: Fixture, snapshot
) -> None:
    recipes = RecipeRecorder()
    base = models.root.as_posix()
    result = await make_service(models, recipe_references=recipes).rename_model(
        file_path=models.paths["a"], new_file_name="alpha"
    )

    assert result == {
        "success": True,
        "new_file_path": f"{base}/alpha.safetensors",
        "new_preview_path": f"{base}/alpha.webp",
        "renamed_files": [
            f"{base}/alpha.safetensors",
            f"{base}/alpha.metadata.json",
            f"{base}/alpha.metadata.json.bak",
            f"{base}/alpha.webp",
            f"{base}/alpha.preview.png",
        ],
        "reload_required": False,
    }
    assert scrub(result, models) == snapshot
    assert models.files() == sorted(
        [f for f in INITIAL_FILES if not f.startswith("lib/a.")]
        + [
            "lib/alpha.safetensors",
            "lib/alpha.metadata.json",
            "lib/alpha.metadata.json.bak",
            "lib/alpha.webp",
            "lib/alpha.preview.png",
        ]
    )
    sidecar = models.sidecar("lib/alpha.metadata.json")
    assert sidecar["file_name"] == "alpha"
    assert sidecar["file_path"] == f"{base}/alpha.safetensors"
    assert sidecar["preview_url"] == f"{base}/alpha.webp"
    assert sidecar["sha256"] == SHA_A
    # The backup is moved, never rewritten.
    assert (models.root / "alpha.metadata.json.bak").read_bytes() == b".metadata.json.bak"

    assert models.state() == {
        "autov3": {AUTOV3_A: "lib/alpha.safetensors"},
        "cache": ["lib/alpha.safetensors", "lib/sub/a.safetensors", "lib/sub/b.v1.safetensors"],
        "hash": {SHA_A: "lib/alpha.safetensors", SHA_B: "lib/sub/b.v1.safetensors"},
        "duplicates": {SHA_A: ["lib/sub/a.safetensors", "lib/alpha.safetensors"]},
        "excluded": [],
        "tags": {"anime": 1, "copy": 1, "style": 2},
        "persisted": {
            "cache": ["lib/alpha.safetensors", "lib/sub/a.safetensors", "lib/sub/b.v1.safetensors"],
            "hash_rows": [
                (SHA_A, "lib/alpha.safetensors"),
                (SHA_A, "lib/sub/a.safetensors"),
                (SHA_B, "lib/sub/b.v1.safetensors"),
            ],
            "autov3_rows": [(AUTOV3_A, "lib/alpha.safetensors")],
            "excluded": [],
        },
    }
    entry = models.entry(f"{base}/alpha.safetensors")
    assert entry["file_name"] == "alpha"
    assert entry["preview_url"] == f"{base}/alpha.webp"
    assert entry["model_name"] == "Model a"
    assert [f["file_path"] for f in models.library.cache.get_files_by_version_id(1001)] == [
        f"{base}/alpha.safetensors",
        models.paths["c"],
    ]
    assert models.library.cache_version == 1
    assert recipes.calls == [(SHA_A, "alpha")]


async def test_rename_model_keeps_compound_suffixes(models: Fixture) -> None:
    base = f"{models.root.as_posix()}/sub"
    result = await make_service(models).rename_model(file_path=models.paths["b"], new_file_name="b.v2")
    assert result["renamed_files"] == [
        f"{base}/b.v2.safetensors",
        f"{base}/b.v2.metadata.json",
        f"{base}/b.v2.metadata.json.bak",
        f"{base}/b.v2.jpeg",
    ]
    assert result["new_preview_path"] == f"{base}/b.v2.jpeg"
    assert models.files() == sorted(
        [f for f in INITIAL_FILES if not f.startswith("lib/sub/b.v1")]
        + [
            "lib/sub/b.v2.jpeg",
            "lib/sub/b.v2.metadata.json",
            "lib/sub/b.v2.metadata.json.bak",
            "lib/sub/b.v2.safetensors",
        ]
    )
    assert models.state()["hash"] == {SHA_A: "lib/sub/a.safetensors", SHA_B: "lib/sub/b.v2.safetensors"}
    assert models.state()["duplicates"] == INITIAL_STATE["duplicates"]


async def test_rename_model_without_preview_or_sidecar(models: Fixture) -> None:
    (models.root / "sub" / "a.metadata.json").unlink()
    recipes = RecipeRecorder()
    result = await make_service(models, recipe_references=recipes).rename_model(
        file_path=models.paths["c"], new_file_name="copy"
    )
    assert result["renamed_files"] == [f"{models.root.as_posix()}/sub/copy.safetensors"]
    assert result["new_preview_path"] is None
    assert not (models.root / "sub" / "copy.metadata.json").exists()
    # The sha comes from the cache entry when there is no sidecar.
    assert recipes.calls == [(SHA_A, "copy")]
    assert models.entry(f"{models.root.as_posix()}/sub/copy.safetensors")["preview_url"] == ""


async def test_rename_model_keeps_a_remote_preview_url(models: Fixture) -> None:
    sidecar = models.root / "sub" / "b.v1.metadata.json"
    payload = json.loads(sidecar.read_text(encoding="utf-8"))
    payload["preview_url"] = "https://example.invalid/b.jpeg"
    sidecar.write_text(json.dumps(payload), encoding="utf-8")
    models.entry(models.paths["b"])["preview_url"] = "https://example.invalid/b.jpeg"
    await make_service(models).rename_model(file_path=models.paths["b"], new_file_name="bee")
    assert models.sidecar("lib/sub/bee.metadata.json")["preview_url"] == "https://example.invalid/b.jpeg"
    assert models.entry(f"{models.root.as_posix()}/sub/bee.safetensors")["preview_url"] == (
        "https://example.invalid/b.jpeg"
    )


async def test_rename_model_of_a_model_unknown_to_the_cache_renames_files_only(models: Fixture) -> None:
    stray = models.root / "stray.safetensors"
    stray.write_bytes(b"s")
    (models.root / "stray.metadata.json").write_text(json.dumps({"sha256": "C" * 64}), encoding="utf-8")
    recipes = RecipeRecorder()
    await make_service(models, recipe_references=recipes).rename_model(
        file_path=stray.as_posix(), new_file_name="found"
    )
    assert models.sidecar("lib/found.metadata.json") == {
        "sha256": "C" * 64,
        "file_name": "found",
        "file_path": f"{models.root.as_posix()}/found.safetensors",
    }
    assert models.state() == INITIAL_STATE
    assert models.library.cache_version == 0
    assert recipes.calls == [("C" * 64, "found")]


async def test_rename_model_of_a_checkpoint_leaves_recipes_alone(tmp_path: Path) -> None:
    fx = await build_library(tmp_path, model_type="checkpoint")
    recipes = RecipeRecorder()
    await make_service(fx, recipe_references=recipes).rename_model(file_path=fx.paths["a"], new_file_name="z")
    assert recipes.calls == []
    assert fx.state()["cache"] == ["lib/sub/a.safetensors", "lib/sub/b.v1.safetensors", "lib/z.safetensors"]


@pytest.mark.parametrize(
    ("file_path", "new_name"),
    [("", "x"), ("lib/a.safetensors", ""), (None, "x"), ("lib/a.safetensors", None)],
)
async def test_rename_model_requires_both_arguments(models: Fixture, file_path: Any, new_name: Any) -> None:
    path = f"{models.tmp.as_posix()}/{file_path}" if file_path else file_path
    with pytest.raises(ValueError) as info:
        await make_service(models).rename_model(file_path=path, new_file_name=new_name)
    assert str(info.value) == "File path and new file name are required"


@pytest.mark.parametrize("char", list('/\\:*?"<>|'))
async def test_rename_model_rejects_invalid_characters(models: Fixture, char: str) -> None:
    with pytest.raises(ValueError) as info:
        await make_service(models).rename_model(file_path=models.paths["a"], new_file_name=f"new{char}name")
    assert str(info.value) == "Invalid characters in file name"
    assert models.files() == INITIAL_FILES


async def test_rename_model_refuses_paths_outside_the_roots(models: Fixture) -> None:
    outside = (models.tmp / "x.safetensors").as_posix()
    (models.tmp / "x.safetensors").write_bytes(b"x")
    with pytest.raises(ValueError) as info:
        await make_service(models).rename_model(file_path=outside, new_file_name="y")
    assert str(info.value) == f"Model path '{outside}' is outside configured library directories"
    assert (models.tmp / "x.safetensors").exists()


async def test_rename_model_of_a_missing_file_is_an_error(models: Fixture) -> None:
    with pytest.raises(ValueError) as info:
        await make_service(models).rename_model(
            file_path=f"{models.root.as_posix()}/gone.safetensors", new_file_name="y"
        )
    assert str(info.value) == "Model file does not exist"


@pytest.mark.parametrize(
    "existing", ["b2.safetensors", "b2.metadata.json", "b2.jpeg", "b2.metadata.json.bak"]
)
async def test_rename_model_refuses_to_overwrite_any_file_of_the_new_name(
    models: Fixture, existing: str
) -> None:
    (models.root / "sub" / existing).write_bytes(b"precious")
    with pytest.raises(ValueError) as info:
        await make_service(models).rename_model(file_path=models.paths["b"], new_file_name="b2")
    assert str(info.value) == "A file with this name already exists"
    assert (models.root / "sub" / existing).read_bytes() == b"precious"
    assert models.files() == sorted([*INITIAL_FILES, f"lib/sub/{existing}"])
    assert models.state() == INITIAL_STATE


async def test_rename_model_to_its_own_name_is_a_collision(models: Fixture) -> None:
    with pytest.raises(ValueError, match="^A file with this name already exists$"):
        await make_service(models).rename_model(file_path=models.paths["a"], new_file_name="a")


async def test_rename_model_with_a_corrupt_sidecar_renames_nothing(models: Fixture) -> None:
    (models.root / "a.metadata.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(MetadataError):
        await make_service(models).rename_model(file_path=models.paths["a"], new_file_name="alpha")
    assert models.files() == INITIAL_FILES
    assert models.state() == INITIAL_STATE


async def test_a_rename_failing_half_way_moves_every_file_back(models: Fixture) -> None:
    # A name the file system accepts with the short suffixes and refuses with ".metadata.json.bak":
    # the main file and the sidecar are renamed, the backup fails for real (ENAMETOOLONG).
    name_max = os.pathconf(models.root, "PC_NAME_MAX")
    long_name = "n" * (name_max - len(".metadata.json"))
    sidecars = {rel: (models.tmp / rel).read_bytes() for rel in INITIAL_FILES}
    recipes = RecipeRecorder()

    with pytest.raises(RenameFailedError) as info:
        await make_service(models, recipe_references=recipes).rename_model(
            file_path=models.paths["a"], new_file_name=long_name
        )

    assert str(info.value) == (
        f"Could not rename to '{long_name}.metadata.json.bak': File name too long; no file was renamed"
    )
    assert isinstance(info.value.__cause__, OSError)
    assert models.files() == INITIAL_FILES
    assert {rel: (models.tmp / rel).read_bytes() for rel in INITIAL_FILES} == sidecars
    assert models.state() == INITIAL_STATE
    assert models.library.cache_version == 0
    assert recipes.calls == []


async def test_a_rename_failing_on_the_first_file_leaves_everything(models: Fixture) -> None:
    name_max = os.pathconf(models.root, "PC_NAME_MAX")
    long_name = "n" * name_max
    with pytest.raises(RenameFailedError) as info:
        await make_service(models).rename_model(file_path=models.paths["c"], new_file_name=long_name)
    assert str(info.value) == (
        f"Could not rename to '{long_name}.safetensors': File name too long; no file was renamed"
    )
    assert models.files() == INITIAL_FILES
    assert models.state() == INITIAL_STATE


class FailingSaveStore(SidecarStore):
    """A sidecar store whose writes fail, as on a full disk."""

    async def save(self, model_path: str, payload: dict[str, Any]) -> None:
        raise OSError(28, "No space left on device")


async def test_a_rename_whose_sidecar_cannot_be_written_moves_every_file_back(models: Fixture) -> None:
    service = ModelLifecycleService(library=models.library, metadata=FailingSaveStore())
    with pytest.raises(RenameFailedError) as info:
        await service.rename_model(file_path=models.paths["b"], new_file_name="bee")
    assert (
        str(info.value)
        == "Could not rename to 'bee.metadata.json': No space left on device; no file was renamed"
    )
    assert models.files() == INITIAL_FILES
    assert models.sidecar("lib/sub/b.v1.metadata.json")["file_name"] == "b.v1"
    assert models.state() == INITIAL_STATE


async def test_a_rename_failure_without_strerror_reports_the_exception(models: Fixture) -> None:
    calls: list[tuple[str, str]] = []

    def rename(old: str, new: str) -> None:
        calls.append((old, new))
        if len(calls) == 3:
            raise OSError("device went away")
        os.rename(old, new)

    service = ModelLifecycleService(library=models.library, metadata=SidecarStore(), rename=rename)
    with pytest.raises(RenameFailedError) as info:
        await service.rename_model(file_path=models.paths["b"], new_file_name="bee")
    assert (
        str(info.value)
        == "Could not rename to 'bee.metadata.json.bak': device went away; no file was renamed"
    )
    base = f"{models.root.as_posix()}/sub"
    # Two renames forward, the failing one, then the two moved back in reverse order.
    assert calls == [
        (f"{base}/b.v1.safetensors", f"{base}/bee.safetensors"),
        (f"{base}/b.v1.metadata.json", f"{base}/bee.metadata.json"),
        (f"{base}/b.v1.metadata.json.bak", f"{base}/bee.metadata.json.bak"),
        (f"{base}/bee.metadata.json", f"{base}/b.v1.metadata.json"),
        (f"{base}/bee.safetensors", f"{base}/b.v1.safetensors"),
    ]
    assert models.files() == INITIAL_FILES


# other weight extensions and inconsistent tag counts


def add_checkpoint(fx: Fixture) -> str:
    """``m.ckpt`` with sidecar and preview, beside an unrelated ``m.safetensors`` sharing its stem."""
    touch(fx.root, "m.ckpt", "m.png", "m.safetensors")
    (fx.root / "m.metadata.json").write_text(json.dumps({"file_name": "m"}), encoding="utf-8")
    return (fx.root / "m.ckpt").as_posix()


async def test_delete_model_uses_the_models_own_extension(models: Fixture) -> None:
    path = add_checkpoint(models)
    result = await make_service(models).delete_model(path)
    assert result["deleted_files"] == [
        path,
        f"{models.root.as_posix()}/m.metadata.json",
        f"{models.root.as_posix()}/m.png",
    ]
    assert models.files() == sorted([*INITIAL_FILES, "lib/m.safetensors"])


async def test_a_staged_delete_hands_over_the_models_own_files(models: Fixture) -> None:
    path = add_checkpoint(models)
    stager = TrashStager(models.tmp / "trash")
    await make_service(models, stager=stager).delete_model(path)
    assert stager.calls[0]["files"] == [
        path,
        f"{models.root.as_posix()}/m.metadata.json",
        f"{models.root.as_posix()}/m.png",
    ]
    assert models.files() == sorted([*INITIAL_FILES, "lib/m.safetensors"])


async def test_rename_model_uses_the_models_own_extension(models: Fixture) -> None:
    path = add_checkpoint(models)
    result = await make_service(models).rename_model(file_path=path, new_file_name="n")
    base = models.root.as_posix()
    assert result["new_file_path"] == f"{base}/n.ckpt"
    assert result["renamed_files"] == [f"{base}/n.ckpt", f"{base}/n.metadata.json", f"{base}/n.png"]
    assert models.files() == sorted(
        [*INITIAL_FILES, "lib/m.safetensors", "lib/n.ckpt", "lib/n.metadata.json", "lib/n.png"]
    )
    assert models.sidecar("lib/n.metadata.json") == {"file_name": "n", "file_path": f"{base}/n.ckpt"}


async def test_excluding_a_model_whose_tag_was_never_counted_keeps_the_other_counts(models: Fixture) -> None:
    del models.library.tag_counts["anime"]
    await make_service(models).exclude_model(models.paths["a"])
    assert models.library.tag_counts == {"copy": 1, "style": 1}
