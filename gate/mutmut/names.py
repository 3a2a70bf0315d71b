"""The one codec for mutmut 3.8's names: ``pkg.mod.xǁClassǁmethod__mutmut_N`` split, decoded and built.

No other module of the gate takes these names apart; a new name format changes this module only.
It imports nothing from the gate, so every layer (the model too) may use it.
"""

from __future__ import annotations

from typing import Protocol

SEPARATOR = "\u01c1"  # mutmut's "ǁ" around the class in a mangled method name: xǁClassǁmethod
MARK = "__mutmut_"  # between a mangled function name and the mutant's number
FUNCTION_PREFIX = "x_"  # a module-level function: x_add
METHOD_PREFIX = "x" + SEPARATOR  # a method: xǁCounterǁinc
ORIGINAL = MARK + "orig"  # the suffix of the unmutated copy of a function in the mutated file


class Named(Protocol):
    """A mutant as the codec reads it: mutmut's name and the qualname recorded for it ("" if none)."""

    @property
    def name(self) -> str: ...

    @property
    def function(self) -> str: ...


def is_mutant_name(name: str) -> bool:
    return MARK in name


def function_of(name: str) -> str:
    """The mangled function of a mutant: ``pkg.mod.xǁCǁm__mutmut_3`` -> ``pkg.mod.xǁCǁm``."""
    return name.partition(MARK)[0]


def module_of(name: str) -> str:
    """The module of a mutant or mangled function: ``pkg.mod.xǁCǁm__mutmut_3`` -> ``pkg.mod``."""
    parts = function_of(name).split(".")
    for index in range(len(parts) - 1, -1, -1):
        if parts[index].startswith((FUNCTION_PREFIX, METHOD_PREFIX)):
            return ".".join(parts[:index])
    return ".".join(parts[:-1])


def local_of(name: str) -> str:
    """A name without its module: ``pkg.mod.xǁCǁm__mutmut_3`` -> ``xǁCǁm__mutmut_3``, the name of the
    generated function in the mutated file (of a mangled function: its key in mutmut's .meta)."""
    module = module_of(name)
    return name[len(module) + 1 :] if module else name


def local_function_of(name: str) -> str:
    """The mangled function without its module: ``pkg.mod.xǁCǁm__mutmut_3`` -> ``xǁCǁm``."""
    return function_of(local_of(name))


def original_of(name: str) -> str:
    """The generated name of the unmutated copy of a mutant's function: ``xǁCǁm__mutmut_orig``."""
    return local_function_of(name) + ORIGINAL


def qualname_of(mutant: str | Named) -> str:
    """The source-level qualname of a mutant's function: ``Counter.inc``, ``add``.

    Given a mutant whose qualname was recorded (Mutant.function, set by the results reader), that wins."""
    if not isinstance(mutant, str):
        if mutant.function:
            return mutant.function
        mutant = mutant.name
    local = local_function_of(mutant)
    if local.startswith(METHOD_PREFIX):
        return local[len(METHOD_PREFIX) :].replace(SEPARATOR, ".")
    if local.startswith(FUNCTION_PREFIX):
        return local[len(FUNCTION_PREFIX) :]
    return local


def number_of(name: str) -> int:
    """mutmut's number of a mutant within its function (traversal order): ``..._mutmut_17`` -> 17."""
    try:
        return int(name.rpartition(MARK)[2])
    except ValueError:
        return 0


def module_name(path: str) -> str:
    """mutmut's module part of a name: py/services/x.py -> py.services.x (src. and __init__ dropped)."""
    module = path[: -len(".py")] if path.endswith(".py") else path
    module = module.replace("/", ".")
    if module.startswith("src."):
        module = module[len("src.") :]
    if module.endswith(".__init__"):
        module = module[: -len(".__init__")]
    return module


def mangle(path: str, qualname: str) -> str:
    """The mangled name of a function of a file: py.core.x_add, py.core.xǁCounterǁinc."""
    cls, _, func = qualname.rpartition(".")
    local = f"{METHOD_PREFIX}{cls}{SEPARATOR}{func}" if cls else f"{FUNCTION_PREFIX}{func}"
    return in_module(path, local)


def in_module(path: str, local: str) -> str:
    """A mangled local name (a key of mutmut's .meta) made whole: ``x_add`` of py/core.py -> py.core.x_add."""
    return f"{module_name(path)}.{local}"


def function_prefixes(path: str) -> tuple[str, str]:
    """What every mangled function of a file starts with: its functions' and its methods' prefix."""
    return in_module(path, FUNCTION_PREFIX), in_module(path, METHOD_PREFIX)
