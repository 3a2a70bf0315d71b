"""Shared configuration of the suite: Hypothesis profiles chosen by context.

mutmut runs every test process with ``MUTANT_UNDER_TEST`` set. Under mutation a
slow mutant must end as a timeout, not as a Hypothesis ``DeadlineExceeded``
"kill", and a verdict must not depend on which random examples were drawn.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100)
# CI machines are shared and noisy: no deadline, a fixed budget, reproducible examples.
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# Mutation runs: no deadline (slowness is judged by mutmut's timeout), the same
# examples for every mutant, no shared example database between mutants.
settings.register_profile(
    "mutation",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _profile() -> str:
    if os.environ.get("HYPOTHESIS_PROFILE"):
        return os.environ["HYPOTHESIS_PROFILE"]
    if "MUTANT_UNDER_TEST" in os.environ:
        return "mutation"
    if os.environ.get("CI"):
        return "ci"
    return "dev"


settings.load_profile(_profile())
