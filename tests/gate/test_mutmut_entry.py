"""The mutmut internals the entry calls: present in the supported mutmut, named in one line when not."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gate.mutmut.entry import REQUIRED, UNSUPPORTED, missing_names
from gate.mutmut.process import classify_failure


def test_the_installed_mutmut_has_every_name_the_entry_calls() -> None:
    assert missing_names(REQUIRED) == []


def test_missing_modules_and_attributes_are_named() -> None:
    modules = {"m.present": SimpleNamespace(run=1)}

    def load(name: str) -> object:
        if name not in modules:
            raise ImportError(name)
        return modules[name]

    assert missing_names({"m.present": ("run", "stop"), "m.gone": ("x",)}, load) == [
        "m.present.stop",
        "m.gone",
    ]


@pytest.mark.parametrize("returncode", [1, 3])
def test_an_unsupported_mutmut_is_the_failure_line(returncode: int) -> None:
    log = (
        "$ python -m gate.mutmut.entry run\n"
        f"{UNSUPPORTED} mutmut 3.9.0 is not supported by this gate: it has no mutmut.__main__.create_mutants "
        "(supported: mutmut 3.8.x)\n"
    )
    assert classify_failure(log, returncode) == (
        "mutmut 3.9.0 is not supported by this gate: it has no mutmut.__main__.create_mutants "
        "(supported: mutmut 3.8.x)"
    )
