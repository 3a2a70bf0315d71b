"""A large generated run (thousands of mutants and survivors) and the source its mutants point into, for
the tests and benchmarks of the reports at scale."""

from __future__ import annotations

from gate.model import Cause, Mutant, RunResult, Status

CAUSES = [Cause.HIDDEN_BY_MOCK, Cause.WEAK_ASSERTION, Cause.UNTESTED]


def large_run(files: int = 50, functions: int = 20, mutants: int = 6) -> RunResult:
    """files x functions x mutants mutants; function f of each file has f % mutants survivors (up to 5:
    46 a file by default), their causes cycling hidden-by-mock, weak-assertion, untested; (f % 4) tests."""
    result: list[Mutant] = []
    for file in range(files):
        path = f"pkg/mod{file:02d}.py"
        for function in range(functions):
            survivors = function % mutants
            for number in range(mutants):
                survived = number < survivors
                result.append(
                    Mutant(
                        id=f"{file:02d}{function:02d}{number:02d}aaaa",
                        name=f"pkg.mod{file:02d}.x_f{function:02d}__mutmut_{number + 1}",
                        target=f"t{file % 3}",
                        file=path,
                        line=10 * function + number + 1,
                        function=f"f{function:02d}",
                        status=Status.SURVIVED if survived else Status.KILLED,
                        cause=CAUSES[number % 3] if survived else None,
                        tests=[f"tests/test_{file}.py::test_{i}" for i in range(function % 4)],
                        diff=f"--- {path}\n+++ {path}\n@@ -1 +1 @@\n-    return a\n+    return b\n",
                    )
                )
    return RunResult(mutants=result, target_floors={"t0": 80.0, "t1": None, "t2": None}, fail_under=50)


def large_sources(files: int = 50, functions: int = 20, mutants: int = 6) -> dict[str, str]:
    """The source text of each file of `large_run`: function f spans lines 10f+1 to 10f+10."""
    body = "".join(
        f"def f{function:02d}(a, b):\n"
        + "".join(f"    a = a + b * {n}\n" for n in range(mutants))
        + "    return a\n\n\n"
        for function in range(functions)
    )
    return {f"pkg/mod{file:02d}.py": body for file in range(files)}
