"""The import graph of ``src/gradlab`` has no cycles (arrows point one way).

Regressions: ``components/schedules.py`` <-> ``schedules_stateful.py`` (a registration import at
the bottom of the file) and ``train/config.py`` <-> ``train/validate.py`` (which imported a
private helper back).
"""

from __future__ import annotations

import ast
from pathlib import Path

import gradlab

SRC = Path(gradlab.__file__).resolve().parent.parent


def _modules(src: Path) -> dict[str, Path]:
    out = {}
    for path in (src / "gradlab").rglob("*.py"):
        name = ".".join(path.relative_to(src).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: Path, modules: dict, lazy: bool) -> set[str]:
    """The gradlab modules ``name`` imports: at module level only, or anywhere (``lazy``)."""
    tree = ast.parse(path.read_text())
    if lazy:
        nodes = list(ast.walk(tree))
    else:  # module level, including inside a top-level try/if
        nodes = [n for top in tree.body for n in ast.walk(top)
                 if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in modules else base)
    return {m for m in found if m in modules and m != name}


def _cycles(lazy: bool, src: Path = SRC) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    modules = _modules(src)
    graph = {m: _imports(m, p, modules, lazy) for m, p in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_the_checker_finds_a_cycle(tmp_path):
    pkg = tmp_path / "gradlab"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from gradlab.b import x\n")
    (pkg / "b.py").write_text("def f():\n    from gradlab import a\n")
    assert _cycles(lazy=False, src=tmp_path) == []
    assert _cycles(lazy=True, src=tmp_path) == [["gradlab.a", "gradlab.b"]]


def test_no_module_level_import_cycles():
    assert _cycles(lazy=False) == []


def test_components_and_train_are_in_no_cycle_even_through_lazy_imports():
    involved = [c for c in _cycles(lazy=True)
                if any(m.startswith(("gradlab.components", "gradlab.train")) for m in c)]
    assert involved == []
