"""The shape of gate/: every module is described in ARCHITECTURE.md, renderers never judge or classify,
and the internal imports form no cycle. Imports are read with ast, nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "gate"
# What a renderer may not import: it is handed the causes and the verdict, it never decides them.
NOT_FOR_RENDERERS = {"gate.causes.classify", "gate.policy", "gate.pr.policy"}
# What a renderer may import from the gate: the model, the words of the causes, its own helpers.
FOR_RENDERERS = {"gate", "gate.model", "gate.exit_code", "gate.causes.labels"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
RENDERERS = sorted(name for name in MODULES if name == "gate.report" or name.startswith("gate.report."))


def gate_imports(path: Path, *, module_level: bool) -> set[str]:
    """The gate modules a file imports (`from gate.x import y` counts gate.x.y when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "gate")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "gate":
                continue
            found.add(node.module)
            found.update(
                f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES
            )
    return found


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = 1
        for dep in sorted(graph.get(name, ())):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep] if dep in path else [name, dep]
            if dep not in state and (found := visit(dep, [*path, dep])):
                return found
        state[name] = 2
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name, [name])):
            return found
    return None


def graph_of(*, module_level: bool) -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        # A package's own __init__ is imported with each of its modules; it is not an edge of the design.
        deps = gate_imports(path, module_level=module_level) & set(MODULES)
        graph[name] = {dep for dep in deps if dep != name and not name.startswith(dep + ".")}
    return graph


def test_every_module_of_gate_is_described_in_architecture_md() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [
        path.relative_to(ROOT).as_posix()
        for path in MODULES.values()
        if f"`{path.relative_to(ROOT).as_posix()}`" not in text
    ]
    assert missing == []


def test_every_module_of_gate_opens_with_its_one_idea() -> None:
    undocumented = [
        name for name, path in MODULES.items() if not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert undocumented == []


@pytest.mark.parametrize("renderer", RENDERERS)
def test_no_renderer_imports_the_classifier_or_a_policy(renderer: str) -> None:
    assert gate_imports(MODULES[renderer], module_level=False) & NOT_FOR_RENDERERS == set()


@pytest.mark.parametrize("renderer", RENDERERS)
def test_renderers_import_only_the_model_the_cause_words_and_their_helpers(renderer: str) -> None:
    imported = gate_imports(MODULES[renderer], module_level=False)
    assert {name for name in imported if not name.startswith("gate.report")} <= FOR_RENDERERS


def test_the_module_level_import_graph_has_no_cycle() -> None:
    assert cycle(graph_of(module_level=True)) is None


def test_no_cycle_either_counting_imports_inside_functions() -> None:
    assert cycle(graph_of(module_level=False)) is None


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
