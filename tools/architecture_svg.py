"""The import graph drawn as floors: each node a box on its floor, each arrow a line down to what it imports."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 150, 34, 14, 40, 20

#: the colour of each kind of node: the exact core, shared infrastructure, domains, the outside
_KIND_FILL = {"pure": "#f6e3e8", "shapes": "#e7e1f5", "core": "#dbe7f3", "domain": "#e3efdf", "edge": "#f3ecdc"}
_PURE = {"app/loanmath", "scoring", "app/servicing", "app/decisions"}
_CORE = {"app/core", "app/audit", "app/apikeys", "app/deps.py", "app/migrate.py", "app/openapi_links.py"}
_EDGE = {"app/main.py", "app/cli.py", "app/asgi.py", "app/contract.py", "app/demo.py", "app/migrations"}


def _kind(node: str) -> str:
    if node in _PURE:
        return "pure"
    if node == "schemas":
        return "shapes"
    if node in _CORE:
        return "core"
    return "edge" if node in _EDGE else "domain"


def _reaches(g: Mapping[str, set[str]], start: str, goal: str) -> bool:
    todo, seen = [start], {start}
    while todo:
        v = todo.pop()
        if v == goal:
            return True
        for w in g[v] - seen:
            seen.add(w)
            todo.append(w)
    return False


def _direct(g: Mapping[str, set[str]], a: str) -> list[str]:
    """What ``a`` imports that no longer way through its other imports reaches (those are not drawn)."""
    return sorted(b for b in g[a] if not any(_reaches(g, c, b) for c in g[a] if c != b))


def draw(g: Mapping[str, set[str]], floors: Mapping[str, int]) -> str:
    """An SVG of ``g``: the top floor at the top, floor 1 (imports nothing) at the bottom.

    An arrow that a longer way implies (main -> core, when main -> deps -> core) is not drawn.
    """
    top = max(floors.values())
    rows = {f: sorted(v for v in floors if floors[v] == f) for f in range(1, top + 1)}
    width = 2 * MARGIN + max(len(r) for r in rows.values()) * (BOX_W + GAP_X)
    height = 2 * MARGIN + top * (BOX_H + GAP_Y)
    where: dict[str, tuple[float, float]] = {}
    for f, names in rows.items():
        row_w = len(names) * (BOX_W + GAP_X) - GAP_X
        x0 = (width - row_w) / 2
        y = MARGIN + (top - f) * (BOX_H + GAP_Y)
        for i, name in enumerate(names):
            where[name] = (x0 + i * (BOX_W + GAP_X), y)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for a in sorted(g):
        ax, ay = where[a]
        for b in _direct(g, a):
            bx, by = where[b]
            out.append(f'<line x1="{ax + BOX_W / 2:.0f}" y1="{ay + BOX_H:.0f}" x2="{bx + BOX_W / 2:.0f}" '
                       f'y2="{by:.0f}" stroke="#5d6b78" stroke-opacity="0.6" stroke-width="1"/>')
    for name, (x, y) in sorted(where.items()):
        out.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="4" '
                   f'fill="{_KIND_FILL[_kind(name)]}" stroke="#4a5663"/>')
        out.append(f'<text x="{x + BOX_W / 2:.0f}" y="{y + BOX_H / 2 + 4:.0f}" text-anchor="middle">'
                   f'{escape(name)}</text>')
    for f in rows:
        y = MARGIN + (top - f) * (BOX_H + GAP_Y) + BOX_H / 2 + 4
        out.append(f'<text x="4" y="{y:.0f}" fill="#8a96a3" font-size="10">{f}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
