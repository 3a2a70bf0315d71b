"""ModelHashIndex: finds a model file by sha256, autov2, autov3 or file name.

Every key can name several files (copies of one model, same name in two folders); one is the answer.
"""

from __future__ import annotations

import ntpath
from typing import TypeVar

from py.utils.constants import AUTOV2_LENGTH

AUTOV3_LENGTH = 12

K = TypeVar("K")
V = TypeVar("V")


def _attach(primary: dict[K, V], groups: dict[K, list[V]], key: K, value: V) -> None:
    """Make ``value`` the answer for ``key``, remembering earlier values as duplicates."""
    current = primary.get(key)
    if current is not None and current != value:
        group = groups.setdefault(key, [current])
        if value not in group:
            group.append(value)
    primary[key] = value


def _detach(primary: dict[K, V], groups: dict[K, list[V]], key: K, value: V) -> None:
    """Forget ``value`` (attached under ``key``); if it was the answer, the earliest remaining takes over."""
    group = groups.get(key)
    if group is None:
        del primary[key]
        return
    group.remove(value)
    if primary[key] == value:
        primary[key] = group[0]
    if len(group) == 1:
        del groups[key]


def _file_stem(path: str) -> str:
    """``dir/model.v1.safetensors`` -> ``model.v1``, for either separator."""
    name = ntpath.basename(path)
    stem = name.rpartition(".")[0]
    return stem or name


class ModelHashIndex:
    """In-memory hash and file-name index of one model library."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._path_to_hash: dict[str, str] = {}
        self._hash_to_path: dict[str, str] = {}
        self._duplicate_hashes: dict[str, list[str]] = {}
        self._filename_to_path: dict[str, str] = {}
        self._duplicate_filenames: dict[str, list[str]] = {}
        # autov2 names a sha (two shas may share a prefix); autov3 names a file.
        self._autov2_to_hash: dict[str, str] = {}
        self._autov2_collisions: dict[str, list[str]] = {}
        self._path_to_autov3: dict[str, str] = {}
        self._autov3_to_path: dict[str, str] = {}
        self._autov3_duplicates: dict[str, list[str]] = {}

    # -- changes ---------------------------------------------------------------

    def add_entry(self, sha256: str | None, file_path: str | None, autov3: str | None = None) -> None:
        """Register ``file_path`` with content hash ``sha256``; empty values are ignored."""
        if not sha256 or not file_path:
            return
        sha = sha256.lower()
        previous = self._path_to_hash.get(file_path)
        if previous is not None and previous != sha:
            # The file's content changed: it leaves its old hash group, autov3 included.
            self.remove_by_path(file_path)
        self._path_to_hash[file_path] = sha
        _attach(self._hash_to_path, self._duplicate_hashes, sha, file_path)
        _attach(self._filename_to_path, self._duplicate_filenames, _file_stem(file_path), file_path)
        _attach(self._autov2_to_hash, self._autov2_collisions, sha[:AUTOV2_LENGTH], sha)
        if autov3:
            self.add_autov3(autov3, file_path)

    def add_autov3(self, autov3: str | None, file_path: str | None) -> None:
        """Record the autov3 hash of a file; a file has one, so an older one is dropped."""
        if not autov3 or not file_path:
            return
        key = autov3.lower()
        stale = self._path_to_autov3.get(file_path)
        if stale is not None and stale != key:
            _detach(self._autov3_to_path, self._autov3_duplicates, stale, file_path)
        self._path_to_autov3[file_path] = key
        _attach(self._autov3_to_path, self._autov3_duplicates, key, file_path)

    def remove_by_path(self, file_path: str, hash_val: str | None = None) -> None:
        """Forget one file; a duplicate of it becomes the answer for its hash and name.

        ``hash_val`` is accepted for callers that know it; the index tracks each path's hash itself.
        """
        key = self._path_to_autov3.pop(file_path, None)
        if key is not None:
            _detach(self._autov3_to_path, self._autov3_duplicates, key, file_path)
        sha = self._path_to_hash.pop(file_path, None)
        if sha is None:
            return
        _detach(self._hash_to_path, self._duplicate_hashes, sha, file_path)
        _detach(self._filename_to_path, self._duplicate_filenames, _file_stem(file_path), file_path)
        if sha not in self._hash_to_path:
            _detach(self._autov2_to_hash, self._autov2_collisions, sha[:AUTOV2_LENGTH], sha)

    def remove_by_hash(self, sha256: str) -> None:
        """Forget every file with this content hash."""
        sha = sha256.lower()
        for path in [path for path, known in self._path_to_hash.items() if known == sha]:
            self.remove_by_path(path)

    # -- lookups ---------------------------------------------------------------

    def get_path(self, hash_value: str | None) -> str | None:
        """The file for a sha256, autov2 (10 characters) or autov3 (12 characters), any case."""
        if not hash_value:
            return None
        key = hash_value.lower()
        if key in self._hash_to_path:
            return self._hash_to_path[key]
        if len(key) == AUTOV2_LENGTH and key in self._autov2_to_hash:
            return self._hash_to_path[self._autov2_to_hash[key]]
        if len(key) == AUTOV3_LENGTH:
            return self._autov3_to_path.get(key)
        return None

    def has_hash(self, hash_value: str | None) -> bool:
        return self.get_path(hash_value) is not None

    def get_hash(self, file_path: str) -> str | None:
        """The sha256 of a registered file, else of the file answering to its name."""
        sha = self._path_to_hash.get(file_path)
        if sha is not None:
            return sha
        return self.get_hash_by_filename(file_path)

    def get_hash_by_filename(self, filename: str) -> str | None:
        """The sha256 for a file name with or without extension, or a path with either separator."""
        name = ntpath.basename(filename)
        path = self._filename_to_path.get(name) or self._filename_to_path.get(_file_stem(name))
        return None if path is None else self._path_to_hash[path]

    def get_all_hashes(self) -> list[str]:
        return list(self._hash_to_path)

    def get_all_filenames(self) -> list[str]:
        return list(self._filename_to_path)

    def get_all_autov3(self) -> dict[str, str]:
        return dict(self._autov3_to_path)

    def get_duplicate_hashes(self) -> dict[str, list[str]]:
        return self._duplicate_hashes

    def get_duplicate_filenames(self) -> dict[str, list[str]]:
        return self._duplicate_filenames

    def __len__(self) -> int:
        return len(self._hash_to_path)
