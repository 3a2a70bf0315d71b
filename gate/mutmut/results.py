"""mutmut's results read into model.Mutant: mutants/ (.meta, .spans, mutated files, mutmut-stats.json).

Diffs are read with mutmut's pure parsing helpers on paths under the given root, never through its
config-reading code, so this runs safely in the gate's process from any working directory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from difflib import unified_diff
from pathlib import Path
from typing import TYPE_CHECKING

from gate.atomic import StateError, write_text_atomic
from gate.config import GateConfig
from gate.model import Mutant
from gate.mutmut.lines import DEF_PREFIXES, def_lines, first_change, mutation_line
from gate.mutmut.mutant_id import assign_ids
from gate.mutmut.names import function_of, local_of, original_of, qualname_of
from gate.mutmut.noise import SKIPPED_CODE, noise_kind
from gate.mutmut.selection import Selection
from gate.mutmut.state import CorruptMeta, Stats, mutated_path, read_meta, read_stats, spans_path, status_of

if TYPE_CHECKING:
    import libcst as cst


# Each mutant's line, diff and changed text, by file, keyed by the content of the source and of its
# mutated copy: cutting a function out of the copy and diffing it costs milliseconds a mutant, and a warm
# `gate check` reads every mutant of its module.
DIFFS = Path(".gate") / "diffs.json"


def _spans_lines(line: str) -> bool:
    """Whether a line opens or closes a string spanning lines, or continues on the next one."""
    return line.endswith("\\") or line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1


@dataclass(frozen=True)
class _Texts:
    original: list[str]
    mutant: list[str]


def read_results(
    config: GateConfig, selection: Selection, *, parallel_from: int | None = None
) -> list[Mutant]:
    """Every mutant of the selection with its verdict, stable id, line, diff and the tests that reach it.
    From ``parallel_from`` uncached mutants on (default PARALLEL_FROM), one process per core reads them."""
    root = config.root
    stats = read_stats(root)
    cache = _read_cache(root)
    kept = dict(cache)
    mutants: list[Mutant] = []
    files: list[_File] = []
    for path in selection.files:
        try:
            meta = read_meta(root, path)
        except CorruptMeta:
            continue
        if meta is None:
            continue
        names = [n for n in meta.exit_code_by_key if selection.contains(n)]
        if names:
            source = (root / path).read_text(encoding="utf-8")
            key = _file_key(root, path, source)
            files.append(_File(path, source, key, names, meta.exit_code_by_key, meta.durations_by_key))
    _prefill(root, files, kept, PARALLEL_FROM if parallel_from is None else parallel_from)
    for file in files:
        mutants += _read_file(config, file, stats, kept)
    if kept != cache:
        # A cache that cannot be written (a full disk) only makes the next read slower.
        with suppress(StateError):
            write_text_atomic(root / DIFFS, json.dumps(kept, ensure_ascii=False) + "\n")
    return mutants


# One mutant as read: line, diff, original text, mutated text, noise kind (of a skipped one).
_Read = tuple[int, str, str, str, str]


@dataclass(frozen=True)
class _File:
    """One source file to read: its text, the cache key of it and its mutated copy, its mutants."""

    path: str
    source: str
    key: str
    names: list[str]
    codes: dict[str, int | None]
    durations: dict[str, float]

    def skipped(self, name: str) -> bool:
        return self.codes.get(name) == SKIPPED_CODE


# Uncached mutants from which reading goes to one process per core (about 7 ms each: a cold full run of
# the services reads 5,000 of them).
PARALLEL_FROM = 400


def _file_key(root: Path, path: str, source: str) -> str:
    try:
        return hashlib.sha256(source.encode() + b"\0" + mutated_path(root, path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _known(cache: dict[str, dict[str, object]], path: str, key: str) -> dict[str, list[object]]:
    """The cached reads of ``path`` while its key holds (the source and its mutated copy unchanged)."""
    entry = cache.get(path, {})
    known = entry.get("mutants") if key and entry.get("key") == key else None
    return dict(known) if isinstance(known, dict) else {}


def _read_missing(
    root: Path, path: str, names: list[str], skipped: list[str]
) -> tuple[str, str, dict[str, list[object]]]:
    """In a worker process: (path, its key, {name: read}) for the named mutants of one file."""
    source = (root / path).read_text(encoding="utf-8")
    defs = def_lines(source)
    reader = _MutantsFile(root, path)
    reads: dict[str, list[object]] = {}
    for name in names:
        found = _read_one(reader, path, name, qualname_of(name), defs, name in skipped)
        if found is not None:
            reads[name] = list(found)
    return path, _file_key(root, path, source), reads


def _prefill(root: Path, files: list[_File], cache: dict[str, dict[str, object]], parallel_from: int) -> None:
    """Read the mutants the cache misses in one process per core when there are many of them (a cold
    run); the reads land in ``cache``, where `_read_file` finds them. Few misses are read in place."""
    import os

    workers = os.cpu_count() or 1
    jobs: list[tuple[_File, list[str]]] = []
    for file in files:
        known = _known(cache, file.path, file.key)
        missing = [n for n in file.names if _cached(known.get(n), file.skipped(n)) is None]
        if missing:
            jobs.append((file, missing))
    if workers < 2 or sum(len(missing) for _f, missing in jobs) < parallel_from:
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    # Spawned, not forked: the gate's process may run a progress thread. Workers that cannot start or
    # die leave the reading to the serial path: only slower.
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [
                pool.submit(_read_missing, root, file.path, missing, [n for n in missing if file.skipped(n)])
                for file, missing in jobs
            ]
            done = [future.result() for future in futures]
    except (OSError, BrokenProcessPool):
        return
    for path, key, reads in done:
        if key:
            cache[path] = {"key": key, "mutants": {**_known(cache, path, key), **reads}}


def _read_file(
    config: GateConfig, file: _File, stats: Stats, cache: dict[str, dict[str, object]]
) -> list[Mutant]:
    root = config.root
    path = file.path
    reads = _known(cache, path, file.key)
    defs: dict[str, int] | None = None
    reader = _MutantsFile(root, path)
    target = config.target_of(path) or ""
    entries: list[tuple[str, str, str, str, str]] = []
    partial: list[tuple[str, str, int, str, str]] = []
    for name in file.names:
        qualname = qualname_of(name)
        skipped = file.skipped(name)
        found = _cached(reads.get(name), skipped)
        if found is None:
            if defs is None:
                defs = def_lines(file.source)
            found = _read_one(reader, path, name, qualname, defs, skipped)
            if found is not None:
                reads[name] = list(found)
        line, diff, original, mutated, kind = found or (0, "", "", "", "")
        entries.append((name, path, qualname, original, mutated))
        partial.append((name, qualname, line, diff, f"noise: {kind}" if skipped and kind else ""))
    if file.key:
        cache[path] = {"key": file.key, "mutants": reads}
    ids = assign_ids(entries)
    return [
        Mutant(
            id=ids[name],
            name=name,
            target=target,
            file=path,
            line=line,
            function=qualname,
            status=status_of(file.codes.get(name)),
            diff=diff,
            tests=stats.tests_for(function_of(name)),
            duration=file.durations.get(name),
            skip_reason=reason,
        )
        for name, qualname, line, diff, reason in partial
    ]


def _read_one(
    reader: _MutantsFile, path: str, name: str, qualname: str, defs: dict[str, int], skipped: bool
) -> _Read | None:
    """A mutant's line, diff and changed text from the mutated copy; None when it cannot be cut out."""
    texts = reader.texts(name)
    if texts is None:
        return None
    line, original, mutated = 0, "", ""
    change = first_change(texts.original, texts.mutant)
    if change is not None:
        original = "\n".join(s.strip() for s in texts.original[change.orig_start : change.orig_end])
        mutated = "\n".join(s.strip() for s in texts.mutant[change.mutant_start : change.mutant_end])
        if qualname in defs:
            line = mutation_line(defs[qualname], texts.original, change)
    diff = "\n".join(unified_diff(texts.original, texts.mutant, fromfile=path, tofile=path, lineterm=""))
    if diff:
        diff += "\n"
    kind = (noise_kind("\n".join(texts.original), "\n".join(texts.mutant)) or "") if skipped else ""
    return line, diff, original, mutated, kind


def mutant_lines(root: Path, path: str, names: Iterable[str]) -> dict[str, int]:
    """The file line of each named mutant of ``path`` without parsing: its function and the function's
    ``__mutmut_orig`` twin are compared as the copy holds them (names aside). Line offsets do not depend
    on how libcst would indent the text, so every mutant gets the line `read_results` gives it (all 5,176
    of the services', measured), in 0.4 s against 22 s. Mutants that cannot be placed are left out."""
    try:
        defs = def_lines((root / path).read_text(encoding="utf-8"))
    except OSError:
        return {}
    reader = _MutantsFile(root, path)
    found: dict[str, int] = {}
    for name in names:
        local, original = local_of(name), original_of(name)
        orig_lines, mutant = reader.span(original), reader.span(local)
        if orig_lines is None or mutant is None or qualname_of(name) not in defs:
            continue
        change = first_change([line.replace(original, local) for line in orig_lines], mutant)
        if change is not None:
            found[name] = mutation_line(defs[qualname_of(name)], orig_lines, change)
    return found


def _cached(found: list[object] | None, skipped: bool) -> _Read | None:
    """A cached read, when it has the right shape (and, for a skipped mutant, its noise kind was read)."""
    if not isinstance(found, list) or len(found) != 5:
        return None
    line, diff, original, mutated, kind = found
    if not (
        isinstance(line, int)
        and isinstance(diff, str)
        and isinstance(original, str)
        and isinstance(mutated, str)
        and isinstance(kind, str)
    ):
        return None
    if skipped and not kind:
        return None  # read while it was not skipped: its kind was never asked for
    return line, diff, original, mutated, kind


def _read_cache(root: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads((root / DIFFS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


class _MutantsFile:
    """One mutated file under mutants/, read once; functions are cut out through its .spans index."""

    def __init__(self, root: Path, path: str) -> None:
        self.file = mutated_path(root, path)
        self.lines: list[str] | None = None
        self.spans: dict[str, tuple[int, int]] | None = None
        self.module: cst.Module | None = None
        self.originals: dict[str, list[str]] = {}
        try:
            data = json.loads(spans_path(root, path).read_text(encoding="utf-8"))
            if data.get("version") == 1:
                self.spans = {k: (int(v[0]), int(v[1])) for k, v in data["spans"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            self.spans = None

    def texts(self, name: str) -> _Texts | None:
        local = local_of(name)  # x_add__mutmut_3 / xǁCǁm__mutmut_3
        orig_name = original_of(name)
        qualname = qualname_of(name)
        qual_func = qualname.rpartition(".")[2]
        is_method = "." in qualname
        original = self.originals.get(orig_name)
        if original is None:
            original = self._function_text(orig_name, qual_func, is_method)
            if original is None:
                return None
            self.originals[orig_name] = original
        mutant = self._function_text(local, qual_func, is_method)
        if mutant is None:
            return None
        return _Texts(original, mutant)

    def _function_text(self, generated: str, original_name: str, is_method: bool) -> list[str] | None:
        as_text = self._from_text(generated, original_name, is_method)
        if as_text is not None:
            return as_text
        import libcst as cst  # imported on first use: keeps `gate --help` and `gate report` fast

        function = self._from_index(generated, is_method) or self._from_module(generated)
        if function is None:
            return None
        function = function.with_changes(name=cst.Name(original_name))
        return cst.Module([function]).code.strip().split("\n")

    def _from_text(self, generated: str, original_name: str, is_method: bool) -> list[str] | None:
        """The function's text as libcst renders it, cut out of the copy's lines without parsing them
        (8 ms a function less): renamed, and a method dedented by its `def`'s indentation, which is what
        libcst's rendering of the function alone does. None where the two could differ (a string or a
        line continuation spanning lines keeps its inner indentation in libcst; a line less indented
        than the `def`), and libcst reads it instead."""
        raw = self.span(generated)
        if raw is None:
            return None
        head = next((i for i, line in enumerate(raw) if line.lstrip().startswith(DEF_PREFIXES)), None)
        if head is None or any(_spans_lines(line) for line in raw):
            return None
        indent = raw[head][: len(raw[head]) - len(raw[head].lstrip())]
        if bool(indent) != is_method:
            return None
        text: list[str] = []
        for line in raw:
            if line and not line.startswith(indent):
                return None
            text.append(line[len(indent) :])
        renamed = next(
            (i for i in range(head, len(text)) if text[i].lstrip().startswith(("def ", "async def "))), None
        )
        marker = f"def {generated}("
        if renamed is None or text[renamed].count(marker) != 1:
            return None
        text[renamed] = text[renamed].replace(marker, f"def {original_name}(")
        return "\n".join(text).strip().split("\n")

    def span(self, generated: str) -> list[str] | None:
        """The lines of a generated function as they stand in the copy (comments above it included, line
        ends dropped); None without an index entry or a readable copy."""
        if self.spans is None or generated not in self.spans or not self._read_lines():
            return None
        assert self.lines is not None
        start, end = self.spans[generated]
        return [line.rstrip("\r\n") for line in self.lines[start - 1 : end]]

    def _read_lines(self) -> bool:
        if self.lines is None:
            try:
                self.lines = self.file.read_text(encoding="utf-8").splitlines(keepends=True)
            except OSError:
                return False
        return True

    def _from_index(self, generated: str, is_method: bool) -> cst.FunctionDef | None:
        from mutmut.mutation.diff_apply import parse_generated_function

        if self.spans is None or generated not in self.spans or not self._read_lines():
            return None
        assert self.lines is not None
        start, end = self.spans[generated]
        return parse_generated_function(
            "".join(self.lines[start - 1 : end]), name=generated, is_method=is_method
        )

    def _from_module(self, generated: str) -> cst.FunctionDef | None:
        import libcst as cst
        from mutmut.mutation.diff_apply import find_top_level_function_or_method

        if self.module is None:
            try:
                self.module = cst.parse_module(self.file.read_text(encoding="utf-8"))
            except (OSError, cst.ParserSyntaxError):
                return None
        return find_top_level_function_or_method(self.module, generated)
