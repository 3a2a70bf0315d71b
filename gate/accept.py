"""Equivalent mutants: the reviewed list in `gate-accepted.toml`, and how it changes a run's verdicts.

An accepted mutant stays visible as `accepted` with its reason and leaves the score's denominator;
an accepted id that no longer matches any mutant is reported as stale, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from gate.atomic import write_text_atomic
from gate.exit_code import ConfigError
from gate.model import UNDETECTED, Mutant, RunResult, Status

ACCEPTED_PATH = Path("gate-accepted.toml")
# A verdict an acceptance may turn into `accepted`: a mutant the tests let through. A killed
# or timed-out mutant is not equivalent after all, so its verdict stands.
ACCEPTABLE = UNDETECTED | {Status.SUSPICIOUS, Status.NOT_CHECKED}

_HEADER = """\
# Equivalent mutants: changes no test can detect because behaviour does not change.
# Written by `gate accept ID --reason TEXT`; review entries like code. Keys are the gate's
# stable mutant ids; file/function/change are there for the reader and are not matched.
"""
_FIELDS = ("reason", "file", "function", "target", "change", "accepted")


@dataclass(frozen=True)
class Acceptance:
    """One accepted (equivalent) mutant."""

    id: str
    reason: str
    file: str = ""
    function: str = ""
    target: str = ""
    change: str = ""  # the removed and added lines of the diff, for reviewers
    accepted: str = ""  # ISO date

    def to_toml(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in _FIELDS if getattr(self, key)}


def load(path: str | Path = ACCEPTED_PATH) -> dict[str, Acceptance]:
    """The accepted mutants by id; no file means none. A malformed file is a ConfigError naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - {"mutants"})
    if unknown:
        raise ConfigError(f"{path}: unknown key `{unknown[0]}` (expected only [mutants.<id>] tables)")
    entries = data.get("mutants", {})
    if not isinstance(entries, dict):
        raise ConfigError(f"{path}: `mutants` must be a table of [mutants.<id>] entries")
    accepted: dict[str, Acceptance] = {}
    for mutant_id, entry in entries.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: mutants.{mutant_id} must be a table with a `reason`")
        extra = sorted(set(entry) - set(_FIELDS))
        if extra:
            raise ConfigError(f"{path}: mutants.{mutant_id} has unknown key `{extra[0]}`")
        if any(not isinstance(value, str) for value in entry.values()):
            raise ConfigError(f"{path}: every value of mutants.{mutant_id} must be a string")
        if not entry.get("reason", "").strip():
            raise ConfigError(f"{path}: mutants.{mutant_id} needs a non-empty `reason`")
        accepted[mutant_id] = Acceptance(id=mutant_id, **entry)
    return accepted


def dumps(entries: Iterable[Acceptance]) -> str:
    """The file's text: a header, then one table per id, sorted by id (stable diffs in review)."""
    table = {entry.id: entry.to_toml() for entry in sorted(entries, key=lambda e: e.id)}
    body = tomli_w.dumps({"mutants": table}, multiline_strings=True) if table else ""
    return _HEADER + ("\n" + body if body else "")


def find(result: RunResult, mutant_id: str) -> Mutant:
    """The mutant with this stable id in a result; an unknown id is a usage error (exit 2)."""
    for mutant in result.mutants:
        if mutant.id == mutant_id:
            return mutant
    raise ConfigError(f"unknown mutant id {mutant_id!r}: not in the last results (see `gate report` for ids)")


def accept(
    mutant: Mutant,
    reason: str,
    path: str | Path = ACCEPTED_PATH,
    today: dt.date | None = None,
) -> Acceptance:
    """Record ``mutant`` as equivalent (replacing an earlier entry for it) and rewrite the file atomically."""
    reason = " ".join(reason.split())
    if not reason:
        raise ConfigError("--reason must say why the mutant is equivalent")
    entries = load(path)
    entry = Acceptance(
        id=mutant.id,
        reason=reason,
        file=mutant.file,
        function=mutant.function,
        target=mutant.target,
        change=_change(mutant.diff),
        accepted=(today or dt.date.today()).isoformat(),
    )
    entries[mutant.id] = entry
    write_text_atomic(path, dumps(entries.values()))
    return entry


def apply(
    result: RunResult,
    accepted: Mapping[str, Acceptance],
    covers: Callable[[Acceptance], bool] | None = None,
) -> RunResult:
    """Mark accepted mutants and list stale acceptances, in place.

    ``covers`` says whether a partial run looked where an acceptance points (its file, function):
    an acceptance elsewhere is not stale just because this run did not look there. Without it
    (a full run) every accepted id that matches no mutant is stale.
    """
    present = {m.id for m in result.mutants}
    for mutant in result.mutants:
        entry = accepted.get(mutant.id)
        if entry is not None and mutant.status in ACCEPTABLE:
            mutant.status = Status.ACCEPTED
            mutant.cause = None
            mutant.accepted_reason = entry.reason
    result.stale_accepted = sorted(
        mutant_id
        for mutant_id, entry in accepted.items()
        if mutant_id not in present and (covers is None or covers(entry))
    )
    return result


def _change(diff: str) -> str:
    lines = [
        line
        for line in diff.splitlines()
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
    ]
    return "\n".join(lines)
