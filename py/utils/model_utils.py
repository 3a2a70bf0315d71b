"""Base-model detection from a CivitAI version string.

Keys are searched in order, so the more specific ones come first.
"""

from __future__ import annotations

import re

# (pattern, base model). Patterns are matched against the lowercased input.
# Short keys that are common inside words ("il" in "still") only match as a
# whole token; every key is lowercase so that none is unreachable.
_BASE_MODEL_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (re.escape("sd_1.5"), "SD 1.5"),
        (re.escape("sd-v1-5"), "SD 1.5"),
        (re.escape("sd-v2-1"), "SD 2.1"),
        (re.escape("sdxl"), "SDXL 1.0"),
        (re.escape("sd-v2"), "SD 2.0"),
        (re.escape("flux1"), "Flux.1 D"),
        (re.escape("flux.1 d"), "Flux.1 D"),
        (re.escape("illustrious"), "Illustrious"),
        (r"(?<![a-z0-9])il(?![a-z0-9])", "Illustrious"),
        (re.escape("pony"), "Pony"),
        (re.escape("hunyuan video"), "Hunyuan Video"),
    )
)


def determine_base_model(version_string: str | None) -> str:
    """The base model named by ``version_string``, or the input itself when none is recognised."""
    if not version_string:
        return "Unknown"
    lowered = version_string.lower()
    for pattern, name in _BASE_MODEL_PATTERNS:
        if pattern.search(lowered):
            return name
    return version_string
