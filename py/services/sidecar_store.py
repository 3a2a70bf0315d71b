"""Metadata sidecars on disk: read and write ``<base>.metadata.json`` next to a model file.

A corrupt sidecar is an error, never an empty payload: writing over it would lose the user's metadata.
"""

from __future__ import annotations

import json
from typing import Any

from py.utils.file_utils import atomic_write_json, sidecar_path


class MetadataError(ValueError):
    """A sidecar exists but does not hold a JSON object."""


class SidecarStore:
    """The metadata store of a model library: one JSON sidecar per model file."""

    async def load(self, model_path: str) -> dict[str, Any] | None:
        """The sidecar payload of ``model_path``, or None when it has no sidecar."""
        path = sidecar_path(model_path)
        try:
            with open(path, encoding="utf-8") as handle:
                payload = json.load(handle)
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MetadataError(f"Metadata file '{path}' is not valid JSON") from exc
        if not isinstance(payload, dict):
            raise MetadataError(f"Metadata file '{path}' does not hold a JSON object")
        return payload

    async def save(self, model_path: str, payload: dict[str, Any]) -> None:
        """Replace the sidecar of ``model_path`` atomically."""
        atomic_write_json(sidecar_path(model_path), payload)
