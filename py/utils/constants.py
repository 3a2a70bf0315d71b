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

# CivitAI model types (lowercased) the downloader accepts, and the library each one goes to.
MODEL_TYPE_BY_CIVITAI_TYPE: dict[str, str] = {
    "checkpoint": "checkpoint",
    "lora": "lora",
    "locon": "lora",
    "dora": "lora",
    "textualinversion": "embedding",
}

# Base models a user may choose to skip when downloading.
SUPPORTED_DOWNLOAD_SKIP_BASE_MODELS: frozenset[str] = frozenset(
    {
        "SD 1.4",
        "SD 1.5",
        "SD 2.0",
        "SD 2.1",
        "SDXL 1.0",
        "Pony",
        "Illustrious",
        "NoobAI",
        "Flux.1 D",
        "Flux.1 S",
        "SD 3",
        "SD 3.5",
        "Hunyuan Video",
        "Wan Video",
    }
)

# CivitAI nsfwLevel bit per content rating, used to pick a preview below the blur threshold.
NSFW_LEVELS: dict[str, int] = {"PG": 1, "PG13": 2, "R": 4, "X": 8, "XXX": 16}
