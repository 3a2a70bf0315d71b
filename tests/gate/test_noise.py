"""Noise: mutants inside logging calls, docstrings and __repr__ are skipped unrun and counted as such."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.mutmut.noise import CACHE, KINDS, mark, noise_kind
from tests.gate.projects import make_project

SHAPES = """\
import logging
import warnings

logger = logging.getLogger(__name__)


def scale(x, factor=2):
    \"\"\"Multiply x by factor.\"\"\"
    logger.info("scaling %s by %s", x, factor)
    if x < 0:
        warnings.warn("negative input")
    return x * factor


class Box:
    def __init__(self, size):
        self.size = size

    def __repr__(self):
        return "Box(" + str(self.size) + ")"
"""

SHAPES_TESTS = """\
from pkg.shapes import Box, scale


def test_scale():
    assert scale(3) == 6


def test_box():
    assert Box(2).size == 2
"""

# What mutmut 3.8 makes of SHAPES: scale has 15 mutants (8 in the logger call, 3 in warnings.warn),
# Box.__init__ 1, Box.__repr__ 7. Docstrings get no mutants from mutmut 3.8.
LOGGING = {f"pkg.shapes.x_scale__mutmut_{n}" for n in (2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14)}
REPR = {f"pkg.shapes.xǁBoxǁ__repr____mutmut_{n}" for n in range(1, 8)}
RUN = {
    "pkg.shapes.x_scale__mutmut_1",
    "pkg.shapes.x_scale__mutmut_10",
    "pkg.shapes.x_scale__mutmut_11",
    "pkg.shapes.x_scale__mutmut_15",
    "pkg.shapes.xǁBoxǁ__init____mutmut_1",
}


def _by_status(report: dict) -> dict[str, set[str]]:  # type: ignore[type-arg]
    found: dict[str, set[str]] = {}
    for mutant in report["mutants"]:
        key = mutant["status"] + (f" ({mutant['skip_reason']})" if mutant.get("skip_reason") else "")
        found.setdefault(key, set()).add(mutant["name"])
    return found


def test_noise_is_skipped_never_run_and_counted_and_the_setting_gives_it_back(tmp_path: Path) -> None:
    project = make_project(tmp_path, source={"shapes.py": SHAPES}, tests={"test_shapes.py": SHAPES_TESTS})

    proc = project.gate("run", "--json", "--no-causes")
    assert proc.returncode == 1, proc.stderr  # 3 of 5 run mutants killed: 60% under the floor of 80
    report = json.loads(proc.stdout)
    assert _by_status(report) == {
        "killed": {n for n in RUN if not n.endswith(("_10", "_11"))},
        "survived": {"pkg.shapes.x_scale__mutmut_10", "pkg.shapes.x_scale__mutmut_11"},
        "skipped (noise: logging)": LOGGING,
        "skipped (noise: repr)": REPR,
    }
    assert (report["summary"]["skipped"], report["summary"]["skipped_noise"], report["summary"]["score"]) == (
        18,
        18,
        60.0,
    )
    # mutmut never ran them: it records a duration for every mutant it tests, and only for those.
    meta = project.meta("shapes.py")
    assert set(meta["durations_by_key"]) == RUN
    assert {n for n, code in meta["exit_code_by_key"].items() if code == 34} == LOGGING | REPR

    text = project.gate("report", "-f", "text", "--details").stdout.splitlines()
    assert text[-2] == (
        "overall  score 60.0%  covered 60.0%  killed 3  survived 2  no-tests 0  timeout 0  "
        "skipped (noise) 18  total 23  floor 80%"
    )
    markdown = project.gate("report", "-f", "markdown").stdout.splitlines()
    assert "18 skipped (noise)" in markdown
    stryker = json.loads(project.gate("report", "-f", "stryker").stdout)
    reasons = {
        m["statusReason"] for m in stryker["files"]["pkg/shapes.py"]["mutants"] if m["status"] == "Ignored"
    }
    assert reasons == {"skipped (noise: logging)", "skipped (noise: repr)"}
    sarif = json.loads(project.gate("report", "-f", "sarif").stdout)
    assert sarif["runs"][0]["properties"]["skippedNoise"] == 18
    html = project.gate("report", "-f", "html").stdout
    assert '<td data-col="noise">18</td>' in html

    # Only __repr__ is noise now: the logging mutants go back to mutmut and are tested.
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('tests = ["tests"]', 'tests = ["tests"]\nskip_noise = ["repr"]')
    )
    proc = project.gate("run", "--json", "--no-causes")
    report = json.loads(proc.stdout)
    assert _by_status(report)["skipped (noise: repr)"] == REPR
    assert report["summary"]["skipped_noise"] == 7
    assert set(project.meta("shapes.py")["durations_by_key"]) == RUN | LOGGING

    # Nothing is noise: every mutant is tested.
    pyproject.write_text(pyproject.read_text().replace('skip_noise = ["repr"]', "skip_noise = false"))
    proc = project.gate("run", "--json", "--no-causes")
    report = json.loads(proc.stdout)
    assert report["summary"]["skipped"] == 0
    # No test calls __repr__: unskipped, its mutants count against the score as untested.
    assert _by_status(report)["no-tests"] == REPR
    assert _by_status(report)["survived"] == LOGGING | {
        "pkg.shapes.x_scale__mutmut_10",
        "pkg.shapes.x_scale__mutmut_11",
    }


def test_decisions_are_cached_by_the_mutated_copy_and_made_again_when_it_changes(tmp_path: Path) -> None:
    project = make_project(tmp_path, source={"shapes.py": SHAPES}, tests={"test_shapes.py": SHAPES_TESTS})
    assert project.gate("run", "--no-causes", "-q").returncode == 1
    expected = {name: "logging" for name in LOGGING} | {name: "repr" for name in REPR}
    cached = json.loads((tmp_path / CACHE).read_text(encoding="utf-8"))
    assert cached["pkg/shapes.py"]["checked"] == expected | dict.fromkeys(RUN, "")

    # Verdicts reset (as after a test edit), and the index the decisions are read from made unreadable:
    # the same marks come from the cache, since the mutated copy is the one they were decided on.
    meta_path = tmp_path / "mutants" / "pkg" / "shapes.py.meta"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["exit_code_by_key"] = dict.fromkeys(meta["exit_code_by_key"])
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    (tmp_path / "mutants" / "pkg" / "shapes.py.spans").write_text("{}", encoding="utf-8")
    assert mark(tmp_path, ["pkg/shapes.py"], KINDS) == expected
    assert {n for n, code in project.meta("shapes.py")["exit_code_by_key"].items() if code == 34} == set(
        expected
    )

    # Another mutated copy: decided again, from the (unreadable) index: nothing is marked or cached.
    copy = tmp_path / "mutants" / "pkg" / "shapes.py"
    copy.write_text(copy.read_text(encoding="utf-8") + "# regenerated\n", encoding="utf-8")
    assert mark(tmp_path, ["pkg/shapes.py"], KINDS) == {}
    assert project.meta("shapes.py")["exit_code_by_key"] == dict.fromkeys(meta["exit_code_by_key"])
    assert json.loads((tmp_path / CACHE).read_text(encoding="utf-8")) == {}


@pytest.mark.parametrize(
    ("original", "mutant", "kind"),
    [
        ('    self._logger.warning("no %s", x)\n', '    self._logger.warning("XXno %sXX", x)\n', "logging"),
        (
            "    logging.getLogger(__name__).debug(x)\n",
            "    logging.getLogger(__name__).debug(None)\n",
            "logging",
        ),
        ("    logging.error('a %s', b + 1)\n", "    logging.error('a %s', b - 1)\n", "logging"),
        ("    log.exception('boom')\n", "    log.exception('BOOM')\n", "logging"),
        ("    raise ValueError('bad')\n", "    raise ValueError('XXbadXX')\n", None),
        ("    print('x')\n", "    print('XXxXX')\n", None),
        ("    self.items.info('x')\n", "    self.items.info('y')\n", None),
        ("    y = x + 1\n    logger.info(y)\n", "    y = x - 1\n    logger.info(y)\n", None),
    ],
)
def test_noise_kind_reads_the_changed_node_and_its_enclosing_call(
    original: str, mutant: str, kind: str | None
) -> None:
    head = "def f(self, x, b):\n"
    assert noise_kind(head + original, "def x_f__mutmut_3(self, x, b):\n" + mutant) == kind


def test_docstrings_and_repr_and_the_kinds_asked_for() -> None:
    doc = 'def f():\n    """Say hi."""\n    return 1\n'
    assert noise_kind(doc, doc.replace("Say hi.", "XXSay hi.XX")) == "docstrings"
    assert noise_kind(doc, doc.replace("return 1", "return 2")) is None
    method = "def __repr__(self):\n    return 'B'\n"
    assert noise_kind(method, method.replace("'B'", "'XXBXX'")) == "repr"
    assert noise_kind(method, method.replace("'B'", "'XXBXX'"), kinds=["logging"]) is None
    assert noise_kind(doc, doc.replace("Say hi.", "XXSay hi.XX"), kinds=[]) is None


TRICKY = '''\
import logging

log = logging.getLogger(__name__)


def fetch(url, retries=3):
    """Fetch url.

    Retries a few times.
    """
    log.warning(
        "retrying %s after %d failures",
        url,
        retries + 0,
    )
    total = retries + 1
    log.debug("total %s", total)
    return total * 2 if url else None


def plain(a, b=1):
    return a - b
'''


def test_the_line_filter_decides_as_parsing_every_mutant_does(tmp_path: Path) -> None:
    """Mutants whose changed lines lie outside every docstring and logging call are decided without a
    parse: on real mutmut mutants of multi-line calls, a def line default and plain code, the decisions
    are those of parsing every mutant."""
    import subprocess
    import sys

    from gate.mutmut.names import local_of, original_of
    from gate.mutmut.noise import _changed_lines, _kinds, _noise_lines

    project = make_project(
        tmp_path, source={"tricky.py": TRICKY}, tests={"test_tricky.py": "def test_x():\n    pass\n"}
    )
    generated = subprocess.run(
        [sys.executable, "-m", "gate.mutmut.entry", "--skip-noise", "", "generate", "--max-children", "1"],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=120,
        env=project.env(),
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    path = project.source_path("tricky.py")
    names = list(project.meta("tricky.py")["exit_code_by_key"])
    spans = json.loads((project.root / "mutants" / f"{path}.spans").read_text(encoding="utf-8"))["spans"]
    lines = (project.root / "mutants" / path).read_text(encoding="utf-8").splitlines(keepends=True)

    def text(local: str) -> str:
        start, end = spans[local]
        return "".join(lines[start - 1 : end])

    every = {
        name: kind
        for name in names
        if (kind := noise_kind(text(original_of(name)), text(local_of(name)), KINDS))
    }
    assert _kinds(project.root, path, names, KINDS) == every
    # fetch's code mutants are told apart by their lines alone, so none of them is parsed: in mutmut's
    # copy (two blank lines, then the def) the docstring is lines 4-7 and the logging calls 8-12 and 14,
    # and they change line 13 (`total = ...`) or 15 (`return ...`); the default (mutant 1) line 3.
    original = text("x_fetch__mutmut_orig")
    assert _noise_lines(original, KINDS) == [(4, 7), (8, 12), (14, 14)]
    changed = {
        n: _changed_lines(
            original, text(f"x_fetch__mutmut_{n}"), "x_fetch__mutmut_orig", f"x_fetch__mutmut_{n}"
        )
        for n in (1, 12, 13, 14, 21, 22, 23, 24)
    }
    assert changed == {1: (3, 3), 12: (13, 13), 13: (13, 13), 14: (13, 13)} | {
        n: (15, 15) for n in (21, 22, 23, 24)
    }
    # A mutant whose generated name is not where it is expected is left to the parse.
    assert _changed_lines(original, text("x_fetch__mutmut_13"), "x_fetch__mutmut_orig", "x_other") is None
    # The two logging calls' 16 mutants are noise; the def line's default, the code's and plain's are not.
    assert every == {f"pkg.tricky.x_fetch__mutmut_{n}": "logging" for n in (*range(2, 12), *range(15, 21))}
    assert sorted(set(names) - set(every)) == sorted(
        [f"pkg.tricky.x_fetch__mutmut_{n}" for n in (1, 12, 13, 14, 21, 22, 23, 24)]
        + ["pkg.tricky.x_plain__mutmut_1", "pkg.tricky.x_plain__mutmut_2"]
    )
