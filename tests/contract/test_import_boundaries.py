"""Import rules between the layers (see the style guide).

- only runsapi._gql imports the generated client;
- the transport modules know nothing of GraphQL operations, runs or the server;
- importing runsapi needs none of the server's dependencies.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "runsapi"
TRANSPORT_MODULES = {"_transport", "_retry", "_responses", "_constants", "_types"}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def client_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "server" not in p.relative_to(PACKAGE).parts]


def test_only_gql_imports_the_generated_client() -> None:
    for path in client_modules():
        if path.stem == "_gql":
            continue
        generated = {name for name in imports_of(path) if name.startswith("runsapi_generated")}
        assert not generated, f"{path.name} imports {generated}; go through runsapi._gql"


def test_transport_knows_nothing_of_operations() -> None:
    for path in client_modules():
        if path.stem not in TRANSPORT_MODULES:
            continue
        forbidden = {
            name
            for name in imports_of(path)
            if name.startswith(("runsapi_generated", "runsapi._gql", "runsapi.server", "pandas"))
        }
        assert not forbidden, f"{path.name} imports {forbidden}"


def test_client_imports_without_server_dependencies() -> None:
    code = (
        "import sys\n"
        "for name in ('ariadne', 'uvicorn', 'starlette'):\n"
        "    sys.modules[name] = None\n"
        "import runsapi, runsapi._gql\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
