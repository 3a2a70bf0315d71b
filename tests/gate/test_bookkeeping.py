"""Coalesced meta writes and the throttled summary line (gate.mutmut.bookkeeping), on mutmut's own
`SourceFileMutationData` writing real meta files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mutmut.mutation.data import SourceFileMutationData

from gate.mutmut.bookkeeping import CoalescedSaves, bounded, throttled_summary


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def data_class() -> type[SourceFileMutationData]:
    # A subclass per test: activating replaces `save` on it, never on mutmut's class itself.
    class Data(SourceFileMutationData):
        pass

    return Data


@pytest.fixture
def in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mutants" / "pkg").mkdir(parents=True)
    return tmp_path


def on_disk(root: Path, path: str) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((root / "mutants" / f"{path}.meta").read_text(encoding="utf-8"))
    return meta["exit_code_by_key"]


def test_a_save_within_the_interval_waits_and_the_next_one_after_it_writes_the_latest(
    in_project: Path, data_class: type[SourceFileMutationData]
) -> None:
    clock = Clock()
    saves = CoalescedSaves(data_class, clock, interval=1.0)
    saves.activate()
    data = data_class(path="pkg/a.py")
    data.exit_code_by_key = {"pkg.a.x_f__mutmut_1": 1, "pkg.a.x_f__mutmut_2": None}
    data.save()
    assert on_disk(in_project, "pkg/a.py") == {"pkg.a.x_f__mutmut_1": 1, "pkg.a.x_f__mutmut_2": None}

    data.exit_code_by_key["pkg.a.x_f__mutmut_2"] = 0
    clock.now += 0.9
    data.save()
    assert on_disk(in_project, "pkg/a.py") == {"pkg.a.x_f__mutmut_1": 1, "pkg.a.x_f__mutmut_2": None}
    assert saves.writes == 1

    clock.now += 0.1
    data.save()
    assert on_disk(in_project, "pkg/a.py") == {"pkg.a.x_f__mutmut_1": 1, "pkg.a.x_f__mutmut_2": 0}
    assert saves.writes == 2
    assert saves.pending == {}


def test_each_file_has_its_own_interval_and_deactivating_writes_what_is_pending(
    in_project: Path, data_class: type[SourceFileMutationData]
) -> None:
    clock = Clock()
    saves = CoalescedSaves(data_class, clock, interval=1.0)
    original = data_class.save
    saves.activate()
    a, b = data_class(path="pkg/a.py"), data_class(path="pkg/b.py")
    a.exit_code_by_key = {"pkg.a.x_f__mutmut_1": None}
    b.exit_code_by_key = {"pkg.b.x_g__mutmut_1": None}
    a.save()
    b.save()  # another file: written at once, though a was written at the same moment
    assert on_disk(in_project, "pkg/b.py") == {"pkg.b.x_g__mutmut_1": None}

    a.exit_code_by_key["pkg.a.x_f__mutmut_1"] = 1
    b.exit_code_by_key["pkg.b.x_g__mutmut_1"] = 36
    a.save()
    b.save()
    assert on_disk(in_project, "pkg/a.py") == {"pkg.a.x_f__mutmut_1": None}
    assert on_disk(in_project, "pkg/b.py") == {"pkg.b.x_g__mutmut_1": None}

    saves.deactivate()
    assert on_disk(in_project, "pkg/a.py") == {"pkg.a.x_f__mutmut_1": 1}
    assert on_disk(in_project, "pkg/b.py") == {"pkg.b.x_g__mutmut_1": 36}
    assert saves.writes == 4
    assert data_class.save is original

    a.exit_code_by_key["pkg.a.x_f__mutmut_1"] = 0
    a.save()  # mutmut's own save again: written at once, whatever the clock says
    assert on_disk(in_project, "pkg/a.py") == {"pkg.a.x_f__mutmut_1": 0}
    assert saves.writes == 4


class Runner:
    """The runner's two calls that bracket the mutants (a collaborator of `bounded`), recording the order
    they were made in; its shutdown can be interrupted, as a stop by SIGINT does."""

    def __init__(self, fail_shutdown: bool = False) -> None:
        self.fail_shutdown = fail_shutdown
        self.calls: list[str] = []

    def startup(self) -> None:
        self.calls.append("startup")

    def shutdown(self) -> None:
        self.calls.append("shutdown")
        if self.fail_shutdown:
            raise KeyboardInterrupt


@pytest.mark.parametrize("fail_shutdown", [False, True], ids=["shutdown", "shutdown interrupted"])
def test_bounded_coalesces_only_between_startup_and_shutdown(
    in_project: Path, data_class: type[SourceFileMutationData], fail_shutdown: bool
) -> None:
    clock = Clock()
    original = data_class.save
    data = data_class(path="pkg/a.py")
    runner = Runner(fail_shutdown)
    assert bounded(runner, data_class, clock) is runner

    data.exit_code_by_key = {"pkg.a.x_f__mutmut_1": None}
    data.save()
    data.exit_code_by_key = {"pkg.a.x_f__mutmut_1": 33}
    data.save()  # before startup: mutmut's own save, written each time
    assert on_disk(in_project, "pkg/a.py") == {"pkg.a.x_f__mutmut_1": 33}

    runner.startup()
    data.exit_code_by_key = {"pkg.a.x_f__mutmut_1": 1}
    data.save()
    data.exit_code_by_key = {"pkg.a.x_f__mutmut_1": 0}
    data.save()
    assert on_disk(in_project, "pkg/a.py") == {"pkg.a.x_f__mutmut_1": 1}

    if fail_shutdown:
        with pytest.raises(KeyboardInterrupt):
            runner.shutdown()
    else:
        runner.shutdown()
    assert runner.calls == ["startup", "shutdown"]
    assert on_disk(in_project, "pkg/a.py") == {"pkg.a.x_f__mutmut_1": 0}
    assert data_class.save is original


def test_the_summary_is_counted_once_an_interval_and_always_when_forced() -> None:
    clock = Clock()
    printed: list[tuple[str, bool]] = []

    def print_stats(data: str, force_output: bool = False) -> None:
        printed.append((data, force_output))

    summary = throttled_summary(print_stats, clock, interval=0.5)
    summary("first")
    clock.now += 0.2
    summary("skipped")
    clock.now += 0.3
    summary("second")
    summary("forced", force_output=True)
    assert printed == [("first", False), ("second", False), ("forced", True)]
