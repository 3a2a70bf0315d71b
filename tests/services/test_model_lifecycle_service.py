"""ModelLifecycleService and its helpers on real files in tmp_path and real cache objects."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from py.services.model_lifecycle_service import (
    delete_model_artifacts,
    extract_model_id,
    find_model_artifacts,
    require_path_in_library_roots,
)
from py.utils.constants import PREVIEW_EXTENSIONS


def touch(directory: Path, *names: str) -> None:
    for name in names:
        (directory / name).write_bytes(name.encode())


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# -- delete_model_artifacts ------------------------------------------------------------------------


def test_delete_model_artifacts_removes_every_file_of_the_model_and_returns_full_paths(tmp_path: Path) -> None:
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
    assert str(info.value) == "Model path '/elsewhere/m.safetensors' is outside configured library directories"


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


def test_symlinks_are_not_resolved_a_folder_linked_into_a_root_belongs_to_it(tmp_path: Path, lib: Path) -> None:
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
        ({"model_id": ""}, None),
        ({}, None),
        (None, None),
        ([("model_id", 1)], None),
        ("model_id", None),
    ],
)
def test_extract_model_id(payload: object, expected: int | None) -> None:
    assert extract_model_id(payload) == expected
