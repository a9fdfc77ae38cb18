"""The package's shape (docs/ARCHITECTURE.md): every import, function-level ones
included, points down the layers, and no chain of imports between modules comes back
to where it started. Read from the source with ast, so a lazy import inside a function
counts as much as one at the top."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "autograd_flow"

#: the layers, lowest first (a folder or flat module of the package -> its height); a
#: module may import from its own folder, from lower layers, and within the learning
#: layer (learn, select, viz, testing, data, io) from its neighbours
LAYER = {"errors": 0, "extras": 1, "core": 2, "ops": 3, "autodiff": 4, "plan": 4,
         "nn": 5, "optim": 5, "learn": 6, "select": 6, "viz": 6, "testing": 6, "data": 6,
         "io": 6, "onnx": 6, "": 7, "playground": 8, "sklearn": 8, "cli": 9}
NEIGHBOURS = 6  # the one layer whose parts may import each other


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The package's modules ``name`` imports (a package: its ``__init__``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] \
                if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def _part(module: str) -> str:
    """The folder or flat module of the package ``module`` belongs to ("" the package)."""
    return module.split(".")[1] if "." in module else ""


def test_every_part_of_the_package_has_a_layer() -> None:
    assert {_part(m) for m in MODULES} == set(LAYER)


def test_every_import_points_down_the_layers() -> None:
    wrong = []
    for name, targets in IMPORTS.items():
        mine = _part(name)
        for target in targets:
            theirs = _part(target)
            if theirs == mine:
                continue
            if LAYER[theirs] > LAYER[mine] or (
                    LAYER[theirs] == LAYER[mine] != NEIGHBOURS):
                wrong.append(f"{name} (layer {LAYER[mine]}) imports {target} "
                             f"(layer {LAYER[theirs]})")
    assert not wrong, "\n".join(sorted(wrong))


def _cycle(imports: dict[str, set[str]]) -> list[str] | None:
    """A chain of imports that comes back to its start, or None (depth-first search for
    a back edge)."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(imports[module]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(imports):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_no_import_cycle() -> None:
    cycle = _cycle(IMPORTS)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_checks_see_a_function_level_import_and_a_cycle(tmp_path) -> None:
    source = tmp_path / "trial.py"
    source.write_text("def f():\n    from ..errors import BoxError\n"
                      "    import autograd_flow.core.order\n")
    assert _imports("autograd_flow.core.trial", source) == {
        "autograd_flow.errors", "autograd_flow.core.order"}
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
