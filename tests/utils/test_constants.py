"""The shared constants agree with the spec and with each other.

Services rely on these exact values to name previews and pick weight files.
"""

from __future__ import annotations

from py.utils import constants


def test_preview_extensions_in_spec_priority_order() -> None:
    assert constants.PREVIEW_EXTENSIONS == (
        ".webp",
        ".preview.webp",
        ".preview.png",
        ".preview.jpeg",
        ".preview.jpg",
        ".preview.mp4",
        ".png",
        ".jpeg",
        ".jpg",
        ".mp4",
        ".gif",
        ".webm",
    )


def test_sidecar_suffixes() -> None:
    assert constants.EXAMPLE_PREVIEW_SUFFIX == ".example.0.jpeg"
    assert constants.METADATA_SUFFIX == ".metadata.json"
    assert constants.METADATA_BACKUP_SUFFIX == ".metadata.json.bak"
    assert constants.PART_SUFFIX == ".part"


def test_weight_and_non_downloadable_file_types() -> None:
    weight, never = constants.WEIGHT_FILE_TYPES, constants.NON_DOWNLOADABLE_FILE_TYPES
    assert weight == {
        "Model",
        "Pruned Model",
        "Negative",
        "UNet",
        "Diffusion Model",
        "Enhancement LoRA",
    }
    assert never == {"Config", "Archive", "Workflow", "Training Data"}


def test_civitai_download_prefixes() -> None:
    assert constants.CIVITAI_DOWNLOAD_PREFIXES == (
        "https://civitai.com/api/download/",
        "https://civitai.red/api/download/",
    )


def test_extensions_by_model_type() -> None:
    assert constants.EXTENSIONS_BY_MODEL_TYPE["lora"] == (".safetensors",)
    assert constants.EXTENSIONS_BY_MODEL_TYPE["checkpoint"] == constants.CHECKPOINT_EXTENSIONS
    assert constants.EXTENSIONS_BY_MODEL_TYPE["embedding"] == (
        ".ckpt",
        ".pt",
        ".pt2",
        ".bin",
        ".pth",
        ".safetensors",
        ".pkl",
        ".sft",
    )


def test_hash_sizes() -> None:
    assert constants.SHA256_CHUNK_SIZE == 4 * 1024 * 1024
    assert constants.AUTOV2_LENGTH == 10
