"""Content hashes of the mutated sources, kept under .gate/, to re-map tests after a source change.

mutmut records which tests reach which function once per test. Code moved into a new function, or a
new call between functions, stays unlinked from the unchanged tests that now run it, so its mutants look
untested or weakly tested. After a source file changes, the tests that reached it are recorded again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from gate.atomic import write_text_atomic
from gate.mutmut.names import function_prefixes
from gate.mutmut.state import forget_tests, read_stats

STATE_FILE = Path(".gate") / "source-hashes.json"


def hash_sources(root: Path, files: list[str]) -> dict[str, str]:
    return {
        path: hashlib.sha256((root / path).read_bytes()).hexdigest()[:16]
        for path in sorted(files)
        if (root / path).is_file()
    }


def _load(root: Path) -> dict[str, str] | None:
    try:
        data = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def forget_after_source_changes(root: Path, files: list[str]) -> dict[str, list[str]] | None:
    """Forget (in mutmut's stats) every test that reached a function of a source file changed since the
    last run, so mutmut records again everything those tests reach. Returns the test mapping as it was
    before, when tests were forgotten (None otherwise): the caller re-maps and compares."""
    hashes = hash_sources(root, files)
    old = _load(root)
    before: dict[str, list[str]] | None = None
    if old is None:
        # No record of what the mapping was made from (a cache from before this rule, or .gate/ was
        # removed): every test is mapped again, which costs one mapping run of the suite. With no
        # mapping at all (a first run) there is nothing to forget: the run maps every test anyway.
        mapping = read_stats(root).tests_by_function
        if forget_tests(root, lambda _test: True):
            before = mapping
    else:
        changed = sorted(p for p in set(hashes) | set(old) if hashes.get(p) != old.get(p))
        prefixes = tuple(prefix for p in changed for prefix in function_prefixes(p))
        mapping = read_stats(root).tests_by_function
        reaching = {test for fn, tests in mapping.items() if fn.startswith(prefixes) for test in tests}
        if reaching:
            forget_tests(root, reaching.__contains__)
            before = mapping
    if hashes != old:
        (root / STATE_FILE).parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(root / STATE_FILE, json.dumps(hashes, indent=1, sort_keys=True))
    return before
