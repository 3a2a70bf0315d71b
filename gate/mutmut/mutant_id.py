"""Stable mutant ids: a short hash of what a mutation is, not of mutmut's per-function number.

(file, function qualname, original line text stripped, mutated line text stripped, occurrence index):
an edit elsewhere in the function keeps the id; two identical mutations differ by occurrence.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from gate.mutmut.names import number_of

ID_LENGTH = 10


def mutant_id(file: str, function: str, original: str, mutated: str, occurrence: int) -> str:
    key = "\0".join([file, function, original.strip(), mutated.strip(), str(occurrence)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:ID_LENGTH]


def assign_ids(entries: Iterable[tuple[str, str, str, str, str]]) -> dict[str, str]:
    """Ids for (name, file, function, original, mutated) entries. Identical mutations of one function are
    numbered in mutmut's traversal order, which is source order, so they keep their ids across edits."""
    groups: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for name, file, function, original, mutated in entries:
        groups[(file, function, original.strip(), mutated.strip())].append(name)
    ids: dict[str, str] = {}
    for (file, function, original, mutated), names in groups.items():
        for occurrence, name in enumerate(sorted(names, key=lambda n: (number_of(n), n))):
            ids[name] = mutant_id(file, function, original, mutated, occurrence)
    return ids
