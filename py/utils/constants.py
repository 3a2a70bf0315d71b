"""Constants shared by the services: file types, extensions, download prefixes.

One place so that download, cache and lifecycle code agree on what a preview
or a weight file is.
"""

# Priority order matters: the first existing one is the model's preview.
PREVIEW_EXTENSIONS: tuple[str, ...] = (
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

# Probed after PREVIEW_EXTENSIONS by find_preview_file (example image 0).
EXAMPLE_PREVIEW_SUFFIX = ".example.0.jpeg"

METADATA_SUFFIX = ".metadata.json"
METADATA_BACKUP_SUFFIX = ".metadata.json.bak"
PART_SUFFIX = ".part"

# CivitAI file types that hold model weights.
WEIGHT_FILE_TYPES: frozenset[str] = frozenset(
    {"Model", "Pruned Model", "Negative", "UNet", "Diffusion Model", "Enhancement LoRA"}
)

# CivitAI file types that are never the model itself.
NON_DOWNLOADABLE_FILE_TYPES: frozenset[str] = frozenset({"Config", "Archive", "Workflow", "Training Data"})

CHECKPOINT_EXTENSIONS: tuple[str, ...] = (
    ".ckpt",
    ".pt",
    ".pt2",
    ".bin",
    ".pth",
    ".safetensors",
    ".pkl",
    ".sft",
    ".gguf",
)

# Extensions kept when a downloaded zip archive is extracted, per model type.
EXTENSIONS_BY_MODEL_TYPE: dict[str, tuple[str, ...]] = {
    "lora": (".safetensors",),
    "checkpoint": CHECKPOINT_EXTENSIONS,
    "embedding": tuple(ext for ext in CHECKPOINT_EXTENSIONS if ext != ".gguf"),
}

# Downloads from these prefixes need the user's API key.
CIVITAI_DOWNLOAD_PREFIXES: tuple[str, ...] = (
    "https://civitai.com/api/download/",
    "https://civitai.red/api/download/",
)

SHA256_CHUNK_SIZE = 4 * 1024 * 1024
AUTOV2_LENGTH = 10
