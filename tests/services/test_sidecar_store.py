"""SidecarStore reads and writes real ``.metadata.json`` files next to a model."""

from __future__ import annotations

import json
import locale
from collections.abc import Iterator
from pathlib import Path

import pytest

from py.services.sidecar_store import MetadataError, SidecarStore


async def test_load_returns_none_when_the_model_has_no_sidecar(tmp_path: Path) -> None:
    assert await SidecarStore().load(str(tmp_path / "model.safetensors")) is None


async def test_save_then_load_round_trips_through_the_sidecar_file(tmp_path: Path) -> None:
    store = SidecarStore()
    model = tmp_path / "model.v1.safetensors"
    payload = {"file_name": "model.v1", "sha256": "ab" * 32, "tags": ["style"], "nested": {"a": 1}}

    await store.save(str(model), payload)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.v1.metadata.json"]
    assert json.loads((tmp_path / "model.v1.metadata.json").read_text(encoding="utf-8")) == payload
    assert await store.load(str(model)) == payload


async def test_save_replaces_the_previous_sidecar(tmp_path: Path) -> None:
    store = SidecarStore()
    model = str(tmp_path / "m.safetensors")
    await store.save(model, {"exclude": False, "old": 1})
    await store.save(model, {"exclude": True})
    assert await store.load(model) == {"exclude": True}


async def test_a_corrupt_sidecar_is_an_error_not_an_empty_payload(tmp_path: Path) -> None:
    sidecar = tmp_path / "m.metadata.json"
    sidecar.write_text("{not json", encoding="utf-8")
    with pytest.raises(MetadataError) as info:
        await SidecarStore().load(str(tmp_path / "m.safetensors"))
    assert str(info.value) == f"Metadata file '{sidecar}' is not valid JSON"


async def test_a_sidecar_in_another_encoding_is_an_error(tmp_path: Path) -> None:
    sidecar = tmp_path / "m.metadata.json"
    sidecar.write_bytes(b'{"name": "\xff"}')
    with pytest.raises(MetadataError, match="is not valid JSON$"):
        await SidecarStore().load(str(tmp_path / "m.safetensors"))


async def test_a_sidecar_holding_a_list_is_an_error(tmp_path: Path) -> None:
    sidecar = tmp_path / "m.metadata.json"
    sidecar.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(MetadataError) as info:
        await SidecarStore().load(str(tmp_path / "m.safetensors"))
    assert str(info.value) == f"Metadata file '{sidecar}' does not hold a JSON object"


@pytest.fixture
def ascii_locale() -> Iterator[None]:
    previous = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, previous)


async def test_load_reads_utf8_whatever_the_locale(tmp_path: Path, ascii_locale: None) -> None:
    # Sidecars are UTF-8 on every machine; a user on a C locale must still read "café".
    (tmp_path / "m.metadata.json").write_bytes(b'{"model_name": "caf\xc3\xa9 \xe2\x9d\xa4"}')
    assert await SidecarStore().load(str(tmp_path / "m.safetensors")) == {"model_name": "caf\u00e9 \u2764"}
