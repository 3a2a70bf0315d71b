"""The command line: complete help, and bad input as one line with exit 2 (never a traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.cli import cli
from tests.gate.projects import make_project


@pytest.mark.parametrize("command", [[], ["run"], ["check"], ["report"], ["doctor"]])
def test_every_help_is_complete(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output
    if command in (["run"], ["check"]):
        for option in (
            "--format",
            "--output",
            "--json",
            "--fail-under",
            "--max-children",
            "--no-progress",
            "--quiet",
            "--no-causes",
            "--witness-budget",
        ):
            assert option in result.output
    if not command:
        for name in ("run", "check", "report", "doctor"):
            assert f"  {name}" in result.output


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_the_version_is_the_installed_one(flag: str) -> None:
    from importlib.metadata import version

    result = CliRunner().invoke(cli, [flag, "run"])  # eager: nothing after it runs
    assert (result.exit_code, result.output) == (0, f"gate, version {version('gate')}\n")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "nosuchtarget"], "gate: error: unknown target 'nosuchtarget' (configured targets: core)"),
        (["check", "pkg/nothere.py"], "gate: error: no module 'pkg/nothere.py' in this project"),
        (["check", "pkg.calc:nosuch"], "gate: error: pkg/calc.py has no function 'nosuch'"),
        (["check", "pkg.calc:grad"], "(did you mean 'grade'?)"),
        (["check", "tests/test_calc.py"], "is not mutated by mutmut"),
        (["report"], "no results yet (run `gate run` first)"),
        (["report", "-f", "pdf"], "Invalid value for '--format'"),
        (["check", "pkg/calc.py", "--witness-budget", "-1"], "Invalid value for '--witness-budget'"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], expected: str
) -> None:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "mutants").exists()


def test_report_rerenders_results_without_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    report = {
        "schema": "gate-report/1",
        "fail_under": 50,
        "targets": {"core": {"fail_under": None, "total": 1, "killed": 1}},
        "summary": {"total": 1, "killed": 1},
        "mutants": [
            {
                "id": "a1",
                "name": "pkg.calc.x_add__mutmut_1",
                "target": "core",
                "file": "pkg/calc.py",
                "line": 5,
                "function": "add",
                "status": "killed",
            },
        ],
    }
    (tmp_path / ".gate").mkdir()
    (tmp_path / ".gate" / "results.json").write_text(json.dumps(report))
    result = CliRunner().invoke(cli, ["report", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["summary"]["score"] == 100.0
    out = tmp_path / "out" / "r.json"
    result = CliRunner().invoke(cli, ["report", "-f", "json", "-o", str(out), "--fail-under", "100"])
    assert result.exit_code == 0
    assert json.loads(out.read_text())["mutants"][0]["id"] == "a1"
    assert not (tmp_path / "mutants").exists()


def test_unreadable_results_is_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gate").mkdir()
    (tmp_path / ".gate" / "results.json").write_text('{"schema": "other/9"}')
    result = CliRunner().invoke(cli, ["report"])
    assert (result.exit_code, result.output) == (
        3,
        f"gate: error: {tmp_path}/.gate/results.json: not a valid gate report: `schema` must be gate-report/1, "
        'got "other/9"\n',
    )
