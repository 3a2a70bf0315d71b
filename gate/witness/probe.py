"""The pytest plugin that records, at mutmut's trampoline, every call of one mutated function per test,
running the selected tests once per variant (the original, then each mutant) in one process.

Loaded with ``-p gate.witness.probe`` in a pytest run inside ``mutants/``. ``GATE_WITNESS_PLAN`` names a JSON
plan: ``{"function": "pkg.calc.x_grade", "variants": ["", "pkg.calc.x_grade__mutmut_3"]}`` to observe, or
``{"verify": {node id: mutant}}`` to run each scratch test under the original and its mutant;
``GATE_WITNESS_OUT`` the JSON file it writes. mutmut's trampoline looks the original and every mutant up in a
module-level dict at each call, and reads MUTANT_UNDER_TEST at each call, so wrapping that dict's entries
observes the function however the tests imported it, without touching user code, and setting the variable
between passes switches the variant. Uses only public pytest API (pytest 8.0 to 9.x).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gate.mutmut.names import SEPARATOR, local_of, module_of
from gate.witness import OUT_ENV, PLAN_ENV
from gate.witness.values import bounded_repr, reference, to_source

# Calls recorded per test beyond which only the count grows: a loop must not fill the memory.
MAX_CALLS = 200


class Recorder:
    """The calls of one function, grouped by the test running when they happened."""

    def __init__(self, mangled: str) -> None:
        self.module_name = module_of(mangled)
        self.local = local = local_of(mangled)
        parts = local.split(SEPARATOR)
        self.class_name = parts[1] if len(parts) == 3 else ""
        self.function_name = parts[-1] if self.class_name else local[2:]
        self.bound = False  # an instance method: the first argument is self
        self.installed = ""  # why not, when the function could not be observed
        self.test: str | None = None
        self.namespace: dict[str, Any] = {}
        self.async_test = False
        self.calls: dict[str, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}

    def install(self) -> None:
        try:
            module = importlib.import_module(self.module_name)
        except Exception as error:  # the import error itself is the test run's to report
            self.installed = f"cannot import {self.module_name}: {type(error).__name__}"
            return
        table = getattr(module, f"mutants_{self.local}__mutmut", None)
        if not isinstance(table, dict):
            self.installed = f"{self.module_name} has no trampoline for {self.local}"
            return
        self.module = module
        if self.class_name:
            owner = getattr(module, self.class_name, None)
            kind = inspect.getattr_static(owner, self.function_name, None)
            if isinstance(kind, classmethod):
                self.installed = "a classmethod: mutmut's trampoline calls it past its table"
                return
            self.bound = not isinstance(kind, staticmethod)
        for key, func in list(table.items()):
            table[key] = self._wrap(func)

    def _wrap(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def observed(*args: Any, **kwargs: Any) -> Any:
            test = self.test
            if test is None:
                return func(*args, **kwargs)
            record = self._start(test, args, kwargs)
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                self._finish(record, args, raised=exc)
                raise
            if inspect.iscoroutine(result):
                if record is not None:
                    record["async"] = True
                return self._awaited(record, args, result)
            self._finish(record, args, returned=result)
            return result

        return observed

    async def _awaited(self, record: dict[str, Any] | None, args: tuple[Any, ...], coro: Any) -> Any:
        try:
            result = await coro
        except BaseException as exc:
            self._finish(record, args, raised=exc)
            raise
        self._finish(record, args, returned=result)
        return result

    def _start(self, test: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
        self.counts[test] = self.counts.get(test, 0) + 1
        calls = self.calls.setdefault(test, [])
        if len(calls) >= MAX_CALLS:
            return None
        own = args[1:] if self.bound else args
        shown = [bounded_repr(a) for a in own] + [f"{k}={bounded_repr(v)}" for k, v in kwargs.items()]
        record: dict[str, Any] = {
            "call": f"{self.function_name}({', '.join(shown)})",
            "call_src": self._call_source(args, kwargs),
        }
        if self.bound and args:
            record["before"] = _state(args[0])
        calls.append(record)
        return record

    def _call_source(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        own = args[1:] if self.bound else args
        sources = [to_source(a, self.namespace) for a in own]
        sources += [f"{k}={s}" if (s := to_source(v, self.namespace)) else None for k, v in kwargs.items()]
        if any(s is None for s in sources):
            return None
        if self.bound:
            head = to_source(args[0], self.namespace) if args else None
        elif self.class_name:
            head = reference(getattr(self.module, self.class_name, None), self.namespace)
        else:
            head = reference(getattr(self.module, self.function_name, None), self.namespace)
        if head is None:
            return None
        target = f"{head}.{self.function_name}" if self.class_name else head
        return f"{target}({', '.join(s for s in sources if s)})"

    def _finish(
        self,
        record: dict[str, Any] | None,
        args: tuple[Any, ...],
        *,
        returned: Any = None,
        raised: Any = None,
    ) -> None:
        if record is None:
            return
        if raised is not None:
            kind = type(raised)
            record["raised"] = kind.__qualname__
            record["message"] = bounded_repr(str(raised))[1:-1]
            record["raw_message"] = str(raised)[:500]
            record["raised_src"] = reference(kind, self.namespace) or _builtin(kind)
        else:
            record["returned"] = bounded_repr(returned)
            record["returned_src"] = to_source(returned, self.namespace)
        record["async_test"] = self.async_test
        if "before" in record:
            before, after = record.pop("before"), _state(args[0])
            changed = {
                k: [before.get(k, "<unset>"), after.get(k, "<unset>")]
                for k in sorted(set(before) | set(after))
            }
            record["changed"] = {k: v for k, v in changed.items() if v[0] != v[1]}


def _state(instance: Any) -> dict[str, str]:
    try:
        attributes = vars(instance)
    except TypeError:
        return {}
    return {name: bounded_repr(value) for name, value in list(attributes.items())[:50]}


def _builtin(kind: type) -> str | None:
    import builtins

    return kind.__name__ if getattr(builtins, kind.__name__, None) is kind else None


class Probe:
    """The plan, the recorder when observing, and the outcome of every test in every variant."""

    def __init__(self, plan: dict[str, Any]) -> None:
        self.function = str(plan.get("function", ""))
        self.variants: list[str] = [str(v) for v in plan.get("variants", [])]
        self.verify: dict[str, str] = {str(k): str(v) for k, v in plan.get("verify", {}).items()}
        self.recorder = Recorder(self.function) if self.function else None
        self.outcomes: dict[str, dict[str, str]] = {}
        self.runs: dict[str, Any] = {}
        self.variant = ""

    def run(self, session: pytest.Session) -> None:
        items = list(session.items)
        if self.recorder is not None:
            self.recorder.install()
            for variant in self.variants:
                self._pass(session, items, variant)
                self.runs[variant] = {"calls": self.recorder.calls, "counts": self.recorder.counts}
                self.recorder.calls, self.recorder.counts = {}, {}
            return
        for item in items:
            mutant = self.verify.get(item.nodeid)
            if mutant is not None:
                for variant in ("", mutant):
                    self._pass(session, [item], variant)

    def _pass(self, session: pytest.Session, items: list[pytest.Item], variant: str) -> None:
        """One run of ``items`` with MUTANT_UNDER_TEST set to ``variant`` ("" matches no trampoline, as in
        mutmut's clean run); every fixture is torn down at its end, so the next pass starts afresh."""
        self.variant = variant
        os.environ["MUTANT_UNDER_TEST"] = variant
        for index, item in enumerate(items):
            following = items[index + 1] if index + 1 < len(items) else None
            item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
            if session.shouldstop or session.shouldfail:
                break

    def record(self, report: pytest.TestReport) -> None:
        outcomes = self.outcomes.setdefault(self.variant, {})
        if report.failed or (report.when == "call" and report.nodeid not in outcomes):
            outcomes[report.nodeid] = "failed" if report.failed else report.outcome

    def to_json(self) -> dict[str, Any]:
        installed = self.recorder.installed if self.recorder is not None else ""
        return {"installed": installed, "runs": self.runs, "outcomes": self.outcomes}


_PROBE: Probe | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _PROBE
    plan = os.environ.get(PLAN_ENV, "")
    if plan:
        _PROBE = Probe(json.loads(Path(plan).read_text(encoding="utf-8")))


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    if _PROBE is None or session.config.option.collectonly:
        return None
    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        return None  # pytest's own loop reports the collection errors
    _PROBE.run(session)
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    recorder = _PROBE.recorder if _PROBE is not None else None
    if recorder is None:
        return
    module = getattr(item, "module", None)
    recorder.namespace = dict(vars(module)) if module is not None else {}
    recorder.async_test = inspect.iscoroutinefunction(getattr(item, "function", None))
    recorder.test = item.nodeid


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _PROBE is not None:
        _PROBE.record(report)


def pytest_runtest_logfinish(nodeid: str) -> None:
    if _PROBE is not None and _PROBE.recorder is not None:
        _PROBE.recorder.test = None


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get(OUT_ENV)
    if _PROBE is not None and out:
        Path(out).write_text(json.dumps(_PROBE.to_json()), encoding="utf-8")
