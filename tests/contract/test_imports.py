"""The client's import graph: one-way doors, no cycle, and a lazy generated client.

- no cycle among the client's modules; type-only imports (under `if TYPE_CHECKING:`)
  count too: a cycle among them is the same coupling, only hidden from the interpreter.
  The mutual references of the domain are listed in MUTUAL: a run lists its artifacts
  and an artifact names the runs that logged and used it; a sweep lists its runs and a
  run names its sweep. The listed edge of such a pair may only be imported inside
  functions or for type checking, never when its module loads;
- only the two `_gql` modules (runsapi._async._gql and its sync twin) import the generated
  client, and `import runsapi` does not;
- the transport modules know nothing of GraphQL operations, runs or the server;
- no client module imports the server, and importing runsapi needs none of its packages;
  the modules that start servers are not the client: the `runsapi` command and
  runsapi.testing (the test helpers and pytest plugin for users' test suites), which no
  client module imports.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "runsapi"
TRANSPORT_MODULES = {"_transport", "_http", "_retry", "_responses", "_constants", "_types"}
# (importer, imported) edges left out of the cycle check; see the module docstring.
MUTUAL = {
    (f"runsapi.{layer}.{importer}", f"runsapi.{layer}.{imported}")
    for layer in ("_async", "_sync")
    for importer, imported in (("artifacts", "run"), ("run", "sweeps"))
}
GQL_MODULES = {"runsapi._async._gql", "runsapi._sync._gql"}
# Modules that start servers, and so import the server: the `runsapi` command (serve,
# seed, demo) and the test helpers (runsapi.testing and its submodules).
SERVER_STARTERS = ("runsapi.__main__", "runsapi.testing")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _client_modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "server" not in path.relative_to(PACKAGE).parts
    }


def _import_nodes(path: Path) -> list[ast.Import | ast.ImportFrom]:
    return [
        node
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]


def _imported_modules(path: Path) -> set[str]:
    """Every module `path` imports from, as written (absolute imports)."""
    names: set[str] = set()
    for node in _import_nodes(path):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif node.module:
            names.add(node.module)
    return names


def _imported(node: ast.Import | ast.ImportFrom, module: str, known: set[str]) -> set[str]:
    """The runsapi modules an import statement names (`from runsapi import x` names the
    submodule `runsapi.x` when there is one, else the package)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        package = module.split(".")[: -node.level or None]
        base = ".".join([*package, *([base] if base else [])])
    names = {f"{base}.{alias.name}" for alias in node.names}
    return {name if name in known else base for name in names}


def import_graph() -> dict[str, set[str]]:
    """Each client module's imports of runsapi modules, wherever they are in the module."""
    modules = _client_modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = {
            target
            for node in _import_nodes(path)
            for target in _imported(node, name, known)
            if target == "runsapi" or target.startswith("runsapi.")
        }
        graph[name] = (
            edges - {name} - {imported for importer, imported in MUTUAL if importer == name}
        )
    return graph


def _eager_import_nodes(path: Path) -> list[ast.Import | ast.ImportFrom]:
    """The imports that run when the module loads: not in a function, not under
    `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.append(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            elif isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                visit(node.orelse)
            else:
                visit(
                    [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)]
                )

    visit(ast.parse(path.read_text()).body)
    return found


def test_mutual_references_are_deferred() -> None:
    modules = _client_modules()
    for importer, imported in MUTUAL:
        eager = [
            node.lineno
            for node in _eager_import_nodes(modules[importer])
            if imported in _imported(node, importer, set(modules))
        ]
        assert not eager, f"{importer} imports {imported} when it loads (lines {eager})"
    for importer, imported in MUTUAL:
        assert any(
            imported in _imported(node, importer, set(modules))
            for node in _import_nodes(modules[importer])
        ), f"MUTUAL lists {importer} -> {imported}, which no import makes: remove it"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a path that ends where it starts, or None."""
    done: set[str] = set()
    for start in sorted(graph):
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph.get(start, ())))]
        on_path = [start]
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                on_path.pop()
                done.add(node)
                continue
            child = pending.pop()
            if child in on_path:
                return [*on_path[on_path.index(child) :], child]
            if child not in done and child in graph:
                stack.append((child, sorted(graph[child])))
                on_path.append(child)
    return None


def test_client_import_graph_has_no_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def _starts_servers(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in SERVER_STARTERS)


def _client_imports_of(package: str) -> dict[str, list[str]]:
    """The client modules (not SERVER_STARTERS) that import `package` or its modules."""
    importers = {
        name: sorted(t for t in targets if t == package or t.startswith(f"{package}."))
        for name, targets in import_graph().items()
        if not _starts_servers(name)
    }
    return {name: found for name, found in importers.items() if found}


def test_no_client_module_imports_the_server() -> None:
    assert not _client_imports_of("runsapi.server")


def test_no_client_module_imports_the_test_helpers() -> None:
    assert not _client_imports_of("runsapi.testing")


def test_importing_runsapi_leaves_the_generated_client_unloaded() -> None:
    code = (
        "import sys, runsapi\n"
        "assert 'runsapi_generated' not in sys.modules, 'imported by runsapi'\n"
        "runsapi.Api({'base_url': 'http://127.0.0.1:9'}, api_key='k').close()\n"
        "assert 'runsapi_generated' in sys.modules, 'an Api loads it'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_only_gql_imports_the_generated_client() -> None:
    for name, path in _client_modules().items():
        generated = {m for m in _imported_modules(path) if m.startswith("runsapi_generated")}
        assert name in GQL_MODULES or not generated, f"{name} imports {generated}"


def test_transport_knows_nothing_of_operations() -> None:
    for name, path in _client_modules().items():
        if path.stem not in TRANSPORT_MODULES:
            continue
        forbidden = {
            module
            for module in _imported_modules(path)
            if module.startswith(("runsapi_generated", *GQL_MODULES, "runsapi.server", "pandas"))
        }
        assert not forbidden, f"{name} imports {forbidden}"


def test_client_imports_without_server_dependencies() -> None:
    code = (
        "import sys\n"
        "for name in ('ariadne', 'graphql', 're2', 'uvicorn', 'starlette'):\n"
        "    sys.modules[name] = None\n"
        "import runsapi, runsapi._sync._gql, runsapi._async._gql\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
