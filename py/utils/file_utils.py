"""File helpers: path form, previews, sidecars, hashing and atomic JSON writes.

Every service goes through these, so a cache, a sidecar and a rename agree on
what a model's files are called.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from py.utils.constants import (
    AUTOV2_LENGTH,
    EXAMPLE_PREVIEW_SUFFIX,
    METADATA_SUFFIX,
    PREVIEW_EXTENSIONS,
    SHA256_CHUNK_SIZE,
)

# Longest first, so ".preview.png" wins over ".png".
_PREVIEW_BY_LENGTH = sorted(PREVIEW_EXTENSIONS, key=len, reverse=True)


def normalize_path(path: str | os.PathLike[str] | None) -> Any:
    """Forward-slash form used in caches and metadata; falsy input is returned unchanged."""
    if not path:
        return path
    return os.fspath(path).replace(os.sep, "/")


def get_preview_extension(path: str) -> str:
    """The longest known preview suffix of ``path`` (lowercase), else its plain extension."""
    lowered = path.lower()
    for ext in _PREVIEW_BY_LENGTH:
        if lowered.endswith(ext):
            return ext
    return os.path.splitext(path)[1]


def find_preview_file(base_name: str, directory: str | os.PathLike[str]) -> str:
    """Path of the preview of ``base_name`` in ``directory`` (forward slashes), or ``""``."""
    directory = os.fspath(directory)
    candidates = (*PREVIEW_EXTENSIONS, EXAMPLE_PREVIEW_SUFFIX)
    for ext in candidates:
        exact = os.path.join(directory, base_name + ext)
        if os.path.isfile(exact):
            return normalize_path(exact)
    # Files copied from case-insensitive filesystems keep odd casing.
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return ""
    wanted = {(base_name + ext).lower(): rank for rank, ext in enumerate(candidates)}
    # Only files: a folder named like a preview is not one (the exact probe agrees).
    matches = [
        (wanted[name.lower()], name)
        for name in names
        if name.lower() in wanted and os.path.isfile(os.path.join(directory, name))
    ]
    if not matches:
        return ""
    _, name = min(matches)
    return normalize_path(os.path.join(directory, name))


def calculate_sha256(path: str | os.PathLike[str], chunk_size: int = SHA256_CHUNK_SIZE) -> str:
    """Lowercase hex sha256 of a file, read in chunks so large models stay out of memory."""
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def autov2(sha256: str) -> str:
    """CivitAI's short hash: the first ten characters of the sha256."""
    return sha256[:AUTOV2_LENGTH].lower()


def model_base_path(model_path: str | os.PathLike[str]) -> str:
    """``dir/model`` for ``dir/model.safetensors``: the stem every sidecar shares."""
    return os.path.splitext(os.fspath(model_path))[0]


def sidecar_path(model_path: str | os.PathLike[str]) -> str:
    """Path of the metadata sidecar (``<base>.metadata.json``) of a model file."""
    return model_base_path(model_path) + METADATA_SUFFIX


def atomic_write_json(path: str | os.PathLike[str], payload: Any, *, indent: int | None = 2) -> None:
    """Write JSON so that readers see the old file or the new one, never a half-written one."""
    target = Path(path)
    # Serialise first: an unserialisable payload must fail before any file is touched.
    text = json.dumps(payload, indent=indent, ensure_ascii=False)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
