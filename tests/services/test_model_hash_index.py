"""ModelHashIndex: examples of each rule, and a state machine checked against a plain-dict model."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from py.services.model_hash_index import ModelHashIndex

SHA_A = "a" * 64
SHA_B = "b" * 64
# Shares its autov2 (first ten characters) with SHA_A.
SHA_A2 = "a" * 10 + "c" * 54


def test_new_index_is_empty() -> None:
    index = ModelHashIndex()
    assert len(index) == 0
    assert index.get_all_hashes() == []
    assert index.get_all_filenames() == []
    assert index.get_all_autov3() == {}
    assert index.get_duplicate_hashes() == {}
    assert index.get_duplicate_filenames() == {}


@pytest.mark.parametrize(("sha", "path"), [("", "/m/a.safetensors"), (None, "/m/a.safetensors"), (SHA_A, "")])
def test_add_entry_ignores_empty_values(sha: str | None, path: str) -> None:
    index = ModelHashIndex()
    index.add_entry(sha, path, "abcdefabcdef")
    assert len(index) == 0
    assert index.get_all_filenames() == []
    assert index.get_all_autov3() == {}


def test_add_entry_lowercases_and_maps_every_key() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A.upper(), "/m/model.v1.safetensors", "ABCDEF012345")
    assert index.get_all_hashes() == [SHA_A]
    assert index.get_path(SHA_A) == "/m/model.v1.safetensors"
    assert index.get_path(SHA_A.upper()) == "/m/model.v1.safetensors"
    assert index.get_path("A" * 10) == "/m/model.v1.safetensors"
    assert index.get_path("abcdef012345") == "/m/model.v1.safetensors"
    assert index.get_all_autov3() == {"abcdef012345": "/m/model.v1.safetensors"}
    assert index.get_all_filenames() == ["model.v1"]
    assert index.get_hash("/m/model.v1.safetensors") == SHA_A
    assert len(index) == 1


@pytest.mark.parametrize("key", ["", None, "a" * 9, "a" * 11, "a" * 13, "a" * 63, "z" * 64])
def test_lookups_of_other_lengths_or_unknown_keys_find_nothing(key: str | None) -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/m/a.safetensors", "a" * 12)
    assert index.get_path(key) is None
    assert index.has_hash(key) is False


def test_has_hash_true_for_each_kind_of_key() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/m/a.safetensors", "ABCDEF012345")
    assert [index.has_hash(k) for k in (SHA_A.upper(), "AAAAAAAAAA", "abcdef012345")] == [True, True, True]


def test_autov3_lookup_needs_twelve_characters() -> None:
    index = ModelHashIndex()
    index.add_autov3("abcdef012345", "/m/a.safetensors")
    assert index.get_path("abcdef01234") is None
    assert index.get_path("abcdef012345") == "/m/a.safetensors"


def test_same_sha_at_two_paths_records_duplicates_last_write_wins() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/one/a.safetensors")
    index.add_entry(SHA_A, "/two/b.safetensors")
    assert index.get_path(SHA_A) == "/two/b.safetensors"
    assert index.get_duplicate_hashes() == {SHA_A: ["/one/a.safetensors", "/two/b.safetensors"]}
    assert len(index) == 1
    index.add_entry(SHA_A, "/one/a.safetensors")
    assert index.get_path(SHA_A) == "/one/a.safetensors"
    assert index.get_duplicate_hashes() == {SHA_A: ["/one/a.safetensors", "/two/b.safetensors"]}


def test_same_basename_in_two_folders_records_duplicate_filenames() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/one/x.safetensors")
    index.add_entry(SHA_B, "/two/x.safetensors")
    assert index.get_duplicate_filenames() == {"x": ["/one/x.safetensors", "/two/x.safetensors"]}
    assert index.get_hash_by_filename("x") == SHA_B
    index.remove_by_path("/two/x.safetensors")
    assert index.get_duplicate_filenames() == {}
    assert index.get_hash_by_filename("x") == SHA_A


def test_removing_one_of_two_duplicates_promotes_the_survivor() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/one/a.safetensors")
    index.add_entry(SHA_A, "/two/a.safetensors")
    index.remove_by_path("/two/a.safetensors")
    assert index.get_path(SHA_A) == "/one/a.safetensors"
    assert index.get_path(SHA_A[:10]) == "/one/a.safetensors"
    assert index.get_duplicate_hashes() == {}
    assert index.get_hash("/one/a.safetensors") == SHA_A


def test_removing_a_non_primary_duplicate_keeps_the_primary() -> None:
    index = ModelHashIndex()
    for path in ("/1/a.safetensors", "/2/a.safetensors", "/3/a.safetensors"):
        index.add_entry(SHA_A, path)
    index.remove_by_path("/1/a.safetensors")
    assert index.get_path(SHA_A) == "/3/a.safetensors"
    assert index.get_duplicate_hashes() == {SHA_A: ["/2/a.safetensors", "/3/a.safetensors"]}
    index.remove_by_path("/3/a.safetensors")
    assert index.get_path(SHA_A) == "/2/a.safetensors"
    assert index.get_duplicate_hashes() == {}


def test_removing_the_primary_of_three_promotes_the_earliest_remaining() -> None:
    index = ModelHashIndex()
    for path in ("/1/a.safetensors", "/2/a.safetensors", "/3/a.safetensors"):
        index.add_entry(SHA_A, path)
    index.remove_by_path("/3/a.safetensors")
    assert index.get_path(SHA_A) == "/1/a.safetensors"
    assert index.get_duplicate_hashes() == {SHA_A: ["/1/a.safetensors", "/2/a.safetensors"]}


def test_add_then_remove_restores_an_empty_index() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/m/a.safetensors", "abcdefabcdef")
    index.remove_by_path("/m/a.safetensors", SHA_A)
    assert len(index) == 0
    assert index.get_all_filenames() == []
    assert index.get_all_autov3() == {}
    assert index.get_path(SHA_A[:10]) is None
    assert index.get_hash("/m/a.safetensors") is None


def test_remove_unknown_path_changes_nothing() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/m/a.safetensors")
    index.remove_by_path("/m/other.safetensors")
    assert index.get_path(SHA_A) == "/m/a.safetensors"
    assert index.get_all_filenames() == ["a"]


def test_remove_by_hash_removes_all_copies_and_their_keys() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/1/a.safetensors", "aaaaaaaaaaaa")
    index.add_entry(SHA_A, "/2/b.safetensors", "aaaaaaaaaaaa")
    index.add_entry(SHA_B, "/3/c.safetensors", "bbbbbbbbbbbb")
    index.remove_by_hash(SHA_A.upper())
    assert index.get_all_hashes() == [SHA_B]
    assert index.get_all_filenames() == ["c"]
    assert index.get_all_autov3() == {"bbbbbbbbbbbb": "/3/c.safetensors"}
    assert index.get_duplicate_hashes() == {}
    assert index.get_path(SHA_A[:10]) is None


def test_remove_by_unknown_hash_changes_nothing() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/1/a.safetensors")
    index.remove_by_hash(SHA_B)
    assert index.get_all_hashes() == [SHA_A]


def test_reregistering_same_sha_without_autov3_keeps_it() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/m/a.safetensors", "aaaaaaaaaaaa")
    index.add_entry(SHA_A, "/m/a.safetensors")
    assert index.get_all_autov3() == {"aaaaaaaaaaaa": "/m/a.safetensors"}


def test_reregistering_with_new_autov3_drops_the_stale_one() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/m/a.safetensors", "aaaaaaaaaaaa")
    index.add_entry(SHA_A, "/m/a.safetensors", "cccccccccccc")
    assert index.get_all_autov3() == {"cccccccccccc": "/m/a.safetensors"}
    assert index.get_path("aaaaaaaaaaaa") is None


def test_reregistering_with_new_sha_moves_the_path_and_drops_autov3() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/m/a.safetensors", "aaaaaaaaaaaa")
    index.add_entry(SHA_B, "/m/a.safetensors")
    assert index.get_all_hashes() == [SHA_B]
    assert index.get_hash("/m/a.safetensors") == SHA_B
    assert index.get_hash_by_filename("a") == SHA_B
    assert index.get_all_autov3() == {}
    assert index.get_path(SHA_A) is None


def test_autov3_duplicates_promote_the_earliest_remaining() -> None:
    index = ModelHashIndex()
    index.add_autov3("ABCDEFABCDEF", "/1/a.safetensors")
    index.add_autov3("abcdefabcdef", "/2/a.safetensors")
    assert index.get_path("abcdefabcdef") == "/2/a.safetensors"
    index.remove_by_path("/2/a.safetensors")
    assert index.get_all_autov3() == {"abcdefabcdef": "/1/a.safetensors"}


@pytest.mark.parametrize(
    ("key", "path"), [("", "/m/a.safetensors"), (None, "/m/a.safetensors"), ("a" * 12, "")]
)
def test_add_autov3_ignores_empty_values(key: str | None, path: str) -> None:
    index = ModelHashIndex()
    index.add_autov3(key, path)
    assert index.get_all_autov3() == {}


def test_autov2_prefix_shared_by_two_shas() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/1/a.safetensors")
    index.add_entry(SHA_A2, "/2/b.safetensors")
    assert index.get_path(SHA_A[:10]) == "/2/b.safetensors"
    index.remove_by_path("/2/b.safetensors")
    assert index.get_path(SHA_A[:10]) == "/1/a.safetensors"


@pytest.mark.parametrize(
    "name",
    [
        "model.v1",
        "model.v1.safetensors",
        "/dir/model.v1.safetensors",
        "C:\\dir\\model.v1.safetensors",
        "/dir/model.v1",
        "C:\\dir\\model.v1",
        "dir\\sub/model.v1",
    ],
)
def test_get_hash_by_filename_accepts_names_and_paths(name: str) -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/m/model.v1.safetensors")
    assert index.get_hash_by_filename(name) == SHA_A


@pytest.mark.parametrize("path", [".hidden", "/m/.hidden", "noext"])
def test_names_without_extension_are_their_own_key(path: str) -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, path)
    assert index.get_all_filenames() == [path.rsplit("/", 1)[-1]]


def test_get_hash_prefers_the_exact_path_over_the_name() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/1/x.safetensors")
    index.add_entry(SHA_B, "/2/x.safetensors")
    assert index.get_hash("/1/x.safetensors") == SHA_A
    assert index.get_hash("/2/x.safetensors") == SHA_B
    assert index.get_hash("/3/x.safetensors") == SHA_B


def test_moving_autov3_off_a_shared_key_keeps_the_other_file() -> None:
    index = ModelHashIndex()
    index.add_autov3("aaaaaaaaaaaa", "/1/a.safetensors")
    index.add_autov3("aaaaaaaaaaaa", "/2/a.safetensors")
    index.add_autov3("bbbbbbbbbbbb", "/2/a.safetensors")
    assert index.get_all_autov3() == {"aaaaaaaaaaaa": "/1/a.safetensors", "bbbbbbbbbbbb": "/2/a.safetensors"}
    index.add_autov3("bbbbbbbbbbbb", "/1/a.safetensors")
    assert index.get_all_autov3() == {"bbbbbbbbbbbb": "/1/a.safetensors"}


def test_get_hash_falls_back_to_the_basename() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/m/a.safetensors")
    assert index.get_hash("C:\\other\\a.safetensors") == SHA_A
    assert index.get_hash("/m/unknown.safetensors") is None


def test_duplicate_views_are_live() -> None:
    index = ModelHashIndex()
    hashes = index.get_duplicate_hashes()
    names = index.get_duplicate_filenames()
    index.add_entry(SHA_A, "/1/a.safetensors")
    index.add_entry(SHA_A, "/2/a.safetensors")
    assert hashes == {SHA_A: ["/1/a.safetensors", "/2/a.safetensors"]}
    assert names == {"a": ["/1/a.safetensors", "/2/a.safetensors"]}


def test_get_all_autov3_is_a_copy() -> None:
    index = ModelHashIndex()
    index.add_autov3("abcdefabcdef", "/m/a.safetensors")
    index.get_all_autov3().clear()
    assert index.get_path("abcdefabcdef") == "/m/a.safetensors"


def test_clear_forgets_everything() -> None:
    index = ModelHashIndex()
    index.add_entry(SHA_A, "/1/a.safetensors", "abcdefabcdef")
    index.add_entry(SHA_A, "/2/a.safetensors")
    index.clear()
    assert len(index) == 0
    assert index.get_path(SHA_A) is None
    assert index.get_path(SHA_A[:10]) is None
    assert index.get_path("abcdefabcdef") is None
    assert index.get_hash("/1/a.safetensors") is None
    assert index.get_duplicate_hashes() == {}
    assert index.get_duplicate_filenames() == {}


# -- stateful model ------------------------------------------------------------------

SHAS = [SHA_A, SHA_B, SHA_A2, "0123456789" + "d" * 54]
PATHS = ["/1/x.safetensors", "/2/x.safetensors", "/1/y.ckpt", "C:\\m\\x.safetensors", "/3/z.v2.safetensors"]
AUTOV3 = ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "CCCCCCCCCCCC"]


def _stem(path: str) -> str:
    name = path.replace("\\", "/").split("/")[-1]
    return name.rsplit(".", 1)[0]


class HashIndexModel:
    """The oracle: which path answers is derived from insertion order kept in plain dicts.

    A key answers with the value most recently attached to it; when that value goes, the
    earliest remaining value takes over.
    """

    def __init__(self) -> None:
        self.path_sha: dict[str, str] = {}  # insertion-ordered
        self.path_autov3: dict[str, str] = {}  # insertion-ordered
        self.sha_order: dict[str, None] = {}  # order in which shas first appeared
        self.sha_primary: dict[str, str] = {}
        self.name_primary: dict[str, str] = {}
        self.prefix_primary: dict[str, str] = {}
        self.autov3_primary: dict[str, str] = {}

    def add(self, sha: str, path: str, autov3: str | None) -> None:
        sha = sha.lower()
        if path in self.path_sha and self.path_sha[path] != sha:
            self.remove(path)
        self.path_sha.setdefault(path, sha)
        self.sha_order.setdefault(sha, None)
        self.sha_primary[sha] = path
        self.name_primary[_stem(path)] = path
        self.prefix_primary[sha[:10]] = sha
        if autov3:
            self.add_autov3(autov3, path)

    def add_autov3(self, key: str, path: str) -> None:
        key = key.lower()
        if self.path_autov3.get(path, key) != key:
            self._drop_autov3(path)
        self.path_autov3.setdefault(path, key)
        self.autov3_primary[key] = path

    def _drop_autov3(self, path: str) -> None:
        key = self.path_autov3.pop(path)
        if self.autov3_primary[key] == path:
            rest = [p for p, k in self.path_autov3.items() if k == key]
            if rest:
                self.autov3_primary[key] = rest[0]
            else:
                del self.autov3_primary[key]

    def remove(self, path: str) -> None:
        if path in self.path_autov3:
            self._drop_autov3(path)
        if path not in self.path_sha:
            return
        sha = self.path_sha.pop(path)
        if self.sha_primary[sha] == path:
            rest = [p for p, s in self.path_sha.items() if s == sha]
            if rest:
                self.sha_primary[sha] = rest[0]
            else:
                del self.sha_primary[sha]
                del self.sha_order[sha]
                prefix = sha[:10]
                if self.prefix_primary[prefix] == sha:
                    others = [s for s in self.sha_order if s[:10] == prefix]
                    if others:
                        self.prefix_primary[prefix] = others[0]
                    else:
                        del self.prefix_primary[prefix]
        name = _stem(path)
        if self.name_primary[name] == path:
            rest = [p for p in self.path_sha if _stem(p) == name]
            if rest:
                self.name_primary[name] = rest[0]
            else:
                del self.name_primary[name]

    def get_path(self, key: str) -> str | None:
        key = key.lower()
        if key in self.sha_primary:
            return self.sha_primary[key]
        if len(key) == 10 and key in self.prefix_primary:
            return self.sha_primary[self.prefix_primary[key]]
        if len(key) == 12:
            return self.autov3_primary.get(key)
        return None

    def duplicates(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for path, sha in self.path_sha.items():
            groups.setdefault(sha, []).append(path)
        return {sha: paths for sha, paths in groups.items() if len(paths) > 1}

    def duplicate_names(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for path in self.path_sha:
            groups.setdefault(_stem(path), []).append(path)
        return {name: paths for name, paths in groups.items() if len(paths) > 1}


class HashIndexMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.index = ModelHashIndex()
        self.model = HashIndexModel()

    @rule(
        sha=st.sampled_from(SHAS).flatmap(lambda s: st.sampled_from([s, s.upper()])),
        path=st.sampled_from(PATHS),
        autov3=st.none() | st.sampled_from(AUTOV3),
    )
    def add_entry(self, sha: str, path: str, autov3: str | None) -> None:
        self.index.add_entry(sha, path, autov3)
        self.model.add(sha, path, autov3)

    @rule(key=st.sampled_from(AUTOV3), path=st.sampled_from(PATHS))
    def add_autov3(self, key: str, path: str) -> None:
        self.index.add_autov3(key, path)
        self.model.add_autov3(key, path)

    @rule(path=st.sampled_from(PATHS))
    def remove_by_path(self, path: str) -> None:
        self.index.remove_by_path(path)
        self.model.remove(path)

    @rule(sha=st.sampled_from(SHAS))
    def remove_by_hash(self, sha: str) -> None:
        self.index.remove_by_hash(sha)
        for path in [p for p, s in self.model.path_sha.items() if s == sha]:
            self.model.remove(path)

    @rule()
    def clear(self) -> None:
        self.index.clear()
        self.model = HashIndexModel()

    @invariant()
    def lookups_agree(self) -> None:
        keys = SHAS + [s.upper() for s in SHAS] + [s[:10] for s in SHAS] + AUTOV3 + ["x" * 12]
        for key in keys:
            assert self.index.get_path(key) == self.model.get_path(key), key
            assert self.index.has_hash(key) == (self.model.get_path(key) is not None), key
        for path in PATHS:
            expected = self.model.path_sha.get(path)
            if expected is None and _stem(path) in self.model.name_primary:
                expected = self.model.path_sha[self.model.name_primary[_stem(path)]]
            assert self.index.get_hash(path) == expected, path
        for name in {_stem(p) for p in PATHS}:
            primary = self.model.name_primary.get(name)
            assert self.index.get_hash_by_filename(name) == (primary and self.model.path_sha[primary])

    @invariant()
    def views_agree(self) -> None:
        assert len(self.index) == len(self.model.sha_primary)
        assert sorted(self.index.get_all_hashes()) == sorted(self.model.sha_primary)
        assert sorted(self.index.get_all_filenames()) == sorted(self.model.name_primary)
        assert self.index.get_all_autov3() == self.model.autov3_primary
        assert self.index.get_duplicate_hashes() == self.model.duplicates()
        assert self.index.get_duplicate_filenames() == self.model.duplicate_names()


HashIndexMachine.TestCase.settings = settings(HashIndexMachine.TestCase.settings, stateful_step_count=30)
TestHashIndexMachine = HashIndexMachine.TestCase
