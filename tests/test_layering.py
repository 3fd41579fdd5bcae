"""The import direction, held: no cycle, and faces -> services -> project -> runtime -> logs ->
store -> base (the table LAYERS).

Every module under lambdactl/ is parsed; an import inside a function or under TYPE_CHECKING is
a dependency all the same (hiding one in a function defers it, it does not remove it).
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lambdactl

PACKAGE = Path(lambdactl.__file__).parent

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("faces", ("cli", "api", "dev", "testing", "__main__")),
    (
        "services",
        (
            "reload",
            "invoke",
            "endpoint",
            "variables",
            "versions",
            "aliases",
            "queues",
            "streams",
            "topics",
            "shapes",
            "payloads",
            "replies",
            "events",
            "scaffold",
            "doctor",
            "functions",
            "urls",
            "routes",
            "url_configs",
            "sources",
            "cloud",
            "tuning",
        ),
    ),
    ("project", ("project", "catalog")),
    ("runtime", ("runtime",)),
    ("logs", ("logs",)),
    ("store", ("store",)),
    (
        "base",
        (
            "__init__",
            "manifest",
            "errors",
            "ids",
            "digests",
            "arns",
            "code",
            "timestamps",
            "changes",
            "cache",
            "layout",
            "lockfile",
            "sources.specs",
            "sources.schedule",
            "sources.filters",
            "sources.policies",
            "sam",
        ),
    ),
)
"""Top to bottom; each row names the top-level modules and packages of `lambdactl/` in it.
A module imports from its own layer or from the layers below it. `logs/` sits below
`runtime/` because an environment writes its platform lines through `logs.platform`.
A new package or top-level module joins a row here; a module of a package may have a row of
its own (`sources.specs`: the manifest's reading of `events:`, below the pollers)."""

ONLY_IN: dict[str, tuple[str, ...]] = {
    "rich": ("cli", "dev"),
    "typer": ("cli",),
    "starlette": ("api",),
    "uvicorn": ("api",),
    "anyio": ("api",),
    "pytest": ("testing",),
}
"""Third-party packages and the only top-level packages that may import them."""

STANDARD_LIBRARY_ONLY = "lambdactl.runtime.bootstrap"
"""Runs inside the function's process, beside none of lambdactl's dependencies."""


@dataclass(frozen=True)
class Import:
    importer: str
    target: str
    """The module as written (absolute), e.g. `lambdactl.logs.lines` or `rich.console`."""
    line: int

    def __str__(self) -> str:
        return f"{self.importer} (line {self.line}) imports {self.target}"


@functools.cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["lambdactl", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path) -> Iterator[Import]:
    """Each module named by an import statement anywhere in the module, made absolute; for
    `from X import y` that is `X.y` when it is a module, else `X`."""
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                yield Import(name, submodule if submodule in known else source, node.lineno)


def internal_edges() -> list[Import]:
    """Imports between lambdactl's own modules (to the nearest module a name lives in)."""
    known = modules()
    edges = []
    for name, path in known.items():
        for found in imports(name, path):
            target = found.target
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target.startswith("lambdactl") and target != name:
                edges.append(Import(name, target, found.line))
    return edges


def top(module: str) -> str:
    """`lambdactl.logs.lines` -> `logs`; the package itself -> `__init__`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def rank(module: str) -> int | None:
    """The layer of the most precise row entry naming the module: `sources.specs` (a module
    the manifest reads) before `sources` (the package)."""
    parts = module.split(".")[1:] or ["__init__"]
    for depth in range(len(parts), 0, -1):
        name = ".".join(parts[:depth])
        for index, (_name, members) in enumerate(LAYERS):
            if name in members:
                return index
    return None


def test_every_module_is_in_a_layer() -> None:
    missing = sorted({top(m) for m in modules() if rank(m) is None})
    assert not missing, f"add these to a row of LAYERS in {__file__}: {missing}"


def test_imports_point_down() -> None:
    upward = []
    for edge in internal_edges():
        low, high = rank(edge.importer), rank(edge.target)
        if low is not None and high is not None and high < low:
            layer, target_layer = LAYERS[low][0], LAYERS[high][0]
            upward.append(f"{edge} ({layer} -> {target_layer})")
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_no_import_cycle() -> None:
    graph: dict[str, dict[str, Import]] = {name: {} for name in modules()}
    for edge in internal_edges():
        graph[edge.importer].setdefault(edge.target, edge)
    cycles = [_cycle(graph, group) for group in _strongly_connected(graph) if len(group) > 1]
    assert not cycles, "import cycles:\n" + "\n\n".join("\n".join(map(str, c)) for c in cycles)


def test_rich_and_typer_only_in_faces() -> None:
    misplaced = [
        str(found)
        for name, path in modules().items()
        for found in imports(name, path)
        if found.target.split(".")[0] in ONLY_IN
        and top(name) not in ONLY_IN[found.target.split(".")[0]]
    ]
    assert not misplaced, "\n".join(misplaced)


def test_bootstrap_imports_only_the_standard_library() -> None:
    outside = []
    for name, path in modules().items():
        if name != STANDARD_LIBRARY_ONLY and not name.startswith(STANDARD_LIBRARY_ONLY + "."):
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                outside.append(f"{name} (line {node.lineno}): a relative import")
        for found in imports(name, path):
            if found.target.split(".")[0] not in sys.stdlib_module_names:
                outside.append(str(found))
    assert not outside, "\n".join(outside)


def test_imports_inside_functions_are_seen(tmp_path: Path) -> None:
    """The parser finds an import hidden in a function, relative or absolute."""
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from ..invoke import check\n    import lambdactl.ids\n")
    found = {i.target for i in imports("lambdactl.events.mod", source)}
    assert found == {"lambdactl.invoke", "lambdactl.ids"}


def _strongly_connected(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(sorted(group))
    return groups


def _cycle(graph: dict[str, dict[str, Import]], group: list[str]) -> list[Import]:
    """One cycle through the group, as the imports that make it (shortest back to its start)."""
    start, members = group[0], set(group)
    paths: dict[str, list[Import]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target, edge in graph[node].items():
                if target == start:
                    return paths[node] + [edge]
                if target in members and target not in paths:
                    paths[target] = paths[node] + [edge]
                    following.append(target)
        frontier = following
    return []
