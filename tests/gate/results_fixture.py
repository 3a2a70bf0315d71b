"""A fixed set of results for the renderer tests: a changed-lines run with every kind of survivor.

Built by hand so the snapshot of the PR comment changes only when the renderer does.
"""

from __future__ import annotations

from gate.model import Cause, Mutant, Replacement, RunResult, Status

DIFF = """--- py/services/downloader.py
+++ py/services/downloader.py
@@ -1,5 +1,5 @@
 def retry_delay(attempt, base=0.5):
     if attempt <= 0:
         return 0.0
-    return base * 2 ** attempt
+    return base / 2 ** attempt
"""


def mutant(n: int, line: int, status: Status, cause: Cause | None = None, **extra) -> Mutant:
    fields = {
        "id": f"{n:010x}",
        "name": f"py.services.downloader.x_retry_delay__mutmut_{n}",
        "target": "download",
        "file": "py/services/downloader.py",
        "line": line,
        "function": "retry_delay",
        "status": status,
        "cause": cause,
        "diff": DIFF,
    }
    fields.update(extra)
    return Mutant(**fields)


def pr_result() -> RunResult:
    mutants = [
        mutant(1, 12, Status.KILLED),
        mutant(2, 12, Status.KILLED),
        mutant(3, 14, Status.TIMEOUT),
        mutant(
            4,
            15,
            Status.SURVIVED,
            Cause.WEAK_ASSERTION,
            tests=[f"tests/services/test_downloader.py::test_retry_{i}" for i in range(5)],
            hint="Assert the exact delay: `retry_delay(2)` must return `2.0`.",
        ),
        mutant(
            5, 15, Status.SURVIVED, Cause.WEAK_ASSERTION, tests=["tests/services/test_downloader.py::test_a"]
        ),
        mutant(6, 15, Status.SURVIVED, Cause.WEAK_ASSERTION),
        mutant(
            7,
            30,
            Status.SURVIVED,
            Cause.PARTLY_MOCKED,
            file="py/services/download_manager.py",
            name="py.services.download_manager.xǁDownloadManagerǁ_open__mutmut_3",
            function="DownloadManager._open",
            diff="--- a\n+++ b\n@@ -1,2 +1,2 @@\n def _open(self, url):\n-    return self._session.get(url, timeout=30)\n"
            "+    return self._session.get(url, timeout=31)\n",
            tests=["tests/services/test_download_manager.py::test_open_real"],
            replaced_in=[
                "tests/services/test_download_manager.py::test_queue",
                "tests/services/test_download_manager.py::test_cancel",
            ],
            mocks=[
                Replacement(
                    "tests/services/test_download_manager.py::test_queue",
                    "py.services.download_manager.DownloadManager._open",
                    "patch.object",
                    "tests/services/test_download_manager.py:41",
                )
            ],
        ),
        mutant(
            8,
            44,
            Status.NO_TESTS,
            Cause.HIDDEN_BY_MOCK,
            file="py/services/download_manager.py",
            function="DownloadManager._checksum",
            diff="--- a\n+++ b\n@@ -1,2 +1,2 @@\n def _checksum(self, data):\n-    return sha256(data).hexdigest()\n"
            "+    return None\n",
            replaced_in=["tests/services/test_download_manager.py::test_verify"],
        ),
        mutant(9, 50, Status.ACCEPTED, file="py/services/download_manager.py", accepted_reason="equivalent"),
        mutant(10, 16, Status.KILLED, flaky=True),
    ]
    return RunResult(
        mutants=mutants,
        commit="0123456789abcdef0123",
        selection="changed-lines",
        target_floors={"download": 90.0},
        fail_under=85.0,
        scope={
            "base": "origin/main",
            "merge_base": "fedcba9876543210",
            "description": "9 changed lines in 2 target files since origin/main (fedcba987654)",
        },
    )


def many_survivors(count: int, files: int = 40) -> RunResult:
    mutants = []
    for n in range(count):
        mutants.append(
            mutant(
                n + 1,
                line=10 + n // files,
                status=Status.SURVIVED,
                cause=list(Cause)[n % len(Cause)],
                file=f"py/services/module_{n % files:02d}.py",
                tests=[f"tests/services/test_m.py::test_{n}_{k}" for k in range(4)],
            )
        )
    return RunResult(mutants=mutants, selection="changed-lines", scope={"description": f"{count} lines"})
