"""Base-model detection: every key, the order between keys, and the two fixed upstream quirks.

Properties embed a key in text that cannot spell any other key.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from py.utils.model_utils import determine_base_model

# Every key of the spec, in search order, with the base model it names.
KEYS = [
    ("sd_1.5", "SD 1.5"),
    ("sd-v1-5", "SD 1.5"),
    ("sd-v2-1", "SD 2.1"),
    ("sdxl", "SDXL 1.0"),
    ("sd-v2", "SD 2.0"),
    ("flux1", "Flux.1 D"),
    ("flux.1 d", "Flux.1 D"),
    ("illustrious", "Illustrious"),
    ("il", "Illustrious"),
    ("pony", "Pony"),
    ("hunyuan video", "Hunyuan Video"),
]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("SD_1.5", "SD 1.5"),
        ("sd-v1-5-pruned-emaonly", "SD 1.5"),
        ("SD-V2-1_768", "SD 2.1"),
        ("SDXL 1.0", "SDXL 1.0"),
        ("my sdxl lora", "SDXL 1.0"),
        ("sd-v2 base", "SD 2.0"),
        ("FLUX1-dev", "Flux.1 D"),
        ("Flux.1 D", "Flux.1 D"),
        ("Illustrious XL v0.1", "Illustrious"),
        ("NoobAI IL", "Illustrious"),
        ("NoobAI-IL", "Illustrious"),
        ("IL", "Illustrious"),
        ("il_v1", "Illustrious"),
        ("Pony Diffusion V6 XL", "Pony"),
        ("Hunyuan Video", "Hunyuan Video"),
        ("HUNYUAN VIDEO 1.0", "Hunyuan Video"),
    ],
)
def test_every_key_is_recognised(version: str, expected: str) -> None:
    assert determine_base_model(version) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        # Earlier keys win: sd-v2-1 contains sd-v2, illustrious comes before pony, sdxl before flux1.
        ("sd-v2-1", "SD 2.1"),
        ("SDXL Pony", "SDXL 1.0"),
        ("Pony Illustrious", "Illustrious"),
        ("Pony IL", "Illustrious"),
        ("flux1 sdxl", "SDXL 1.0"),
        ("sd_1.5 sdxl", "SD 1.5"),
        ("Pony Hunyuan Video", "Pony"),
    ],
)
def test_keys_are_searched_in_order(version: str, expected: str) -> None:
    assert determine_base_model(version) == expected


@pytest.mark.parametrize("version", ["Still Life", "Civil War", "il2", "Lily", "Brazil", "ILLUMINATE"])
def test_il_only_matches_as_a_whole_token(version: str) -> None:
    # Fixed upstream quirk: "il" used to match inside any word.
    assert determine_base_model(version) == version


@pytest.mark.parametrize("version", ["SD 3.5", "hunyuanvideo", "Flux.1 S", "  "])
def test_unrecognised_input_is_returned_unchanged(version: str) -> None:
    assert determine_base_model(version) == version


@pytest.mark.parametrize("version", [None, ""])
def test_missing_input_is_unknown(version: str | None) -> None:
    assert determine_base_model(version) == "Unknown"


# None of s, f, i, p, h: no key can be spelled from these characters.
NEUTRAL = st.text(alphabet="abcegjkmqtwz0123456789 -_.", max_size=15)


@given(NEUTRAL.filter(bool))
def test_text_without_any_key_is_returned_unchanged(version: str) -> None:
    assert determine_base_model(version) == version


@given(st.sampled_from(KEYS), NEUTRAL, NEUTRAL, st.data())
def test_a_key_anywhere_in_any_case_names_its_base_model(
    key_and_name: tuple[str, str], prefix: str, suffix: str, data: st.DataObject
) -> None:
    key, name = key_and_name
    flips = data.draw(st.lists(st.booleans(), min_size=len(key), max_size=len(key)))
    cased = "".join(ch.upper() if flip else ch for ch, flip in zip(key, flips, strict=True))
    assert determine_base_model(f"{prefix} {cased} {suffix}") == name
