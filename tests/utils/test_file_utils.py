"""Path form, previews, sidecars, hashing and atomic JSON writes, on real files in tmp_path.

Properties compare with hashlib, json and oracles computed from PREVIEW_EXTENSIONS directly.
"""

from __future__ import annotations

import hashlib
import json
import locale
import os
import re
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from py.utils.constants import EXAMPLE_PREVIEW_SUFFIX, PREVIEW_EXTENSIONS
from py.utils.file_utils import (
    atomic_write_json,
    autov2,
    calculate_sha256,
    find_preview_file,
    get_preview_extension,
    model_base_path,
    normalize_path,
    sidecar_path,
)
from tests.fs_events import needs_inotify, watch_directory

# tmp_path is shared by the examples of one test; each example works in its own fresh subdirectory.
PER_TEST_DIR = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def fresh_dir(root: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=root))


# --------------------------------------------------------------------------- normalize_path


@pytest.mark.parametrize("falsy", [None, "", b""])
def test_normalize_path_returns_falsy_input_unchanged(falsy: object) -> None:
    assert normalize_path(falsy) is falsy


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/b/c.safetensors", "a/b/c.safetensors"),
        (os.sep.join(["root", "loras", "x.safetensors"]), "root/loras/x.safetensors"),
        (Path("root") / "sub" / "m.ckpt", "root/sub/m.ckpt"),
    ],
)
def test_normalize_path_uses_forward_slashes(path: str | Path, expected: str) -> None:
    assert normalize_path(path) == expected


@pytest.mark.skipif(os.sep != "/", reason="only os.sep is replaced; on POSIX a backslash is a name character")
def test_normalize_path_keeps_backslashes_on_posix() -> None:
    assert normalize_path("a\\b/c") == "a\\b/c"


@given(st.lists(st.text(alphabet="abc.-_ ", min_size=1), min_size=1, max_size=5))
def test_normalize_path_joins_components_with_slashes(parts: list[str]) -> None:
    result = normalize_path(os.path.join(*parts))
    assert result == "/".join(parts)
    assert normalize_path(result) == result


# --------------------------------------------------------------------------- get_preview_extension


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/b/model.preview.png", ".preview.png"),
        ("model.PREVIEW.PNG", ".preview.png"),
        ("model.Preview.Webp", ".preview.webp"),
        ("model.png", ".png"),
        ("model.webp", ".webp"),
        ("model.preview.webp", ".preview.webp"),
        ("model.preview.mp4", ".preview.mp4"),
        ("clip.WEBM", ".webm"),
        ("model.example.0.jpeg", ".jpeg"),
        ("model.safetensors", ".safetensors"),
        ("model.TXT", ".TXT"),
        ("dir.v2/model", ""),
        ("model", ""),
        ("", ""),
        (".webp", ".webp"),
    ],
)
def test_get_preview_extension_examples(path: str, expected: str) -> None:
    assert get_preview_extension(path) == expected


def longest_known_suffix(path: str) -> str:
    matching = [ext for ext in PREVIEW_EXTENSIONS if path.lower().endswith(ext)]
    return max(matching, key=len) if matching else os.path.splitext(path)[1]


def random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(ch.upper() if flip else ch for ch, flip in zip(text, flips, strict=True))


@st.composite
def preview_like_paths(draw: st.DrawFn) -> str:
    stem = draw(st.text(alphabet="ab.preview/", max_size=12))
    suffix = draw(st.sampled_from([*PREVIEW_EXTENSIONS, EXAMPLE_PREVIEW_SUFFIX, ".safetensors", ".txt", ""]))
    return stem + random_case(draw, suffix)


@given(st.one_of(preview_like_paths(), st.text(max_size=20)))
def test_get_preview_extension_is_the_longest_known_suffix(path: str) -> None:
    assert get_preview_extension(path) == longest_known_suffix(path)


# --------------------------------------------------------------------------- find_preview_file

CANDIDATES = (*PREVIEW_EXTENSIONS, EXAMPLE_PREVIEW_SUFFIX)


def touch(directory: Path, name: str) -> None:
    (directory / name).write_bytes(b"img")


@pytest.mark.parametrize("first", range(len(CANDIDATES)))
def test_find_preview_file_takes_the_first_existing_in_priority_order(tmp_path: Path, first: int) -> None:
    for ext in CANDIDATES[first:]:
        touch(tmp_path, "model" + ext)
    assert find_preview_file("model", tmp_path) == f"{tmp_path}/model{CANDIDATES[first]}"


def test_find_preview_file_accepts_a_string_directory(tmp_path: Path) -> None:
    touch(tmp_path, "model.gif")
    assert find_preview_file("model", str(tmp_path)) == f"{tmp_path}/model.gif"


def test_find_preview_file_without_a_preview_is_empty(tmp_path: Path) -> None:
    touch(tmp_path, "model.safetensors")
    touch(tmp_path, "other.webp")
    touch(tmp_path, "model2.webp")
    touch(tmp_path, "model.example.1.jpeg")
    assert find_preview_file("model", tmp_path) == ""


def test_find_preview_file_in_a_missing_directory_is_empty(tmp_path: Path) -> None:
    assert find_preview_file("model", tmp_path / "missing") == ""


def test_find_preview_file_falls_back_to_any_casing(tmp_path: Path) -> None:
    touch(tmp_path, "Model.PNG")
    assert find_preview_file("model", tmp_path) == f"{tmp_path}/Model.PNG"


def test_find_preview_file_fallback_keeps_priority_order(tmp_path: Path) -> None:
    touch(tmp_path, "model.JPG")
    touch(tmp_path, "model.Preview.PNG")
    touch(tmp_path, "MODEL.GIF")
    assert find_preview_file("model", tmp_path) == f"{tmp_path}/model.Preview.PNG"


def test_find_preview_file_fallback_covers_the_example_image(tmp_path: Path) -> None:
    touch(tmp_path, "model.Example.0.JPEG")
    assert find_preview_file("model", tmp_path) == f"{tmp_path}/model.Example.0.JPEG"


def test_find_preview_file_fallback_breaks_ties_by_name(tmp_path: Path) -> None:
    touch(tmp_path, "model.Png")
    touch(tmp_path, "model.PNG")
    assert find_preview_file("model", tmp_path) == f"{tmp_path}/model.PNG"


def test_find_preview_file_prefers_an_exact_name_to_another_casing(tmp_path: Path) -> None:
    touch(tmp_path, "model.WEBP")
    touch(tmp_path, "model.gif")
    assert find_preview_file("model", tmp_path) == f"{tmp_path}/model.gif"


def test_find_preview_file_skips_directories(tmp_path: Path) -> None:
    (tmp_path / "model.webp").mkdir()
    (tmp_path / "model.PNG").mkdir()
    assert find_preview_file("model", tmp_path) == ""
    touch(tmp_path, "model.jpg")
    assert find_preview_file("model", tmp_path) == f"{tmp_path}/model.jpg"


def expected_preview(directory: Path, base: str) -> str:
    names = sorted(os.listdir(directory))
    exact = [rank for rank, ext in enumerate(CANDIDATES) if base + ext in names]
    if exact:
        return f"{directory}/{base}{CANDIDATES[min(exact)]}"
    ranked = sorted(
        (rank, name)
        for name in names
        for rank, ext in enumerate(CANDIDATES)
        if name.lower() == (base + ext).lower()
    )
    return f"{directory}/{ranked[0][1]}" if ranked else ""


@PER_TEST_DIR
@given(st.data())
def test_find_preview_file_matches_the_priority_oracle(tmp_path: Path, data: st.DataObject) -> None:
    directory = fresh_dir(tmp_path)
    base = data.draw(st.sampled_from(["model", "My Model", "a.b"]))
    chosen = data.draw(st.lists(st.sampled_from(CANDIDATES), unique=True, max_size=6))
    for ext in chosen:
        touch(directory, base + random_case(data.draw, ext))
    assert find_preview_file(base, directory) == expected_preview(directory, base)


# --------------------------------------------------------------------------- calculate_sha256, autov2

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 4, 4 * 1024 * 1024])
def test_calculate_sha256_of_abc(tmp_path: Path, chunk_size: int) -> None:
    (tmp_path / "m.safetensors").write_bytes(b"abc")
    assert calculate_sha256(tmp_path / "m.safetensors", chunk_size) == ABC_SHA256


def test_calculate_sha256_of_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "m.safetensors").write_bytes(b"")
    assert calculate_sha256(str(tmp_path / "m.safetensors")) == EMPTY_SHA256


@pytest.mark.parametrize("chunk_size", [0, -1])
def test_calculate_sha256_rejects_a_non_positive_chunk(tmp_path: Path, chunk_size: int) -> None:
    (tmp_path / "m.safetensors").write_bytes(b"abc")
    with pytest.raises(ValueError) as excinfo:
        calculate_sha256(tmp_path / "m.safetensors", chunk_size)
    assert str(excinfo.value) == f"chunk_size must be positive, got {chunk_size}"


def test_calculate_sha256_of_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        calculate_sha256(tmp_path / "missing.safetensors")


def test_calculate_sha256_reads_in_chunks(tmp_path: Path) -> None:
    # Allocation sizes are deterministic: reading the whole 4 MiB at once would allocate it in one piece.
    path = tmp_path / "big.safetensors"
    data = bytes(range(256)) * (16 * 1024)
    path.write_bytes(data)
    tracemalloc.start()
    try:
        digest = calculate_sha256(path, chunk_size=64 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest == hashlib.sha256(data).hexdigest()
    assert peak < 1024 * 1024


@PER_TEST_DIR
@given(st.binary(max_size=4096), st.integers(min_value=1, max_value=5000))
def test_calculate_sha256_equals_hashlib(tmp_path: Path, data: bytes, chunk_size: int) -> None:
    path = tmp_path / "m.bin"
    path.write_bytes(data)
    assert calculate_sha256(path, chunk_size) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("sha256", "expected"),
    [
        (ABC_SHA256, "ba7816bf8f"),
        ("ABCDEF0123456789", "abcdef0123"),
        ("ABC", "abc"),
        ("", ""),
    ],
)
def test_autov2_is_the_first_ten_characters_lowercased(sha256: str, expected: str) -> None:
    assert autov2(sha256) == expected


# --------------------------------------------------------------------------- model_base_path, sidecar_path


@pytest.mark.parametrize(
    ("model_path", "base", "sidecar"),
    [
        ("dir/model.safetensors", "dir/model", "dir/model.metadata.json"),
        ("dir/model.v1.safetensors", "dir/model.v1", "dir/model.v1.metadata.json"),
        ("dir.d/model", "dir.d/model", "dir.d/model.metadata.json"),
        (Path("root") / "m.ckpt", "root/m", "root/m.metadata.json"),
    ],
)
def test_base_and_sidecar_paths(model_path: str | Path, base: str, sidecar: str) -> None:
    assert model_base_path(model_path) == base
    assert sidecar_path(model_path) == sidecar


# --------------------------------------------------------------------------- atomic_write_json

OLD = b'{"old": true}\n'


def test_atomic_write_json_writes_indented_utf8(tmp_path: Path) -> None:
    target = tmp_path / "m.metadata.json"
    atomic_write_json(target, {"b": 1, "a": "\u00e9", "c": [1, None]})
    assert target.read_bytes() == (b'{\n  "b": 1,\n  "a": "\xc3\xa9",\n  "c": [\n    1,\n    null\n  ]\n}')
    assert sorted(os.listdir(tmp_path)) == ["m.metadata.json"]


def test_atomic_write_json_compact_and_string_path(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    atomic_write_json(str(target), {"b": 1, "a": "\u00e9"}, indent=None)
    assert target.read_bytes() == b'{"b": 1, "a": "\xc3\xa9"}'


def test_atomic_write_json_replaces_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    target.write_bytes(OLD * 100)
    atomic_write_json(target, [1])
    assert target.read_bytes() == b"[\n  1\n]"
    assert sorted(os.listdir(tmp_path)) == ["m.json"]


def test_atomic_write_json_unserialisable_payload_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    target.write_bytes(OLD)
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        atomic_write_json(target, {"tags": {"a", "b"}})
    assert target.read_bytes() == OLD
    assert sorted(os.listdir(tmp_path)) == ["m.json"]


def test_atomic_write_json_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    # A lone surrogate serialises but cannot be encoded: the failure happens inside the temp file.
    target = tmp_path / "m.json"
    target.write_bytes(OLD)
    with pytest.raises(UnicodeEncodeError):
        atomic_write_json(target, {"name": "bad \ud800"})
    assert target.read_bytes() == OLD
    assert sorted(os.listdir(tmp_path)) == ["m.json"]


def test_atomic_write_json_failed_rename_leaves_the_target_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    target.mkdir()
    (target / "inside.txt").write_bytes(b"keep")
    with pytest.raises(IsADirectoryError):
        atomic_write_json(target, {"a": 1})
    assert sorted(os.listdir(tmp_path)) == ["m.json"]
    assert (target / "inside.txt").read_bytes() == b"keep"
    assert sorted(os.listdir(target)) == ["inside.txt"]


def test_atomic_write_json_missing_parent_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_json(tmp_path / "missing" / "m.json", {"a": 1})
    assert os.listdir(tmp_path) == []


def test_atomic_write_json_puts_the_temp_file_beside_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rename is only atomic within one filesystem, so the system temp dir must not be used.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-system-temp"))
    target = tmp_path / "m.json"
    atomic_write_json(target, {"a": 1})
    assert target.read_bytes() == b'{\n  "a": 1\n}'


def test_atomic_write_json_interrupted_right_after_the_rename(tmp_path: Path) -> None:
    # A Ctrl-C that lands between the rename and the end of the write: the new file is complete, the
    # interrupt reaches the caller as itself (not as a failed clean-up) and no temp file is left.
    target = tmp_path / "m.json"
    target.write_bytes(OLD)

    def interrupt_when_replace_returns(frame: object, event: str, arg: object) -> None:
        if event == "c_return" and arg is os.replace:
            sys.setprofile(None)
            raise KeyboardInterrupt

    sys.setprofile(interrupt_when_replace_returns)
    try:
        with pytest.raises(KeyboardInterrupt):
            atomic_write_json(target, {"a": 1})
    finally:
        sys.setprofile(None)
    assert target.read_bytes() == b'{\n  "a": 1\n}'
    assert os.listdir(tmp_path) == ["m.json"]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@PER_TEST_DIR
@given(JSON_VALUES, st.sampled_from([None, 0, 2, 4]))
def test_atomic_write_json_round_trips(tmp_path: Path, payload: object, indent: int | None) -> None:
    directory = fresh_dir(tmp_path)
    target = directory / "m.json"
    target.write_bytes(OLD)
    atomic_write_json(target, payload, indent=indent)
    assert json.loads(target.read_text(encoding="utf-8")) == payload
    assert os.listdir(directory) == ["m.json"]


@PER_TEST_DIR
@given(st.binary(), st.dictionaries(st.text(), JSON_VALUES, max_size=3), st.text(), st.text())
def test_atomic_write_json_failure_keeps_old_bytes(
    tmp_path: Path, old: bytes, payload: dict, before: str, after: str
) -> None:
    directory = fresh_dir(tmp_path)
    target = directory / "m.json"
    target.write_bytes(old)
    with pytest.raises(UnicodeEncodeError):
        atomic_write_json(target, {**payload, "\x00bad": before + "\udfff" + after})
    assert target.read_bytes() == old
    assert os.listdir(directory) == ["m.json"]


@needs_inotify
def test_atomic_write_json_stages_in_a_hidden_temp_file_named_after_the_target(tmp_path: Path) -> None:
    # Directory scanners skip dot-files and *.tmp: the half-written file must never look like a sidecar.
    with watch_directory(tmp_path) as events:
        atomic_write_json(tmp_path / "m.metadata.json", {"a": 1})
    assert len(events.created) == 1
    assert re.fullmatch(r"\.m\.metadata\.json\.[a-z0-9_]{8}\.tmp", events.created[0])
    assert events.moved_from == events.created
    assert events.moved_to == ["m.metadata.json"]


@pytest.fixture
def ascii_locale() -> object:
    previous = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)


def test_atomic_write_json_writes_utf8_whatever_the_locale(tmp_path: Path, ascii_locale: object) -> None:
    target = tmp_path / "m.json"
    atomic_write_json(target, {"name": "caf\u00e9 \u2764"}, indent=None)
    assert target.read_bytes() == b'{"name": "caf\xc3\xa9 \xe2\x9d\xa4"}'
