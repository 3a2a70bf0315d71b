"""The services the gate guards: downloads, caches and model lifecycle.

The package is named ``py``, and pytest ships a legacy ``py.py`` module that
its own code imports (``py.path.local``). When this repository is first on
``sys.path`` (``python -m pytest``, ``mutmut run``) that import finds this
package instead, so attributes this package does not define are forwarded to
the module it shadows. Nothing here imports pytest: the shadowed module is
located on ``sys.path`` and loaded only when someone asks for it.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_shadowed: ModuleType | None = None


def _load_shadowed() -> ModuleType | None:
    # The first single-file `py` module on sys.path, skipping every package
    # named `py` (this one, or a copy of it such as mutmut's mutants/py).
    for entry in sys.path:
        if os.path.abspath(entry or os.curdir) == _HERE:
            continue
        spec = importlib.machinery.PathFinder.find_spec("py", [entry])
        if spec is None or spec.loader is None or spec.submodule_search_locations is not None:
            continue
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return None


def __getattr__(name: str) -> object:
    global _shadowed
    if name.startswith("__"):
        raise AttributeError(name)
    if _shadowed is None:
        _shadowed = _load_shadowed()
    if _shadowed is None or not hasattr(_shadowed, name):
        raise AttributeError(f"module 'py' has no attribute {name!r}")
    return getattr(_shadowed, name)
