"""Pure string helpers: folder names, fuzzy matching, recipe fingerprints.

No I/O here, so each helper can be checked against an oracle by property tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher
from typing import Any

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def sanitize_folder_name(name: str | None, replacement: str = "_") -> str:
    """Make ``name`` safe as one path component; idempotent, never empty for real input."""
    if not name:
        return ""
    cleaned = _FORBIDDEN.sub(replacement, name)
    if replacement:
        cleaned = re.sub(f"(?:{re.escape(replacement)})+", replacement, cleaned)
    # Trailing dots are illegal on Windows; leading dots (hidden folders) are kept.
    # Repeat until stable: stripping one kind of character can expose another
    # ("a\u00a0." loses the dot, then the no-break space), and the result must
    # not change when sanitised again.
    while True:
        stripped = cleaned.strip().rstrip(" ." + replacement).lstrip(" " + replacement)
        if stripped == cleaned:
            break
        cleaned = stripped
    return cleaned or "unnamed"


def fuzzy_match(text: str | None, pattern: str | None, threshold: float = 0.85) -> bool:
    """True when every word of ``pattern`` is in ``text`` or close to one of its words."""
    if not text or not pattern:
        return False
    text_lower = text.lower()
    text_words = text_lower.split()
    for word in pattern.lower().split():
        if word in text_lower:
            continue
        if not any(SequenceMatcher(None, word, candidate).ratio() >= threshold for candidate in text_words):
            return False
    # A whitespace-only pattern has no words to miss: it matches (kept from upstream).
    return True


def _strength(entry: Mapping[str, Any]) -> float:
    # Neither key gives None, which takes the 1.0 default below like any unusable value.
    raw = entry["strength"] if "strength" in entry else entry.get("weight")
    try:
        value = round(float(raw), 2)
    except (TypeError, ValueError, OverflowError):
        return 1.0
    # NaN has no order, and -0.0 sorts equal to 0.0 but prints differently: either would make
    # the fingerprint depend on the order of the entries.
    if math.isnan(value):
        return 1.0
    return value + 0.0


def calculate_recipe_fingerprint(loras: Iterable[Mapping[str, Any]] | None) -> str:
    """Order-independent identity of a recipe's LoRA set: ``hash:strength|...``."""
    parts: list[tuple[str, float]] = []
    for entry in loras or ():
        if entry.get("exclude"):
            continue
        key = (entry.get("hash") or "").lower()
        if not key and entry.get("modelVersionId") is not None:
            key = str(entry["modelVersionId"])
        if not key:
            continue
        parts.append((key, _strength(entry)))
    return "|".join(f"{key}:{strength!r}" for key, strength in sorted(parts))


def render_path_template(
    template: str | None,
    fields: Mapping[str, str | None],
    model_type: str,
    mappings: Mapping[str, str] | None = None,
) -> str:
    """Relative folder of a download from a template such as ``{base_model}/{first_tag}``.

    Separators are tidied (no leading, trailing or doubled ``/``). ``..`` is deliberately left in:
    the caller's containment check rejects it, so a bad template fails loudly instead of being
    silently rewritten into another folder.
    """
    if not template:
        return ""
    base_model = fields.get("base_model") or ""
    values = {
        "base_model": (mappings or {}).get(base_model, base_model),
        "first_tag": fields.get("first_tag") or "no tags",
        "author": fields.get("author") or "Anonymous",
        "model_name": sanitize_folder_name(fields.get("model_name")),
        "version_name": sanitize_folder_name(fields.get("version_name")),
    }
    path = template
    for key, value in values.items():
        path = path.replace("{" + key + "}", value)
    if model_type == "embedding":
        path = path.replace(" ", "_")
    return "/".join(part for part in path.split("/") if part)
