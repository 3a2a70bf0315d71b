"""Generation paid once per content: `gate check` starts no mutmut generation while nothing it reads
changed, and starts one after any such change."""

from __future__ import annotations

from pathlib import Path

from gate.config import load_config
from gate.mutmut.generated import content_key
from tests.gate.projects import CALC_TESTS_STRONG, make_project

SETTINGS = ["python", "-m", "gate.mutmut.entry", "--skip-noise", "log_call,docstring,repr"]


def test_the_key_follows_sources_settings_and_mutmuts_configuration_not_tests(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    config = load_config(tmp_path)
    key = content_key(config, SETTINGS)
    assert content_key(config, SETTINGS) == key

    project.write("tests/test_calc.py", "def test_other():\n    assert True\n")
    assert content_key(config, SETTINGS) == key  # tests are copied by the run, not by generation

    changes = [
        lambda: project.write("pkg/calc.py", (tmp_path / "pkg/calc.py").read_text() + "\n# edited\n"),
        lambda: project.write("pkg/__init__.py", "VERSION = 2\n"),  # not mutated, but copied
        lambda: project.write("setup.cfg", (tmp_path / "setup.cfg").read_text() + "\n"),
    ]
    seen = {key}
    for change in changes:
        change()
        seen.add(content_key(config, SETTINGS))
    seen.add(content_key(config, [*SETTINGS[:-1], "log_call"]))
    assert len(seen) == 5  # every change made a new key


def test_check_generates_only_after_a_change(tmp_path: Path) -> None:
    project = make_project(tmp_path, tests={"test_calc.py": CALC_TESTS_STRONG}, fail_under=0)
    log = tmp_path / ".gate" / "mutmut.log"
    first = project.gate("check", "pkg/calc.py", "-q")
    assert first.returncode == 0, first.stderr
    verdicts = {m["name"]: m["status"] for m in project.report("check")["mutants"]}

    log.unlink()
    again = project.gate("check", "pkg/calc.py", "-q")
    assert again.returncode == 0, again.stderr
    assert not log.exists()  # no mutmut process at all: nothing to generate, nothing to test
    assert {m["name"]: m["status"] for m in project.report("check")["mutants"]} == verdicts

    source = tmp_path / "pkg" / "calc.py"
    project.write("pkg/calc.py", source.read_text().replace("return a + b", "return b + a"))
    edited = project.gate("check", "pkg/calc.py", "-q")
    assert edited.returncode == 0, edited.stderr
    assert " generate " in log.read_text()
    after = {m["name"]: m for m in project.report("check")["mutants"]}
    assert set(after) == set(verdicts)
    removed = {
        line[1:].strip()
        for name, mutant in after.items()
        if name.startswith("pkg.calc.x_add")
        for line in mutant["diff"].splitlines()
        if line.startswith("- ")
    }
    assert removed == {"return b + a"}  # the mutants of the edited code, not the cached ones
