"""The house rules, checked on the source (DESIGN §1, issue 10):

- the import graph of ``tamma_tui`` has no circle (imports inside functions count: a lazy
  import still ties two modules together);
- no arrow points up the layers;
- ``sqlalchemy`` / ``sqlmodel`` are imported only inside ``tamma_tui/store/``;
- ``textual`` only inside ``tamma_tui/tui/`` (also tests/tui/test_import_boundary.py).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tamma_tui"

#: Lower numbers sit lower. A module may import its own room and rooms of a lower or the
#: same rank; a new room must be placed here before it can be imported.
RANK: dict[str | None, int] = {
    None: 0, "vocabulary": 0, "errors": 0, "resources": 0,
    "stats": 1, "store": 1, "config": 1,
    "providers": 2, "suites": 2, "integration": 2,
    "engine": 3,
    "analysis": 4, "history": 4, "optimise": 4, "sharing": 4,
    "services": 5,
    "commands": 6, "cli": 6, "tui": 6, "__main__": 6,
}

#: Known breaches that arrived with other rooms' branches, listed so the rule holds for
#: everything else; each is its owner's to fix, and the list shrinks to nothing.
SQL_PENDING_MOVE = {
    "services/reports.py",   # the report's reads (stats room)
    "services/changes.py",   # two sqlmodel Sessions (changes room)
}
KNOWN_CYCLES = [
    ["tamma_tui.integration.json_spans", "tamma_tui.integration.json_text"],
    ["tamma_tui.services.canary", "tamma_tui.services.changes"],
]
KNOWN_UPWARD = {
    "tamma_tui.config.loader -> tamma_tui.integration.tamma_config",  # role resolution (integration room)
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of import nodes under ``if TYPE_CHECKING:`` (type hints: never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skip


def imported_names(path: Path, name: str) -> list[str]:
    """Every module name an import statement in the file could mean (absolute); imports
    only for type checkers are left out."""
    is_package = path.name == "__init__.py"
    out: list[str] = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            out.append(prefix)
            out += [f"{prefix}.{a.name}" for a in node.names]
    return out


def _registration(source: str, target: str) -> bool:
    """``store/models.py`` imports the table modules of other rooms at its bottom so the
    metadata (and Alembic) sees them; that edge registers tables, it is not a dependency."""
    return source == "tamma_tui.store.models" and target.startswith("tamma_tui.store.")


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        graph[name] |= {
            t for t in imported_names(path, name)
            if t in modules and t != name and not _registration(name, t)
        }
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in list(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_the_import_graph_has_no_circle():
    assert [c for c in cycles(import_graph()) if c not in KNOWN_CYCLES] == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_room_has_a_place_and_no_arrow_points_up():
    graph = import_graph()
    unplaced = sorted({room(m) for m in graph if room(m) not in RANK}, key=str)
    assert unplaced == [], f"place these rooms in RANK: {unplaced}"
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in graph.items()
        for target in targets
        if RANK[room(target)] > RANK[room(source)]
    )
    assert [u for u in upward if u not in KNOWN_UPWARD] == []


def _importers_of(top_names: set[str]) -> list[str]:
    out = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        names = imported_names(path, module_name(path))
        if any(n.split(".")[0] in top_names for n in names):
            out.append(rel)
    return sorted(out)


def test_sql_lives_only_in_the_store():
    offenders = [
        rel for rel in _importers_of({"sqlalchemy", "sqlmodel"})
        if not rel.startswith("store/") and rel not in SQL_PENDING_MOVE
    ]
    assert offenders == [], f"sqlalchemy/sqlmodel imported outside tamma_tui/store/: {offenders}"


def test_textual_lives_only_in_the_app():
    offenders = [rel for rel in _importers_of({"textual"}) if not rel.startswith("tui/")]
    assert offenders == []
