"""Small, realistic results for the weekly renderers' and history's tests.

Two targets, every status, every cause, and the source text the mutants point into.
"""

from __future__ import annotations

from gate.model import Cause, Mutant, Replacement, RunResult, Status

DOWNLOADER = """\
class Downloader:
    def __init__(self, retries=3):
        self.retries = retries

    def should_retry(self, attempt, status):
        if status >= 500 and attempt < self.retries:
            return True
        return False

    def chunk_size(self, total):
        return max(1024, total // 100)
"""

CACHE = """\
def cache_key(name, version):
    return f"{name}:{version}"


def is_fresh(age, limit):
    return age <= limit
"""

SOURCES = {"py/services/downloader.py": DOWNLOADER, "py/services/model_cache.py": CACHE}


def diff(old: str, new: str, path: str) -> str:
    return f"--- {path}\n+++ {path}\n@@ -1,1 +1,1 @@\n-{old}\n+{new}\n"


def mutant(
    mid: str,
    file: str,
    line: int,
    status: Status,
    cause: Cause | None = None,
    old: str = "",
    new: str = "",
    tests: list[str] | None = None,
    target: str | None = None,
    number: int = 1,
    function: str = "Downloader.should_retry",
    duration: float | None = 0.05,
) -> Mutant:
    module = file.removesuffix(".py").replace("/", ".")
    return Mutant(
        id=mid,
        name=f"{module}.x_{function.split('.')[-1]}__mutmut_{number}",
        target=target or ("download" if "downloader" in file else "cache"),
        file=file,
        line=line,
        function=function,
        status=status,
        cause=cause,
        diff=diff(old, new, file) if old else "",
        tests=list(tests or []),
        duration=duration,
    )


def sample_result(commit: str = "c0ffee1") -> RunResult:
    """Download: 4 killed, 1 timeout, 2 survived (weak, partly mocked), 1 no-tests (hidden by mock),
    1 accepted. Cache: 3 killed, 1 survived (weak), 1 no-tests (untested), 1 suspicious."""
    d, c = "py/services/downloader.py", "py/services/model_cache.py"
    t_retry = "tests/services/test_downloader.py::test_retry_on_500"
    t_key = "tests/services/test_cache.py::test_key"
    mutants = [
        mutant(
            "d000000001",
            d,
            6,
            Status.KILLED,
            None,
            "        if status >= 500 and attempt < self.retries:",
            "        if status > 500 and attempt < self.retries:",
            [t_retry],
            number=1,
        ),
        mutant(
            "d000000002",
            d,
            6,
            Status.SURVIVED,
            Cause.WEAK_ASSERTION,
            "        if status >= 500 and attempt < self.retries:",
            "        if status >= 501 and attempt < self.retries:",
            [t_retry],
            number=2,
        ),
        mutant(
            "d000000003",
            d,
            6,
            Status.KILLED,
            None,
            "        if status >= 500 and attempt < self.retries:",
            "        if status >= 500 or attempt < self.retries:",
            [t_retry],
            number=3,
        ),
        mutant(
            "d000000004",
            d,
            7,
            Status.KILLED,
            None,
            "            return True",
            "            return False",
            [t_retry],
            number=4,
        ),
        mutant(
            "d000000005",
            d,
            8,
            Status.TIMEOUT,
            None,
            "        return False",
            "        return True",
            [t_retry],
            number=5,
        ),
        mutant(
            "d000000006",
            d,
            3,
            Status.SURVIVED,
            Cause.PARTLY_MOCKED,
            "        self.retries = retries",
            "        self.retries = None",
            [t_retry],
            function="Downloader.__init__",
            number=1,
        ),
        mutant(
            "d000000007",
            d,
            11,
            Status.NO_TESTS,
            Cause.HIDDEN_BY_MOCK,
            "        return max(1024, total // 100)",
            "        return max(1025, total // 100)",
            function="Downloader.chunk_size",
            number=1,
        ),
        mutant(
            "d000000008",
            d,
            11,
            Status.KILLED,
            None,
            "        return max(1024, total // 100)",
            "        return max(1024, total / 100)",
            [t_retry],
            function="Downloader.chunk_size",
            number=2,
        ),
        mutant(
            "d000000009",
            d,
            11,
            Status.ACCEPTED,
            None,
            "        return max(1024, total // 100)",
            "        return max(1024, total // 101)",
            [t_retry],
            function="Downloader.chunk_size",
            number=3,
        ),
        mutant(
            "c000000001",
            c,
            2,
            Status.KILLED,
            None,
            '    return f"{name}:{version}"',
            '    return f"XX{name}:{version}XX"',
            [t_key],
            function="cache_key",
            number=1,
        ),
        mutant(
            "c000000002",
            c,
            2,
            Status.SURVIVED,
            Cause.WEAK_ASSERTION,
            '    return f"{name}:{version}"',
            '    return f"{name}XX:XX{version}"',
            [t_key],
            function="cache_key",
            number=2,
        ),
        mutant(
            "c000000003",
            c,
            6,
            Status.NO_TESTS,
            Cause.UNTESTED,
            "    return age <= limit",
            "    return age < limit",
            function="is_fresh",
            number=1,
        ),
        mutant(
            "c000000004",
            c,
            6,
            Status.KILLED,
            None,
            "    return age <= limit",
            "    return age >= limit",
            [t_key],
            function="is_fresh",
            number=2,
        ),
        mutant(
            "c000000005",
            c,
            6,
            Status.KILLED,
            None,
            "    return age <= limit",
            "    return None",
            [t_key],
            function="is_fresh",
            number=3,
        ),
        mutant(
            "c000000006",
            c,
            6,
            Status.SUSPICIOUS,
            None,
            "    return age <= limit",
            "    return limit <= age",
            [t_key],
            function="is_fresh",
            number=4,
        ),
    ]
    mutants[8].accepted_reason = "chunk size rounding is not observable"
    mutants[5].mocks = [
        Replacement(
            t_retry,
            "py.services.downloader.Downloader.__init__",
            "patch.object",
            "tests/services/test_downloader.py:40",
        )
    ]
    mutants[5].replaced_in = ["tests/services/test_manager.py::test_queue"]
    return RunResult(
        mutants=mutants,
        commit=commit,
        started="2025-01-06T03:00:00+00:00",
        finished="2025-01-06T03:01:40+00:00",
        duration_s=100.0,
        target_floors={"download": 80.0, "cache": 70.0, "lifecycle": None},
        fail_under=85.0,
        retested=12,
        reused=3,
        config_fingerprint="fp1",
    )
