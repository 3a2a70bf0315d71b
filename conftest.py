"""Root conftest: lets the plain ``pytest`` command import the ``py`` package.

The ``pytest`` console script does not put the repository on ``sys.path``, so
pytest's own ``import py`` binds ``sys.modules["py"]`` to its single-file
legacy module before any conftest runs. Dropping that binding (pytest keeps
its own reference) lets ``import py.services`` find this repository's package.
"""

import sys

if not hasattr(sys.modules.get("py"), "__path__"):
    sys.modules.pop("py", None)
