"""The generated boundary: `GraphQLClient` wires every generated operation explicitly.

`runsapi/_gql.py` lists one `name = _mapped(GeneratedClient.name)` line per operation of
the generated client. These tests fail, naming the operation, when queries/ gains an
operation that is not wired, when a wired one is no longer generated or is wired to
another operation's method, when a wrapper loses its error mapping, or when a wrapper's
type differs from the generated method's under mypy --strict.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from runsapi_generated.client import GeneratedClient

import runsapi
from runsapi._sync._gql import GraphQLClient
from runsapi._sync._transport import RetryingSender

ROOT = Path(__file__).resolve().parents[2]


def generated_operations() -> dict[str, Callable[..., Any]]:
    """GeneratedClient's own public methods: one per operation in queries/."""
    return {
        name: member
        for name, member in vars(GeneratedClient).items()
        if not name.startswith("_") and callable(member)
    }


def wired_operations() -> dict[str, Callable[..., Any]]:
    """GraphQLClient's `_mapped(...)` attributes, as the generated methods they wrap."""
    return {
        name: member.__wrapped__
        for name, member in vars(GraphQLClient).items()
        if callable(member) and hasattr(member, "__wrapped__")
    }


OPERATIONS = sorted(generated_operations())


def test_every_generated_operation_is_wired_once_and_nothing_else() -> None:
    generated, wired = generated_operations(), wired_operations()
    missing = sorted(generated.keys() - wired.keys())
    stale = sorted(wired.keys() - generated.keys())
    crossed = sorted(
        f"{name} wraps {wired[name].__qualname__}"
        for name in generated.keys() & wired.keys()
        if wired[name] is not generated[name]
    )
    assert not missing, (
        f"generated operations not wired in runsapi/_async/_gql.py: {', '.join(missing)}; "
        "add `<name> = _mapped(AsyncGeneratedClient.<name>)` to AsyncGraphQLClient for each"
    )
    assert not stale, (
        f"wired in runsapi/_async/_gql.py but not generated: {', '.join(stale)}; "
        "remove them from AsyncGraphQLClient (or run scripts/generate.py)"
    )
    assert not crossed, f"operations wired to another method: {'; '.join(crossed)}"
    assert OPERATIONS, "GeneratedClient has no operations: is generated/ empty?"


class _WrongShapeClient(GraphQLClient):
    """Answers every operation with data that no result model accepts."""

    def get_data(self, response: Any) -> dict[str, Any]:
        return []  # type: ignore[return-value]


@pytest.mark.parametrize("name", OPERATIONS)
def test_each_operation_maps_a_wrong_shape_to_response_validation_error(name: str) -> None:
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"data": {}})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    client = _WrongShapeClient("http://127.0.0.1:9/graphql", RetryingSender(http))
    parameters = list(inspect.signature(generated_operations()[name]).parameters.values())[1:]
    required = {
        parameter.name: "x"
        for parameter in parameters
        if parameter.default is inspect.Parameter.empty
        and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    }
    with http, pytest.raises(runsapi.ResponseValidationError) as caught:
        getattr(client, name)(**required)
    [body] = sent
    assert caught.value.operation == body["operationName"]
    assert caught.value.validation_error is not None


def test_wrappers_keep_the_generated_types_under_mypy_strict(tmp_path: Path) -> None:
    lines = [
        "from runsapi._sync._gql import GraphQLClient",
        "from runsapi_generated.client import GeneratedClient",
        "def probe(wired: GraphQLClient, generated: GeneratedClient) -> None:",
    ]
    for name in OPERATIONS:
        lines += [f"    reveal_type(wired.{name})", f"    reveal_type(generated.{name})"]
    probe = tmp_path / "probe.py"
    probe.write_text("\n".join(lines) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(probe)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    revealed = re.findall(r'Revealed type is "(.*)"', result.stdout)
    assert len(revealed) == 2 * len(OPERATIONS), result.stdout + result.stderr
    differ = [
        f"{name}:\n  wired:     {wired}\n  generated: {generated}"
        for name, wired, generated in zip(OPERATIONS, revealed[::2], revealed[1::2], strict=True)
        if wired != generated
    ]
    assert not differ, "wrappers whose type differs from the generated method:\n" + "\n".join(
        differ
    )
