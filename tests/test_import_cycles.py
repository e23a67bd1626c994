"""No import cycles among gradlab's modules (module-level and function-level imports alike).

The graph is built with ``ast`` from ``src/gradlab``: an edge ``a -> b`` for every ``import b`` /
``from b import x`` (``from pkg import mod`` counts as ``pkg.mod`` when that is a module)
anywhere in ``a``, in functions too — a late import is still an arrow (imports under
``if TYPE_CHECKING:`` never run and are left out). Importing ``pkg.mod``
also runs ``pkg/__init__.py`` first, so ``pkg.mod -> pkg`` is structure, not an arrow: edges from
a module to its own enclosing packages are left out (``sinks/csv.py`` importing ``Sink`` from
``sinks/__init__.py``), as is the implicit edge to the parent. A cycle is a strongly connected
component of two or more modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Cycles other helpers are fixing (issue 9): each entry is the sorted modules of one cycle.
# The integrator empties this list once their branches are merged; any other cycle fails.
KNOWN: list[tuple[str, ...]] = []


def module_name(path: Path, src: Path = SRC) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """``module -> gradlab modules it imports`` for every module under ``src/gradlab``."""
    files = {module_name(p, src): p for p in (src / "gradlab").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_pkg = path.name == "__init__.py"
        package = name if is_pkg else name.rpartition(".")[0]
        edges: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):  # `if TYPE_CHECKING:` imports never run: not arrows
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in files:  # `import gradlab.a.b.attr` -> gradlab.a.b
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The strongly connected components of two or more modules (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []

    def visit(v: str) -> None:  # recursion depth is bounded by the module count (~200)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(tuple(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_detector_finds_a_cycle_through_a_function_level_import(tmp_path):
    pkg = tmp_path / "gradlab"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("")
    (pkg / "a" / "x.py").write_text("from gradlab.a import y\n")
    (pkg / "a" / "y.py").write_text("def f():\n    from . import z\n")
    (pkg / "a" / "z.py").write_text("import gradlab.a.x\n")
    (pkg / "b.py").write_text("from gradlab.a.x import something\n")
    assert cycles(import_graph(tmp_path)) == [("gradlab.a.x", "gradlab.a.y", "gradlab.a.z")]


def test_no_import_cycles_but_the_known_ones():
    found = cycles(import_graph())
    new = [c for c in found if c not in KNOWN]
    assert not new, "import cycles among gradlab's modules:\n" + "\n".join(" <-> ".join(c) for c in new)


def test_the_known_list_holds_only_live_cycles():
    # a cycle fixed by another branch must leave KNOWN, so the list cannot hide a new one
    found = cycles(import_graph())
    stale = [c for c in KNOWN if c not in found]
    assert not stale, f"these cycles are gone: remove them from KNOWN: {stale}"


# docs/architecture.md: which package may import which (the one-way arrows). `cli`, `__main__`
# and the facade sit above everything; `errors` and `atomic_write` below everything.
ALLOWED = {
    "components": set(),
    "models": {"components"},
    "data": {"components"},
    "watch": {"components"},
    "diagnose": {"components"},
    "monitor": {"watch", "diagnose"},
    "train": {"components", "models", "data", "monitor"},
    "studies": {"components"},  # the one did-you-mean helper (components/suggest.py)
    "study": {"train", "studies", "components", "models", "watch", "diagnose"},  # models: the member axis
    "report": {"study", "components", "diagnose"},  # diagnose: how findings are shown (layer patterns)
    "integrations": {"watch", "diagnose", "monitor", "train", "components"},
    # surgery (components, the watch's functional mode), the watch with diagnosis (monitor), the
    # studies' statistics (study.stats), gradlab's own runs (train)
    "repair": {"components", "watch", "diagnose", "monitor", "study", "train"},
}


def test_packages_import_only_downwards():
    bad = set()
    for module, targets in import_graph().items():
        package = module.split(".")[1] if "." in module else "gradlab"
        if package not in ALLOWED:  # cli, __main__, errors, the facade
            continue
        for target in targets:
            other = target.split(".")[1] if "." in target else "gradlab"
            if other not in (package, "errors", "atomic_write") and other not in ALLOWED[package]:
                bad.add(f"{module} -> {target}")
    assert not bad, "imports against docs/architecture.md:\n" + "\n".join(sorted(bad))
