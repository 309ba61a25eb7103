"""The service's import graph, read from the code with ``ast``: packages, arrows, circles, floors.

A node is a package of ``app/`` (``app/loans``), one of ``app``'s top-level modules
(``app/main.py``), or a top-level package (``scoring``, ``schemas``). An arrow A -> B means
some file of A imports a module of B (at the top of the file or inside a function). The
floor of a node is 1 when it imports no other node, else one more than the highest floor
it imports; a circle is a set of nodes that import each other in a loop.

    .venv/bin/python tools/import_graph.py            # the arrows, floors and circles
    .venv/bin/python tools/import_graph.py --svg docs/img/architecture.svg
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = ("app", "scoring", "schemas")

Graph = dict[str, set[str]]


def node_of(module: str) -> str | None:
    """The node a dotted module name belongs to (``app.loans.service`` -> ``app/loans``)."""
    parts = module.split(".")
    if parts[0] not in TOP:
        return None
    if parts[0] != "app" or len(parts) == 1:
        return parts[0]
    if (ROOT / "app" / parts[1]).is_dir():
        return f"app/{parts[1]}"
    return f"app/{parts[1]}.py"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> Iterable[tuple[str, int]]:
    """Every module ``path`` imports, absolute, with the line of the import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                yield alias.name, stmt.lineno
        elif isinstance(stmt, ast.ImportFrom):
            base = stmt.module or ""
            if stmt.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (stmt.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, stmt.lineno
            for alias in stmt.names:  # ``from app import loanmath`` imports the package app.loanmath
                yield f"{base}.{alias.name}", stmt.lineno


def source_files() -> list[Path]:
    files = []
    for top in TOP:
        files += [p for p in sorted((ROOT / top).rglob("*.py")) if "versions" not in p.parts]
    return files


def arrows() -> dict[tuple[str, str], list[str]]:
    """(A, B) -> the places (``file:line``) where A imports B."""
    out: dict[tuple[str, str], list[str]] = {}
    for path in source_files():
        here = node_of(_module_name(path))
        assert here is not None
        for module, line in imported_modules(path):
            there = node_of(module)
            if there is None or there == here:
                continue
            places = out.setdefault((here, there), [])
            place = f"{path.relative_to(ROOT)}:{line}"
            if place not in places:
                places.append(place)
    # ``from app import loanmath`` yields both ``app`` and ``app.loanmath``: drop the bare ``app``
    return {k: v for k, v in out.items() if k[1] != "app"}


def graph(edges: Iterable[tuple[str, str]]) -> Graph:
    g: Graph = {}
    for a, b in edges:
        g.setdefault(a, set()).add(b)
        g.setdefault(b, set())
    return g


def circles(g: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g[v]):
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
                found.append(sorted(component))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return found


def floors(g: Mapping[str, set[str]]) -> dict[str, int]:
    """1 for a node that imports no other; else 1 + the highest floor it imports (needs no circle)."""
    out: dict[str, int] = {}

    def floor(v: str, seen: frozenset[str] = frozenset()) -> int:
        if v not in out:
            if v in seen:
                raise ValueError(f"{v} is in a circle")
            out[v] = 1 + max((floor(w, seen | {v}) for w in g[v]), default=0)
        return out[v]

    for v in g:
        floor(v)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--svg", help="draw the floors and arrows into this SVG file")
    args = ap.parse_args()
    edges = arrows()
    g = graph(edges)
    loops = circles(g)
    print(f"{len(g)} nodes, {len(edges)} arrows, {len(loops)} circles")
    for loop in loops:
        print("circle:", " <-> ".join(loop))
    if loops:
        return
    fl = floors(g)
    for f in sorted(set(fl.values()), reverse=True):
        print(f"floor {f:2d}: " + ", ".join(sorted(v for v in fl if fl[v] == f)))
    if args.svg:
        from tools.architecture_svg import draw

        Path(args.svg).write_text(draw(g, fl), encoding="utf-8")
        print(f"wrote {args.svg}")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    main()
