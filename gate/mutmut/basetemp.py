"""One temporary root for every warm child: pytest's basetemp is made once, in the warm server, before it forks.

pytest makes its basetemp (``/tmp/pytest-of-USER/pytest-N``) the first time a test asks for ``tmp_path``, and
removes the oldest ones while it is at it. A warm child is a fresh fork of a session that never ran a test, so
each child used to make (and clean up) a root of its own: 116 ms of a 150 ms child on the services' download
tests, against 10 ms for the test itself. Made once in the server, the root is inherited by every child, and a
child's ``tmp_path`` is only a numbered directory inside it, made with pytest's own race-safe numbering.

pytest keeps its ``TempPathFactory`` in a private attribute of the config (pytest 7 to 9), so it is looked up
by feature: without it, or when making the root fails, every child makes its own root as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# The fixtures that reach pytest's basetemp: a suite that uses none of them pays nothing here.
_USERS = frozenset({"tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory"})


def prime(config: Any, items: Iterable[Any]) -> str | None:
    """Make the session's basetemp now when some collected test uses a temporary directory; its path, or
    None when no test needs one or this pytest keeps its factory elsewhere."""
    if not any(_USERS.intersection(getattr(item, "fixturenames", ())) for item in items):
        return None
    factory = getattr(config, "_tmp_path_factory", None)
    getbasetemp = getattr(factory, "getbasetemp", None)
    if not callable(getbasetemp):
        return None
    try:
        return str(getbasetemp())
    except OSError:  # an unwritable temporary directory: each test reports it, as it would have
        return None
