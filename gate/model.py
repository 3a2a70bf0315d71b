"""The results model: plain dataclasses for mutants, counts, a whole run, its verdict and past runs.

Every stage passes these along (runner -> results -> classify -> policy ->
render), and `gate-report/1` JSON is their serialised form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from gate.exit_code import ExitCode
from gate.mutmut.names import qualname_of

SCHEMA = "gate-report/1"


class Status(StrEnum):
    """Exactly one per mutant."""

    KILLED = "killed"
    SURVIVED = "survived"
    NO_TESTS = "no-tests"
    TIMEOUT = "timeout"
    SUSPICIOUS = "suspicious"
    SKIPPED = "skipped"
    ACCEPTED = "accepted"
    TYPE_ERROR = "type-error"
    NOT_CHECKED = "not-checked"  # mutmut has no verdict yet (interrupted or new)


class Cause(StrEnum):
    """Why a `survived` or `no-tests` mutant was not killed."""

    HIDDEN_BY_MOCK = "hidden-by-mock"
    PARTLY_MOCKED = "partly-mocked"
    WEAK_ASSERTION = "weak-assertion"
    LINE_NOT_RUN = "line-not-run"
    UNTESTED = "untested"
    UNRELIABLE = "unreliable"


# How a skip reason of noise starts ("noise: logging"); reports count these as "skipped (noise)".
NOISE_PREFIX = "noise"

DETECTED = frozenset({Status.KILLED, Status.TIMEOUT})
UNDETECTED = frozenset({Status.SURVIVED, Status.NO_TESTS})


@dataclass(frozen=True)
class Replacement:
    """One replacement made while a test ran (a monkeypatch, a mock.patch, a sys.modules entry)."""

    test: str  # pytest node id
    target: str  # dotted name: py.services.downloader.Downloader.download_file
    kind: str  # monkeypatch.setattr, patch, patch.object, patch.multiple, patch.dict, sys.modules, ...
    site: str = ""  # file:line where it was made
    # What the target held when it is known under another dotted name: for
    # patch("pkg.consumer.Downloader") it is "pkg.downloader.Downloader".
    original: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.original:
            del data["original"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Replacement:
        return cls(
            test=data["test"],
            target=data["target"],
            kind=data.get("kind", ""),
            site=data.get("site", ""),
            original=data.get("original", ""),
        )


@dataclass
class Witness:
    """What tells a survivor apart at its function's boundary (gate.witness), or that nothing did.

    ``kind`` is ``differs`` (a call in ``test`` behaves otherwise under the mutant; ``suggestion`` is an
    assertion that kills it, shown only when ``verified``), ``no-difference`` (``calls`` calls across
    ``tests`` tests all behaved alike) or ``unavailable`` (``note`` says why nothing was observed)."""

    kind: str
    test: str = ""
    call: str = ""
    original: str = ""
    mutant: str = ""
    suggestion: str = ""
    verified: bool = False
    calls: int = 0
    tests: int = 0
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Witness:
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        return cls(**known)


@dataclass
class Mutant:
    """One mutant, with its verdict and, when not killed, why."""

    id: str  # stable id (see gate.mutmut.mutant_id)
    name: str  # mutmut's name, e.g. py.services.downloader.xǁDownloaderǁdownload_file__mutmut_17
    target: str
    file: str  # repository-relative, forward slashes
    line: int  # line of the mutation in the original source
    function: str  # qualname, e.g. Downloader.download_file
    status: Status
    diff: str = ""
    tests: list[str] = field(default_factory=list)  # tests that reach the function, fastest first
    duration: float | None = None  # seconds mutmut spent on it
    cause: Cause | None = None
    mocks: list[Replacement] = field(default_factory=list)  # evidence for the cause
    replaced_in: list[str] = field(default_factory=list)  # tests that replace the function/class/module
    hint: str = ""
    flaky: bool = False  # survived in the batch, killed when re-run alone
    reused: bool = False  # verdict taken from the cache, not re-tested in this run
    accepted_reason: str = ""
    skip_reason: str = ""  # why a skipped mutant was not run, e.g. "noise: logging"
    witness: Witness | None = None  # survivors the witness stage looked at

    @property
    def qualname(self) -> str:
        """Its function's qualname: `function` as recorded, else decoded from mutmut's name."""
        return qualname_of(self)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "target": self.target,
            "file": self.file,
            "line": self.line,
            "function": self.function,
            "status": str(self.status),
            "cause": str(self.cause) if self.cause else None,
            "diff": self.diff,
            "tests": list(self.tests),
            "mocks": [m.to_json() for m in self.mocks],
            "replaced_in": list(self.replaced_in),
            "hint": self.hint,
            "duration": self.duration,
        }
        if self.flaky:
            data["flaky"] = True
        if self.reused:
            data["reused"] = True
        if self.accepted_reason:
            data["accepted_reason"] = self.accepted_reason
        if self.skip_reason:
            data["skip_reason"] = self.skip_reason
        if self.witness is not None:
            data["witness"] = self.witness.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mutant:
        return cls(
            id=data["id"],
            name=data["name"],
            target=data.get("target", ""),
            file=data["file"],
            line=int(data["line"]),
            function=data.get("function", ""),
            status=Status(data["status"]),
            diff=data.get("diff", ""),
            tests=list(data.get("tests", [])),
            duration=data.get("duration"),
            cause=Cause(data["cause"]) if data.get("cause") else None,
            mocks=[Replacement.from_json(m) for m in data.get("mocks", [])],
            replaced_in=list(data.get("replaced_in", [])),
            hint=data.get("hint", ""),
            flaky=bool(data.get("flaky", False)),
            reused=bool(data.get("reused", False)),
            accepted_reason=data.get("accepted_reason", ""),
            skip_reason=data.get("skip_reason", ""),
            witness=Witness.from_json(data["witness"]) if data.get("witness") else None,
        )


@dataclass
class Counts:
    """Counts by status and cause for a set of mutants, with the derived scores."""

    killed: int = 0
    survived: int = 0
    no_tests: int = 0
    timeout: int = 0
    suspicious: int = 0
    skipped: int = 0
    accepted: int = 0
    type_error: int = 0
    not_checked: int = 0
    noise: int = 0  # of the skipped: mutants that tell nothing (gate.mutmut.noise), never run
    total: int = 0
    by_cause: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, mutants: list[Mutant]) -> Counts:
        counts = cls()
        for mutant in mutants:
            attr = str(mutant.status).replace("-", "_")
            setattr(counts, attr, getattr(counts, attr) + 1)
            counts.total += 1
            if mutant.status is Status.SKIPPED and mutant.skip_reason.startswith(NOISE_PREFIX):
                counts.noise += 1
            if mutant.cause is not None:
                key = str(mutant.cause)
                counts.by_cause[key] = counts.by_cause.get(key, 0) + 1
        counts.by_cause = dict(sorted(counts.by_cause.items()))
        return counts

    @property
    def scored(self) -> int:
        """The denominator: all mutants less skipped, accepted, type errors and unchecked ones."""
        return self.total - self.skipped - self.accepted - self.type_error - self.not_checked

    @property
    def detected(self) -> int:
        return self.killed + self.timeout

    @property
    def score(self) -> float | None:
        """(killed + timeout) / scored, in percent with one decimal; None when nothing is scored."""
        if self.scored <= 0:
            return None
        return round(100.0 * self.detected / self.scored, 1)

    @property
    def covered_score(self) -> float | None:
        """The score on code some test reaches: no-tests mutants left out (as Stryker does)."""
        covered = self.scored - self.no_tests
        if covered <= 0:
            return None
        return round(100.0 * self.detected / covered, 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "covered_score": self.covered_score,
            "killed": self.killed,
            "survived": self.survived,
            "no_tests": self.no_tests,
            "timeout": self.timeout,
            "suspicious": self.suspicious,
            "skipped": self.skipped,
            "skipped_noise": self.noise,
            "accepted": self.accepted,
            "type_error": self.type_error,
            "not_checked": self.not_checked,
            "total": self.total,
            "by_cause": dict(self.by_cause),
        }


@dataclass(frozen=True)
class BlindSpot:
    """A function of a target that got no mutants, and why (decorated, property, ...)."""

    file: str
    function: str
    line: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# The first line of the report of a run stopped by Ctrl-C or SIGTERM: what it shows is what it had reached.
PARTIAL = "partial report: the run was interrupted; mutants without a verdict are listed as not checked"

# The first line of every report of a run made with --no-causes.
CAUSES_NOT_COMPUTED = (
    "causes not computed: this run skipped the mock census (--no-causes), so no survivor says why"
)


@dataclass
class RunResult:
    """Everything one gate run produced; the in-memory form of gate-report/1."""

    mutants: list[Mutant]
    commit: str | None = None
    started: str = ""
    finished: str = ""
    duration_s: float = 0.0
    target_floors: dict[str, float | None] = field(default_factory=dict)
    fail_under: float | None = None
    blind_spots: list[BlindSpot] = field(default_factory=list)
    retested: int = 0
    reused: int = 0
    shard: dict[str, Any] | None = None  # {"index": K, "count": N, "total": M, "plan": id}
    config_fingerprint: str = ""
    comparison: dict[str, Any] | None = None  # vs the previous run: new/fixed survivors, deltas
    stale_accepted: list[str] = field(default_factory=list)
    selection: str = "all"  # all | targets | module | changed-lines | shard
    scope: dict[str, Any] | None = None  # changed-lines runs: base, merge base, changed ranges (diffscope)
    causes_computed: bool = True  # False after --no-causes: survivors carry no cause
    partial: bool = False  # the run was interrupted: the verdicts it had reached, not judged

    def by_target(self) -> dict[str, list[Mutant]]:
        groups: dict[str, list[Mutant]] = {name: [] for name in self.target_floors}
        for mutant in self.mutants:
            groups.setdefault(mutant.target, []).append(mutant)
        return groups

    def counts(self) -> Counts:
        return Counts.of(self.mutants)

    def survivors(self) -> list[Mutant]:
        return [m for m in self.mutants if m.status in UNDETECTED]

    def to_json(self) -> dict[str, Any]:
        targets = {}
        for name, mutants in sorted(self.by_target().items()):
            entry = Counts.of(mutants).to_json()
            entry["fail_under"] = self.target_floors.get(name)
            targets[name] = entry
        data: dict[str, Any] = {
            "schema": SCHEMA,
            "commit": self.commit,
            "started": self.started,
            "finished": self.finished,
            "duration_s": round(self.duration_s, 3),
            "selection": self.selection,
            "fail_under": self.fail_under,
            "config_fingerprint": self.config_fingerprint,
            "retested": self.retested,
            "reused": self.reused,
            "targets": targets,
            "summary": self.counts().to_json(),
            "mutants": [m.to_json() for m in sorted(self.mutants, key=_mutant_order)],
            "blind_spots": [b.to_json() for b in self.blind_spots],
            "stale_accepted": list(self.stale_accepted),
        }
        if not self.causes_computed:
            data["causes_computed"] = False  # absent means computed: reports of earlier versions read alike
        if self.partial:
            data["partial"] = True
        if self.shard is not None:
            data["shard"] = dict(self.shard)
        if self.comparison is not None:
            data["comparison"] = self.comparison
        if self.scope is not None:
            data["scope"] = self.scope
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResult:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} report (schema: {data.get('schema')!r})")
        return cls(
            mutants=[Mutant.from_json(m) for m in data.get("mutants", [])],
            commit=data.get("commit"),
            started=data.get("started", ""),
            finished=data.get("finished", ""),
            duration_s=float(data.get("duration_s", 0.0)),
            target_floors={name: t.get("fail_under") for name, t in data.get("targets", {}).items()},
            fail_under=data.get("fail_under"),
            blind_spots=[BlindSpot(**b) for b in data.get("blind_spots", [])],
            retested=int(data.get("retested", 0)),
            reused=int(data.get("reused", 0)),
            shard=data.get("shard"),
            config_fingerprint=data.get("config_fingerprint", ""),
            comparison=data.get("comparison"),
            stale_accepted=list(data.get("stale_accepted", [])),
            selection=data.get("selection", "all"),
            scope=data.get("scope"),
            causes_computed=bool(data.get("causes_computed", True)),
            partial=bool(data.get("partial", False)),
        )


def _mutant_order(mutant: Mutant) -> tuple[str, int, str]:
    return (mutant.file, mutant.line, mutant.id)


@dataclass
class Verdict:
    """Whether the gate passed, and every floor that was missed (one line each); the policy decides it."""

    exit_code: ExitCode
    overall: Counts
    targets: dict[str, Counts] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    fail_under: float | None = None

    @property
    def passed(self) -> bool:
        return self.exit_code == ExitCode.PASSED

    @classmethod
    def of(
        cls,
        failures: list[str],
        overall: Counts,
        targets: dict[str, Counts] | None = None,
        fail_under: float | None = None,
    ) -> Verdict:
        """Failed when any floor was missed, passed otherwise."""
        return cls(
            exit_code=ExitCode.FAILED if failures else ExitCode.PASSED,
            overall=overall,
            targets=targets or {},
            failures=failures,
            fail_under=fail_under,
        )


@dataclass(frozen=True)
class TargetRecord:
    """One target's figures in one past run."""

    score: float | None
    covered_score: float | None
    total: int
    counts: dict[str, int] = field(default_factory=dict)  # "status" or "status/cause" -> count

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "covered_score": self.covered_score,
            "total": self.total,
            "counts": dict(self.counts),
        }


@dataclass(frozen=True)
class RunRecord:
    """One past run as the history keeps it."""

    id: int
    commit: str | None
    started: str
    finished: str
    duration_s: float
    selection: str
    score: float | None
    covered_score: float | None
    total: int
    retested: int
    reused: int
    targets: dict[str, TargetRecord]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "commit": self.commit,
            "started": self.started,
            "finished": self.finished,
            "duration_s": self.duration_s,
            "selection": self.selection,
            "score": self.score,
            "covered_score": self.covered_score,
            "total": self.total,
            "retested": self.retested,
            "reused": self.reused,
            "targets": {name: t.to_json() for name, t in sorted(self.targets.items())},
        }
