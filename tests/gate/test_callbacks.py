"""Callbacks no fake calls, read from the source and test files: where a function is handed over as a value,
to which parameter, and whether each fake of the receiving method calls it back."""

from __future__ import annotations

from pathlib import Path

from gate.causes.callbacks import Fake, Handoff, handoffs, hint

SOURCE = """\
class Manager:
    def run(self, url):
        self.client.get(url, self._done)
        return self.client.post(url, on_error=self._failed)

    def _done(self, value):
        return value

    def _failed(self, error):
        return error

    def _called(self):
        return self._done(1)


def report(callback):
    return callback


def start():
    return report(report)
"""

TESTS = """\
class FakeClient:
    def get(self, url, callback):
        callback(url)

    def post(self, url, **kwargs):
        return kwargs.get("on_error")(url)


class SilentClient:
    def get(self, url, done):
        return None
"""


def test_handoffs_name_the_parameter_and_judge_every_fake(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(SOURCE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_m.py").write_text(TESTS)
    found = handoffs(tmp_path, ["pkg/m.py"], [tmp_path / "tests" / "test_m.py"])
    assert found == {
        ("pkg/m.py", "Manager._done"): [
            Handoff(
                "Manager._done",
                "get",
                "argument 2",
                1,
                "pkg/m.py:3",
                (
                    Fake("FakeClient.get", "tests/test_m.py:2", True),
                    Fake("SilentClient.get", "tests/test_m.py:10", False),
                ),
            )
        ],
        ("pkg/m.py", "Manager._failed"): [
            Handoff(
                "Manager._failed",
                "post",
                "on_error",
                None,
                "pkg/m.py:4",
                (Fake("FakeClient.post", "tests/test_m.py:5", True),),
            )
        ],
        ("pkg/m.py", "report"): [Handoff("report", "report", "argument 1", 0, "pkg/m.py:21")],
    }


def test_a_callback_whose_fakes_all_call_it_back_is_told_to_be_tested_directly() -> None:
    use = Handoff(
        "Manager._failed", "post", "on_error", None, "pkg/m.py:4", (Fake("F.post", "t.py:5", True),)
    )
    assert hint("Manager._failed", [use, use]) == (
        "`_failed` is only passed as `on_error` to `post` (pkg/m.py:4) and 1 more place; no test makes `post` "
        "call it back: test `_failed` directly"
    )
