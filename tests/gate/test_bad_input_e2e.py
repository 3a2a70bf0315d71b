"""Bad input and a hostile environment: results per scope, files that cannot be written or do not hold what
they claim, a syntax error in a target, no floor, signals and git, each said in one line with its exit code.
"""

from __future__ import annotations

import ast
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gate.cli import cli
from gate.commands.common import warn
from gate.config import load_config
from gate.mutmut.process import Progress
from gate.progress import ProgressReporter
from tests.gate.git_helpers import GitRepo
from tests.gate.projects import CALC_SOURCE, Project, make_project
from tests.gate.run_watch import busy_project, decided, lock_is_free, processes_in, wait_for, wait_until_gone

pytestmark = pytest.mark.e2e

# The calc project's weak suite scores 38.5% (5 of 13): a floor of 30 passes it.
FLOOR = 30
SLOW_TESTS = "import time\n\nfrom pkg import slow\n" + "".join(
    f"\n\ndef test_f{i}():\n    time.sleep(0.3)\n    assert slow.f{i}(1) == {1 + i}\n" for i in range(1, 9)
)


def committed(root: Path, **options: Any) -> Project:
    """A project in a git repository with everything committed."""
    repo = GitRepo(root)
    project = make_project(root, **options)
    repo.commit("project")
    return project


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The calc project after one full run."""
    project = committed(tmp_path_factory.mktemp("full"), fail_under=FLOOR)
    proc = project.gate("run", "-q")
    assert proc.returncode == 0, proc.stderr
    return project


def stderr_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return proc.stderr.splitlines()


# -- 1. results per scope -------------------------------------------------------------------------------


def test_pr_and_check_keep_the_full_runs_results(full: Project) -> None:
    results = full.root / ".gate" / "results.json"
    before = results.read_text(encoding="utf-8")

    pr = full.gate("pr", "--base", "HEAD", "-q")
    check = full.gate("check", "pkg/calc.py:add", "-q")

    assert pr.returncode == 0, pr.stderr
    assert check.returncode == 0, check.stderr
    assert results.read_text(encoding="utf-8") == before
    assert json.loads((full.root / ".gate" / "results-pr.json").read_text())["selection"] == "changed-lines"
    check_result = json.loads((full.root / ".gate" / "results-check.json").read_text())
    assert (check_result["selection"], check_result["summary"]["total"]) == ("function", 1)
    report = full.gate("report", "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout) == json.loads(before)
    assert json.loads(full.gate("report", "--json", "--scope", "check").stdout) == check_result
    text = full.gate("report")
    assert text.stdout.splitlines()[-1] == "gate: passed"
    assert "overall  score 38.5%" in text.stdout


# -- 2. state that cannot be written --------------------------------------------------------------------


def read_only(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m gate ARGS` in `root` mounted read-only (a private mount in a user namespace)."""
    script = 'mount --bind -o ro "$0" "$0" && cd "$0" && exec "$@"'
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "MUTANT_UNDER_TEST"}}
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, str(root)]
        + [sys.executable, "-m", "gate", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "NO_COLOR": "1"},
    )


def can_mount_read_only(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        [
            "unshare",
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            'mount --bind -o ro "$0" "$0"',
            tmp_path,
        ],
        capture_output=True,
    )
    return probe.returncode == 0


def test_a_read_only_tree_is_one_line_and_exit_2(full: Project, tmp_path: Path) -> None:
    if not can_mount_read_only(tmp_path):
        pytest.skip("this machine allows no private read-only mount (unshare --user --mount)")
    lock = full.root / ".gate" / "run.lock"
    for args in (("run", "-q"), ("check", "pkg/calc.py", "-q")):
        proc = read_only(full.root, *args)
        assert (proc.returncode, stderr_lines(proc)) == (
            2,
            [f"gate: error: cannot write {lock}: Read-only file system"],
        ), args
    doctor = read_only(full.root, "doctor")
    assert doctor.returncode == 2
    assert doctor.stderr.splitlines()[-1].startswith("gate: error: cannot write ")
    assert doctor.stderr.splitlines()[-1].endswith(": Read-only file system")
    assert "Traceback" not in doctor.stderr

    out = tmp_path / "report.txt"
    written = read_only(full.root, "report", "-o", str(out))
    assert (written.returncode, stderr_lines(written)) == (0, [f"gate: report written to {out}"])
    assert out.read_text(encoding="utf-8").splitlines()[-1] == "gate: passed"


# -- 3. files read back are validated --------------------------------------------------------------------


def report_of(root: Path, text: str, *args: str) -> Any:
    (root / ".gate").mkdir(exist_ok=True)
    (root / ".gate" / "results.json").write_text(text, encoding="utf-8")
    return CliRunner().invoke(cli, ["report", *args])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"schema":"gate-report/1"}', "`mutants` is missing"),
        ("[]", "expected a JSON object, got list"),
        ('{"schema":"gate-report/1","mutants":[],"targets":{}}', "`summary` is missing"),
        (
            '{"schema":"gate-report/1","mutants":[{"id":"a","name":"n","file":"f","line":"7","status":"killed"}],'
            '"summary":{"total":1},"targets":{}}',
            '`mutants[0].line` must be a line number, got "7"',
        ),
        (
            '{"schema":"gate-report/1","mutants":[{"id":"a","name":"n","file":"f","line":7,"status":"won"}],'
            '"summary":{"total":1},"targets":{}}',
            "`mutants[0].status` must be one of accepted, killed, no-tests, not-checked, skipped, "
            'survived, suspicious, timeout, type-error, got "won"',
        ),
    ],
)
def test_a_gutted_results_file_is_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, problem: str
) -> None:
    monkeypatch.chdir(tmp_path)
    done = report_of(tmp_path, text)
    assert (done.exit_code, done.output) == (
        3,
        f"gate: error: {tmp_path}/.gate/results.json: not a valid gate report: {problem}\n",
    )


def test_counts_that_differ_from_the_mutants_listed_are_exit_3(
    full: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = full.report()
    monkeypatch.chdir(tmp_path)
    for where, key, problem in (
        ("summary", "killed", "`summary.killed` says 13 but 5 such mutant(s) are listed"),
        ("targets", "survived", "`targets.core.survived` says 0 but 6 such mutant(s) are listed"),
    ):
        lying = json.loads(json.dumps(data))
        (lying["summary"] if where == "summary" else lying["targets"]["core"])[key] = (
            13 if key == "killed" else 0
        )
        done = report_of(tmp_path, json.dumps(lying))
        assert (done.exit_code, done.output) == (
            3,
            f"gate: error: {tmp_path}/.gate/results.json: not a valid gate report: {problem}\n",
        )
    twice = json.loads(json.dumps(data))
    twice["mutants"].append(twice["mutants"][0])
    twice["summary"]["total"] += 1
    done = report_of(tmp_path, json.dumps(twice))
    assert done.exit_code == 3
    assert done.output.endswith(f"mutant id {twice['mutants'][0]['id']} is listed twice\n")


def test_a_tampered_shard_is_refused_by_merge(
    full: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shard = full.report()
    shard["shard"] = {"index": 1, "count": 1, "total": 13, "plan": "p"}
    shard["summary"]["survived"] = 0
    path = tmp_path / "shard-1.json"
    path.write_text(json.dumps(shard), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(cli, ["merge", str(path), "-o", str(tmp_path / "merged.json")])
    assert (done.exit_code, done.output) == (
        3,
        f"gate: error: shard result {path}: not a valid gate report: "
        "`summary.survived` says 0 but 6 such mutant(s) are listed\n",
    )
    assert not (tmp_path / "merged.json").exists()


# -- 4. children die with the gate ------------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_kill_9_of_the_gate_ends_mutmut_and_its_workers_and_frees_the_lock(tmp_path: Path) -> None:
    project = busy_project(tmp_path)
    running = project.popen_gate("run", "--no-progress")
    wait_for(running, lambda: decided(project))
    assert running.poll() is None, running.communicate()
    workers = [pid for pid in processes_in(tmp_path) if pid != running.pid]
    assert len(workers) >= 2  # mutmut and at least one forked worker

    running.send_signal(signal.SIGKILL)
    running.communicate(timeout=30)

    assert wait_until_gone(tmp_path, within_s=3.0) == []  # the busy workers had many seconds left
    assert lock_is_free(tmp_path)


# -- 5. a syntax error in a target -----------------------------------------------------------------------


def test_a_syntax_error_in_a_target_names_the_file_and_line(tmp_path: Path) -> None:
    broken = CALC_SOURCE + "def broken(:\n"
    project = make_project(tmp_path, source={"calc.py": broken}, fail_under=FLOOR)
    with pytest.raises(SyntaxError) as expected:
        ast.parse(broken)
    proc = project.gate("run", "-q")
    assert (proc.returncode, stderr_lines(proc)) == (
        2,
        [f"gate: error: pkg/calc.py:{expected.value.lineno}: {expected.value.msg}"],
    )
    assert not (tmp_path / "mutants").exists()  # nothing ran


# -- 6. no floor -----------------------------------------------------------------------------------------


def test_a_missing_floor_is_refused_with_what_to_add(tmp_path: Path) -> None:
    project = make_project(tmp_path, fail_under=None)
    proc = project.gate("run", "-q")
    assert (proc.returncode, stderr_lines(proc)) == (
        2,
        [
            "gate: error: no score floor: add `fail_under = 80` to [tool.gate] in pyproject.toml "
            "(or pass --fail-under PCT; `fail_under = 0` lets any score pass)"
        ],
    )
    assert not (tmp_path / "mutants").exists()


# -- 7-9. warnings once, the umask, CI progress ---------------------------------------------------------


def test_each_warning_is_shown_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, targets={"core": ["pkg/calc.py"], "later": ["pkg/later.py"]})
    config = load_config(tmp_path)
    assert config.warnings == ("target later: pkg/later.py not found (yet); skipped",)

    @cli.command("twice")
    def twice() -> None:  # a command whose steps both show the configuration's warnings
        warn(config, quiet=False)
        warn(config, quiet=False)

    try:
        done = CliRunner().invoke(cli, ["twice"])
    finally:
        del cli.commands["twice"]
    assert done.output == f"gate: warning: {config.warnings[0]}\n"


def test_reports_honour_the_umask(full: Project, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [
            "sh",
            "-c",
            'umask 022 && exec "$@"',
            "sh",
            sys.executable,
            "-m",
            "gate",
            "report",
            "-q",
            "-f",
            "json",
            "-o",
            str(out),
        ],
        cwd=full.root,
        capture_output=True,
        text=True,
        env=full.env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert stat.S_IMODE((full.root / ".gate" / "results.json").stat().st_mode) == 0o644


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ci_gets_plain_progress_lines_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    stream = Terminal()
    with ProgressReporter(stream=stream) as progress:
        progress.update(Progress(done=2, total=4, killed=1, survived=1, other=0, elapsed_s=3.0))
    line = "gate: 2/4 mutants (50%), 1 killed, 1 survived, 0 other, 3.0 s, ETA 3 s\n"
    assert stream.getvalue() == line + line  # the first update, then the last state at the end


# -- 10. SIGTERM ------------------------------------------------------------------------------------------


def test_sigterm_exits_143(tmp_path: Path) -> None:
    project = busy_project(tmp_path, SLOW_TESTS, children=1)
    running = project.popen_gate("run", "--no-progress")
    wait_for(running, (project.root / "mutants" / "pkg" / "slow.py.meta").is_file)
    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=60)
    assert (running.returncode, stderr.splitlines()[-1]) == (
        143,
        "gate: interrupted; verdicts reached so far are kept",
    )


# -- 11. outside git --------------------------------------------------------------------------------------


def test_pr_outside_a_git_repository_says_so(tmp_path: Path) -> None:
    project = make_project(tmp_path, fail_under=FLOOR)
    proc = project.gate("pr", "--base", "main", "-q", env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert (proc.returncode, stderr_lines(proc)) == (
        2,
        [f"gate: error: {tmp_path} is not a git repository: `gate pr` compares HEAD with a base ref"],
    )
