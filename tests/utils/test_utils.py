"""Folder-name sanitising, fuzzy matching and recipe fingerprints.

Exact examples pin the spec; properties check them against oracles that do not reuse the code under test.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from py.utils.utils import calculate_recipe_fingerprint, fuzzy_match, sanitize_folder_name

FORBIDDEN = set('<>:"/\\|?*') | {chr(code) for code in range(0x20)}


# --------------------------------------------------------------------------- sanitize_folder_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (None, ""),
        ("", ""),
        ("plain name", "plain name"),
        ('a<b>c:d"e/f\\g|h?i*j', "a_b_c_d_e_f_g_h_i_j"),
        ("tab\there\nnew\x00nul\x1fend", "tab_here_new_nul_end"),
        ("del\x7fkept", "del\x7fkept"),
        ("a<>:b", "a_b"),
        ("a__b", "a_b"),
        ("a_/_b", "a_b"),
        ("  spaced  ", "spaced"),
        ("name. . .", "name"),
        ("name._", "name"),
        ("...hidden", "...hidden"),
        (".hidden.", ".hidden"),
        ("_lead", "lead"),
        (" _ lead", "lead"),
        ("trail_", "trail"),
        ("<name>", "name"),
        ("BOX.", "BOX"),
        ("Xray", "Xray"),
        ("???", "unnamed"),
        ("...", "unnamed"),
        ("   ", "unnamed"),
        ("_", "unnamed"),
        # Stripping the dot exposes the no-break space, which must go too (idempotence).
        ("a\u00a0.", "a"),
        ("a.\u00a0.", "a"),
    ],
)
def test_sanitize_examples(name: str | None, expected: str) -> None:
    assert sanitize_folder_name(name) == expected


@pytest.mark.parametrize(
    ("name", "replacement", "expected"),
    [
        ("a/b", "-", "a-b"),
        ("a//b", "-", "a-b"),
        ("a--b", "-", "a-b"),
        ("-a/", "-", "a"),
        ("a_b_", "-", "a_b_"),
        ("a/b", "", "ab"),
        ("a<>b", "", "ab"),
        ("a__b", "", "a__b"),
        ("_a_", "", "_a_"),
        ("???", "", "unnamed"),
    ],
)
def test_sanitize_with_other_replacements(name: str, replacement: str, expected: str) -> None:
    assert sanitize_folder_name(name, replacement) == expected


@given(st.text())
def test_sanitize_is_idempotent(name: str) -> None:
    once = sanitize_folder_name(name)
    assert sanitize_folder_name(once) == once


@given(st.text(), st.sampled_from(["_", "-", "", "~", ".", " ", "x"]))
def test_sanitize_is_idempotent_for_any_replacement(name: str, replacement: str) -> None:
    once = sanitize_folder_name(name, replacement)
    assert sanitize_folder_name(once, replacement) == once


@given(st.text(min_size=1))
def test_sanitize_yields_a_safe_non_empty_component(name: str) -> None:
    result = sanitize_folder_name(name)
    assert result != ""
    assert set(result) & FORBIDDEN == set()
    assert "__" not in result
    assert result == result.strip()
    assert not result.endswith((".", "_"))
    assert not result.startswith("_")


@given(st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9 .\-]*[A-Za-z0-9])?", fullmatch=True))
def test_sanitize_keeps_an_already_safe_name(name: str) -> None:
    assert sanitize_folder_name(name) == name


@given(
    st.lists(st.from_regex(r"[A-Za-z0-9]+", fullmatch=True), min_size=1, max_size=5),
    st.data(),
)
def test_sanitize_turns_each_run_of_forbidden_characters_into_one_replacement(
    words: list[str], data: st.DataObject
) -> None:
    separators = [
        data.draw(st.text(alphabet=sorted(FORBIDDEN - {"\t", "\n", "\r", "\x0b", "\x0c"}), min_size=1))
        for _ in words[1:]
    ]
    name = words[0] + "".join(sep + word for sep, word in zip(separators, words[1:], strict=True))
    assert sanitize_folder_name(name) == "_".join(words)


# --------------------------------------------------------------------------- fuzzy_match


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("Anime Girl Lora", "girl", True),
        ("Anime Girl Lora", "GIRL anime", True),
        ("Anime Girl", "girl cat", False),
        ("cat dog", "cat zebra", False),
        ("photorealistic style", "real", True),
        # "realistc" is no substring, but its ratio to "realistic" is 16/17.
        ("realistic vision", "realistc", True),
        ("realistic vision", "REALISTC", True),
        ("abcdefg", "abcdxyz", False),
        ("", "a", False),
        ("a", "", False),
        (None, "a", False),
        ("a", None, False),
        ("", "   ", False),
        ("   ", "a", False),
        # Quirk kept from upstream: a whitespace-only pattern has no word to miss.
        ("anything", "   ", True),
        ("anything", "\t\n", True),
    ],
)
def test_fuzzy_match_examples(text: str | None, pattern: str | None, expected: bool) -> None:
    assert fuzzy_match(text, pattern) is expected


def test_fuzzy_match_threshold_is_inclusive() -> None:
    # SequenceMatcher ratio of "abcd" to "abce" is 2*3/8 = 0.75 exactly.
    assert fuzzy_match("abce", "abcd", threshold=0.75) is True
    assert fuzzy_match("abce", "abcd", threshold=0.76) is False


def test_fuzzy_match_default_threshold_is_085() -> None:
    # 20-letter words sharing 17 letters: ratio 2*17/40 = 0.85, right on the default threshold.
    word = "abcdefghijklmnopqrst"
    near = "abcdefghijklmnopqXYZ"
    assert fuzzy_match(near, word) is True
    # 16 shared letters: ratio 0.80, under it.
    assert fuzzy_match("abcdefghijklmnopWXYZ", word) is False


def test_fuzzy_match_compares_against_words_of_the_text() -> None:
    # "abcx" is close to the word "abcd" but not to the whole text "abcd zzzzzzzz".
    assert fuzzy_match("abcd zzzzzzzz", "abcx", threshold=0.75) is True
    assert fuzzy_match("abcdzzzzzzzz", "abcx", threshold=0.75) is False


ASCII_TEXT = st.text(alphabet="abcdeABCDE xyz\t", max_size=20)


@given(ASCII_TEXT, ASCII_TEXT)
def test_fuzzy_match_above_one_means_every_word_is_a_substring(text: str, pattern: str) -> None:
    # No ratio exceeds 1.0, so only the substring rule can match.
    expected = bool(text) and bool(pattern) and all(word in text.lower() for word in pattern.lower().split())
    assert fuzzy_match(text, pattern, threshold=1.01) is expected


@given(ASCII_TEXT, ASCII_TEXT)
def test_fuzzy_match_at_zero_matches_whenever_the_text_has_a_word(text: str, pattern: str) -> None:
    if not text or not pattern:
        expected = False
    elif text.split():
        expected = True
    else:
        expected = all(word in text.lower() for word in pattern.lower().split())
    assert fuzzy_match(text, pattern, threshold=0.0) is expected


@given(ASCII_TEXT, ASCII_TEXT)
def test_fuzzy_match_ignores_case(text: str, pattern: str) -> None:
    assert fuzzy_match(text.swapcase(), pattern) is fuzzy_match(text, pattern)
    assert fuzzy_match(text, pattern.upper()) is fuzzy_match(text, pattern)


@given(st.lists(st.from_regex(r"[a-zA-Z]{1,8}", fullmatch=True), min_size=1, max_size=6), st.data())
def test_fuzzy_match_finds_any_subset_of_the_texts_words(words: list[str], data: st.DataObject) -> None:
    chosen = data.draw(st.lists(st.sampled_from(words), min_size=1))
    assert fuzzy_match(" ".join(words), " ".join(chosen)) is True


# --------------------------------------------------------------------------- calculate_recipe_fingerprint


@pytest.mark.parametrize(
    ("loras", "expected"),
    [
        (None, ""),
        ([], ""),
        ([{"hash": "ABC", "strength": 0.8}, {"hash": "def", "strength": 1}], "abc:0.8|def:1.0"),
        ([{"hash": "def", "strength": 1}, {"hash": "ABC", "strength": 0.8}], "abc:0.8|def:1.0"),
        ([{"hash": "abc", "exclude": True}], ""),
        ([{"hash": "x", "exclude": True}, {"hash": "b"}], "b:1.0"),
        ([{"hash": "a", "exclude": False}], "a:1.0"),
        ([{"modelVersionId": 123, "strength": 0.5}], "123:0.5"),
        ([{"hash": "", "modelVersionId": 0}], "0:1.0"),
        ([{"hash": None, "modelVersionId": "77"}], "77:1.0"),
        ([{"hash": "abc", "modelVersionId": 5}], "abc:1.0"),
        ([{}, {"hash": "b"}], "b:1.0"),
        ([{"hash": None, "modelVersionId": None}, {"hash": "b"}], "b:1.0"),
        ([{"hash": "a", "weight": 0.7}], "a:0.7"),
        ([{"hash": "a", "strength": 0.3, "weight": 0.7}], "a:0.3"),
        # The strength key wins even when its value is unusable.
        ([{"hash": "a", "strength": None, "weight": 0.7}], "a:1.0"),
        ([{"hash": "a", "strength": "strong"}], "a:1.0"),
        ([{"hash": "a", "strength": [0.5]}], "a:1.0"),
        ([{"hash": "a", "weight": "0.25"}], "a:0.25"),
        ([{"hash": "a", "strength": 0.3333}], "a:0.33"),
        ([{"hash": "a", "strength": 0.666}], "a:0.67"),
        ([{"hash": "a", "strength": 2}], "a:2.0"),
        ([{"hash": "a", "strength": 0.9}, {"hash": "a", "strength": 0.1}], "a:0.1|a:0.9"),
        # Order independence needs one spelling of zero and no NaN (which has no order).
        ([{"hash": "a", "strength": -0.0}], "a:0.0"),
        ([{"hash": "a", "strength": -0.001}], "a:0.0"),
        ([{"hash": "a", "strength": "nan"}], "a:1.0"),
        ([{"hash": "a", "strength": float("nan")}, {"hash": "a", "strength": 0.5}], "a:0.5|a:1.0"),
        ([{"hash": "a", "strength": 10**400}], "a:1.0"),
        ([{"hash": "a", "strength": "-inf"}], "a:-inf"),
        ([{"hash": "b"}, {"hash": "a", "strength": 0.5}, {"modelVersionId": 9}], "9:1.0|a:0.5|b:1.0"),
    ],
)
def test_fingerprint_examples(loras: list[dict] | None, expected: str) -> None:
    assert calculate_recipe_fingerprint(loras) == expected


HASHES = st.from_regex(r"[0-9a-fA-F]{1,12}", fullmatch=True)
STRENGTHS = st.floats(min_value=-5, max_value=5)
ANY_STRENGTH = st.one_of(
    st.floats(), st.integers(), st.none(), st.sampled_from(["0.5", "-0", "nan", "inf", "x", ""])
)
ENTRIES = st.one_of(
    st.fixed_dictionaries({"hash": HASHES}, optional={"strength": ANY_STRENGTH, "weight": ANY_STRENGTH}),
    st.fixed_dictionaries({"modelVersionId": st.integers(0, 10**9)}, optional={"strength": ANY_STRENGTH}),
)


@given(st.lists(ENTRIES, max_size=8), st.randoms(use_true_random=False))
def test_fingerprint_ignores_order(loras: list[dict], rnd) -> None:
    shuffled = list(loras)
    rnd.shuffle(shuffled)
    assert calculate_recipe_fingerprint(shuffled) == calculate_recipe_fingerprint(loras)


@given(st.lists(ENTRIES, max_size=6), st.lists(ENTRIES, min_size=1, max_size=4), st.data())
def test_fingerprint_ignores_excluded_entries(
    loras: list[dict], extra: list[dict], data: st.DataObject
) -> None:
    mixed = list(loras)
    for entry in extra:
        mixed.insert(data.draw(st.integers(0, len(mixed))), {**entry, "exclude": True})
    assert calculate_recipe_fingerprint(mixed) == calculate_recipe_fingerprint(loras)


@given(st.dictionaries(HASHES.map(str.lower), STRENGTHS, max_size=8))
def test_fingerprint_lists_each_hash_with_its_rounded_strength(by_hash: dict[str, float]) -> None:
    loras = [{"hash": key.upper(), "strength": value} for key, value in by_hash.items()]
    fingerprint = calculate_recipe_fingerprint(loras)
    parts = fingerprint.split("|") if fingerprint else []
    assert [part.split(":")[0] for part in parts] == sorted(by_hash)
    assert {part.split(":")[0]: float(part.split(":")[1]) for part in parts} == {
        key: round(value, 2) for key, value in by_hash.items()
    }
    assert all(re.fullmatch(r"[0-9a-f]+:(0\.0|-?[1-9]\d*\.\d+|-?0\.\d*[1-9]\d*)", part) for part in parts)
