"""gate: a mutation-testing quality gate over mutmut that says why mutants survive."""

from typing import Any


def __getattr__(name: str) -> Any:
    # Looked up on first use only: every process the gate starts (the mutmut entry, the census's
    # lifeline wrapper) imports this package, and reading the installed metadata costs each of them
    # about 30 ms before it does anything.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("gate")
        except PackageNotFoundError:  # running from a source tree that was never installed
            return "0.0.0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
