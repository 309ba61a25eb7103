"""The house's layering, held by the code's own imports (read with ``ast``, tools/import_graph.py).

No circle between packages; every arrow points down or sideways within its layer, never up;
the exact-maths core and the scorecard import nothing of the service; nothing but the
dependency module and the factory reads ``app.state``. docs/architecture.md explains each.
"""

from __future__ import annotations

import ast

from tools.import_graph import ROOT, arrows, circles, floors, graph, source_files

#: The layers, from the ground up. A package may import its own layer and the layers below.
LAYERS: list[tuple[str, frozenset[str]]] = [
    ("exact maths and statistics", frozenset({"app/loanmath", "scoring"})),
    ("rules on the maths, and the shapes", frozenset({"app/servicing", "app/decisions", "schemas"})),
    ("shared infrastructure", frozenset({"app/core", "app/migrate.py", "app/openapi_links.py"})),
    ("infrastructure with tables", frozenset({"app/audit", "app/apikeys", "app/models"})),
    ("route dependencies", frozenset({"app/deps.py"})),
    ("domains", frozenset({"app/products", "app/managers", "app/health", "app/identity", "app/applications",
                           "app/quotes", "app/loans", "app/risk", "app/pricing"})),
    ("assembly and the outside", frozenset({"app/main.py", "app/asgi.py", "app/contract.py", "app/cli.py",
                                            "app/demo.py", "app/demo_book.py", "app/migrations"})),
]
LAYER = {node: i for i, (_, nodes) in enumerate(LAYERS) for node in nodes}

EDGES = arrows()
GRAPH = graph(EDGES)


def test_every_package_has_a_layer() -> None:
    assert set(GRAPH) <= set(LAYER), f"place {sorted(set(GRAPH) - set(LAYER))} in LAYERS (docs/architecture.md)"


def test_no_import_circle() -> None:
    assert circles(GRAPH) == []
    assert floors(GRAPH)  # defined only without a circle


def test_no_arrow_runs_up() -> None:
    up = {f"{a} -> {b}": places for (a, b), places in EDGES.items() if LAYER[a] < LAYER[b]}
    assert up == {}


def test_the_pure_cores_import_nothing_of_the_service() -> None:
    assert GRAPH["app/loanmath"] == set()
    assert GRAPH["scoring"] == set()
    assert GRAPH["schemas"] <= {"scoring"}
    assert GRAPH["app/servicing"] <= {"app/loanmath"}
    # the core knows one thing of the maths: its exception type, which it renders as a 422
    maths = [place for (a, b), places in EDGES.items() if (a, b) == ("app/core", "app/loanmath") for place in places]
    assert all(place.startswith("app/core/errors.py:") for place in maths), maths


def test_only_the_dependencies_and_the_factory_read_app_state() -> None:
    readers = set()
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr == "state" and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "app"):
                readers.add(str(path.relative_to(ROOT)))
    assert readers <= {"app/deps.py", "app/main.py"}, readers
