"""scripts/schema.py: fetching a server's schema, and which operations a schema change touches.

The changed schemas are the committed schema.graphql edited at test time: a removed field
that a fragment selects, a renamed type, an added nullable argument, an added required
input field.
"""

from __future__ import annotations

import base64
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import (
    BreakingChangeType,
    DangerousChangeType,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

from runsapi.server import LocalServer
from tests.support.scripted_server import Reply, ScriptedServer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import schema  # noqa: E402

COMMITTED = (ROOT / "schema.graphql").read_text(encoding="utf-8")
API_KEY = "local-" + "k3y" * 12


def edited(text: str, old: str, new: str) -> str:
    """`text` with its one occurrence of `old` replaced (so a stale edit fails loudly)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def operation_line(file: str, name: str) -> int:
    """The line of queries/`file` where operation `name` starts."""
    lines = (ROOT / "queries" / file).read_text(encoding="utf-8").splitlines()
    pattern = re.compile(rf"^(query|mutation) {name}\b")
    return next(number for number, line in enumerate(lines, 1) if pattern.match(line))


def diff(tmp_path: Path, capsys: pytest.CaptureFixture[str], new_sdl: str) -> tuple[int, list[str]]:
    """Run `schema.py diff` from the committed schema to `new_sdl`: exit status, stdout lines."""
    (tmp_path / "old.graphql").write_text(COMMITTED, encoding="utf-8")
    (tmp_path / "new.graphql").write_text(new_sdl, encoding="utf-8")
    status = schema.main(["diff", str(tmp_path / "old.graphql"), str(tmp_path / "new.graphql")])
    return status, capsys.readouterr().out.splitlines()


def entry(lines: list[str], file: str, name: str) -> list[str]:
    """The report's entry for one operation: its heading line and the changes under it."""
    heading = f"queries/{file}:{operation_line(file, name)}: {name}: "
    (start,) = (index for index, line in enumerate(lines) if line.startswith(heading))
    end = start + 1
    while lines[end].startswith("  "):
        end += 1
    return lines[start:end]


def described(new_sdl: str, kind: str) -> list[str]:
    """graphql-core's descriptions of the changes of `kind` from the committed schema to
    `new_sdl` (3.2 and 3.3 word them differently)."""
    old, new = build_schema(COMMITTED), build_schema(new_sdl)
    found = [*find_breaking_changes(old, new), *find_dangerous_changes(old, new)]
    return [change.description for change in found if change.type.name == kind]


def test_a_removed_field_breaks_the_operations_whose_fragments_select_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = edited(COMMITTED, "  projectId: Int!\n  displayName: String\n", "  projectId: Int!\n")
    (removed,) = described(new, "FIELD_REMOVED")
    assert "Run.displayName" in removed
    status, lines = diff(tmp_path, capsys, new)
    assert status == 1
    assert lines[:3] == ["1 breaking change:", f"  {removed}", "0 dangerous changes"]
    # GetRuns selects Run.displayName through LightRunFragment, defined in fragments.graphql.
    assert entry(lines, "runs.graphql", "GetRuns") == [
        f"queries/runs.graphql:{operation_line('runs.graphql', 'GetRuns')}: GetRuns: broken",
        f"  breaking: {removed}",
    ]
    assert entry(lines, "viewer.graphql", "GetViewer") == [
        f"queries/viewer.graphql:{operation_line('viewer.graphql', 'GetViewer')}: "
        "GetViewer: unaffected"
    ]
    assert re.fullmatch(r"\d+ of \d+ operations broken, 0 at risk", lines[-1])
    assert int(lines[-1].split()[0]) >= 2


def test_a_renamed_type_breaks_every_operation_that_selects_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = re.sub(r"\bRun\b", "WandbRun", COMMITTED)
    (run_field,) = [
        text for text in described(new, "FIELD_CHANGED_KIND") if "Project.run changed" in text
    ]
    status, lines = diff(tmp_path, capsys, new)
    assert status == 1
    assert "  Run was removed." in lines
    get_run = entry(lines, "runs.graphql", "GetRun")
    assert get_run[0].endswith(": GetRun: broken")
    assert "  breaking: Run was removed." in get_run
    assert f"  breaking: {run_field}" in get_run
    assert entry(lines, "viewer.graphql", "GetDefaultEntity")[0].endswith(": unaffected")


def test_an_added_nullable_argument_puts_the_operations_at_risk_without_breaking_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = edited(
        COMMITTED,
        "  runCount(filters: JSONString): Int\n",
        "  runCount(filters: JSONString, state: String): Int\n",
    )
    (added,) = described(new, "OPTIONAL_ARG_ADDED")
    assert "Project.runCount" in added
    status, lines = diff(tmp_path, capsys, new)
    assert status == 0
    assert lines[:3] == ["0 breaking changes", "1 dangerous change:", f"  {added}"]
    assert entry(lines, "runs.graphql", "GetRuns") == [
        f"queries/runs.graphql:{operation_line('runs.graphql', 'GetRuns')}: GetRuns: at risk",
        f"  dangerous: {added}",
    ]
    statuses = [line.rsplit(": ", 1)[1] for line in lines if line.startswith("queries/")]
    # GetRuns and GetRunsFull, the two that ask for runCount.
    assert statuses.count("at risk") == 2
    assert statuses.count("unaffected") == len(statuses) - 2
    assert lines[-1] == f"0 of {len(statuses)} operations broken, 2 at risk"


def test_a_required_input_field_breaks_the_operations_that_pass_that_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = edited(
        COMMITTED,
        "input CreateInviteInput {\n",
        "input CreateInviteInput {\n  team: String!\n",
    )
    status, lines = diff(tmp_path, capsys, new)
    assert status == 1
    assert [line for line in lines if line.endswith(": broken")] == [
        f"queries/accounts.graphql:{operation_line('accounts.graphql', 'CreateInvite')}: "
        "CreateInvite: broken"
    ]


def test_the_report_is_sorted_by_file_and_line_and_the_same_every_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, first = diff(tmp_path, capsys, re.sub(r"\bRun\b", "WandbRun", COMMITTED))
    _, second = diff(tmp_path, capsys, re.sub(r"\bRun\b", "WandbRun", COMMITTED))
    assert first == second
    places = [
        (match[1], int(match[2]))
        for line in first
        if (match := re.match(r"(queries/[\w/]+\.graphql):(\d+): \w+: ", line))
    ]
    assert len(places) > 50
    assert places == sorted(places)


# A small schema with one of everything, then per kind of change graphql-core reports: an
# edit of it that makes that change, and what the change touches.
BASE = (
    "type Query { a(x: Int = 1): A  e: E  u: U }  interface N { f: Int }"
    "  type A implements N { f: Int  g: Int }  type B { f: Int  h: Int }  type X { a: Int }"
    "  union U = A | B  enum E { ONE TWO }  input I { p: Int  r: Int = 1 }"
    "  type M { m(i: I): Int }  directive @d(y: Int) repeatable on FIELD | QUERY"
)
KINDS: dict[str, tuple[str, str, str]] = {
    "TYPE_REMOVED": ("  type X { a: Int }", "", "X"),
    "TYPE_CHANGED_KIND": ("type X", "input X", "X"),
    "TYPE_REMOVED_FROM_UNION": ("U = A | B", "U = A", "U"),
    "VALUE_REMOVED_FROM_ENUM": (" TWO", "", "E"),
    "REQUIRED_INPUT_FIELD_ADDED": ("p: Int", "p: Int  q: Int!", "I"),
    "IMPLEMENTED_INTERFACE_REMOVED": ("A implements N", "A", "A"),
    "FIELD_REMOVED": ("  g: Int", "", "A.g"),
    "FIELD_CHANGED_KIND": ("g: Int", "g: String", "A.g"),
    "REQUIRED_ARG_ADDED": ("g: Int", "g(z: Int!): Int", "A.g"),
    "ARG_REMOVED": ("a(x: Int = 1)", "a", "Query.a(x:)"),
    "ARG_CHANGED_KIND": ("x: Int = 1", "x: String", "Query.a(x:)"),
    "DIRECTIVE_REMOVED": ("directive @d", "directive @k", "@d"),
    "DIRECTIVE_ARG_REMOVED": ("@d(y: Int)", "@d", "@d"),
    "REQUIRED_DIRECTIVE_ARG_ADDED": ("y: Int)", "y: Int  z: Int!)", "@d"),
    "DIRECTIVE_REPEATABLE_REMOVED": ("repeatable ", "", "@d"),
    "DIRECTIVE_LOCATION_REMOVED": ("FIELD | QUERY", "FIELD", "@d"),
    "VALUE_ADDED_TO_ENUM": ("TWO", "TWO THREE", "E"),
    "TYPE_ADDED_TO_UNION": ("U = A | B", "U = A | B | X", "U"),
    "OPTIONAL_INPUT_FIELD_ADDED": ("p: Int", "p: Int  q: Int", "I"),
    "OPTIONAL_ARG_ADDED": ("g: Int", "g(z: Int): Int", "A.g"),
    "IMPLEMENTED_INTERFACE_ADDED": ("type B", "type B implements N", "B"),
    "ARG_DEFAULT_VALUE_CHANGE": ("x: Int = 1", "x: Int = 2", "Query.a"),
    "INPUT_FIELD_DEFAULT_VALUE_CHANGE": ("r: Int = 1", "r: Int = 2", "I"),
}
INSTALLED_KINDS = [kind.name for kind in [*BreakingChangeType, *DangerousChangeType]]


def test_every_kind_of_change_has_a_pattern_and_a_case() -> None:
    assert set(INSTALLED_KINDS) <= set(schema.SUBJECTS)
    assert set(KINDS) == set(schema.SUBJECTS)


@pytest.mark.parametrize("kind", INSTALLED_KINDS)
def test_each_kind_of_change_touches_what_its_description_names(kind: str) -> None:
    """Against the descriptions of the installed graphql-core."""
    old_text, new_text, expected = KINDS[kind]
    old, new = build_schema(BASE), build_schema(edited(BASE, old_text, new_text))
    reported = [
        change
        for change in [*find_breaking_changes(old, new), *find_dangerous_changes(old, new)]
        if change.type.name == kind
    ]
    assert len(reported) == 1, reported
    assert schema.subject(kind, reported[0].description) == expected


# Descriptions in the wording of the graphql-core version not installed, too.
WORDINGS = [
    ("VALUE_REMOVED_FROM_ENUM", "TWO was removed from enum type E.", "E"),
    ("VALUE_REMOVED_FROM_ENUM", "Enum value E.TWO was removed.", "E"),
    ("FIELD_REMOVED", "A.g was removed.", "A.g"),
    ("FIELD_REMOVED", "Field A.g was removed.", "A.g"),
    ("REQUIRED_ARG_ADDED", "A required arg z on A.g was added.", "A.g"),
    ("REQUIRED_ARG_ADDED", "A required argument A.g(z:) was added.", "A.g"),
    ("ARG_REMOVED", "Query.a arg x was removed.", "Query.a(x:)"),
    ("ARG_REMOVED", "Argument Query.a(x:) was removed.", "Query.a(x:)"),
    ("ARG_CHANGED_KIND", "Argument @d(y:) has changed type from Int to String.", "@d"),
    ("DIRECTIVE_REMOVED", "d was removed.", "@d"),
    ("DIRECTIVE_REMOVED", "Directive @d was removed.", "@d"),
    ("DIRECTIVE_ARG_REMOVED", "y was removed from d.", "@d"),
    ("DIRECTIVE_ARG_REMOVED", "Argument @d(y:) was removed.", "@d"),
    ("OPTIONAL_INPUT_FIELD_ADDED", "An optional field q on input type I was added.", "I"),
    ("OPTIONAL_INPUT_FIELD_ADDED", "An optional field I.q was added.", "I"),
    ("ARG_DEFAULT_VALUE_CHANGE", "Query.a arg x defaultValue was removed.", "Query.a"),
    ("ARG_DEFAULT_VALUE_CHANGE", "Query.a(x:) defaultValue was removed.", "Query.a"),
    ("ARG_DEFAULT_VALUE_CHANGE", "@d(y:) has changed defaultValue from 1 to 2.", "@d"),
    ("FIELD_REMOVED", "Something else entirely.", None),
]


@pytest.mark.parametrize(("kind", "description", "expected"), WORDINGS)
def test_both_wordings_of_graphql_core_are_understood(
    kind: str, description: str, expected: str | None
) -> None:
    assert schema.subject(kind, description) == expected


def test_a_change_not_understood_touches_every_operation() -> None:
    change = schema.Change(True, "Something new.", None)
    operation = schema.Operation("GetViewer", "queries/viewer.graphql", 1, frozenset())
    assert change.touches(operation)


def test_an_argument_change_touches_only_the_operations_that_pass_it(tmp_path: Path) -> None:
    old = build_schema(BASE)
    new = build_schema(edited(BASE, "a(x: Int = 1)", "a"))
    (tmp_path / "ops.graphql").write_text(
        "query Passes { a(x: 2) { f } }\nquery Omits { a { f } }\n", encoding="utf-8"
    )
    operations = schema.operations(schema.read_queries(tmp_path, tmp_path), old)
    (removed,) = schema.changes(old, new)
    assert [(op.name, op.line, removed.touches(op)) for op in operations] == [
        ("Passes", 1, True),
        ("Omits", 2, False),
    ]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.mark.live
def test_fetch_writes_sdl_of_the_servers_schema(server: LocalServer, tmp_path: Path) -> None:
    output = tmp_path / "new.graphql"
    status = schema.main(
        ["fetch", "--url", server.base_url, "--api-key", server.api_key, "--output", str(output)]
    )
    assert status == 0
    fetched = build_schema(output.read_text(encoding="utf-8"))
    query = fetched.query_type
    assert query is not None
    assert "project" in query.fields
    assert "run" in fetched.get_type("Project").fields  # type: ignore[union-attr]
    # The local server speaks the committed schema: nothing the operations use is missing.
    assert find_breaking_changes(build_schema(COMMITTED), fetched) == []


@pytest.mark.live
def test_fetch_takes_the_key_from_wandb_api_key_and_accepts_the_graphql_url(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WANDB_API_KEY", server.api_key)
    assert schema.main(["fetch", "--url", server.graphql_url]) == 0
    sdl = capsys.readouterr().out
    assert sdl.endswith("}\n")
    assert build_schema(sdl).query_type is not None


@pytest.mark.live
def test_check_against_a_server_speaking_the_committed_schema_passes(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status = schema.main(["check", "--url", server.base_url, "--api-key", server.api_key])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.startswith("0 breaking changes\n")
    assert re.search(r"^0 of \d+ operations broken, 0 at risk$", out, re.MULTILINE)


@pytest.mark.live
def test_fetch_without_a_key_fails_in_one_line(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    assert schema.main(["fetch", "--url", server.base_url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"schema.py: {server.graphql_url}: HTTP 401: ")
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(status=500, body=b"<html>oops</html>"), "HTTP 500"),
        (Reply(body=b"<html>not json</html>"), "the answer is not JSON"),
        (
            Reply(body={"errors": [{"message": "no\nintrospection"}]}),
            "GraphQL errors: no introspection",
        ),
        (Reply(body={"data": {"something": 1}}), "not an introspection result"),
        (
            Reply(status=401, body={"errors": [{"message": f"unknown key {API_KEY}"}]}),
            "HTTP 401: unknown key <api key>",
        ),
    ],
)
def test_fetch_errors_are_one_line_and_never_show_the_key(
    reply: Reply, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with ScriptedServer() as scripted:
        scripted.script(reply)
        status = schema.main(["fetch", "--url", scripted.url + "/", "--api-key", API_KEY])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(f"schema.py: {scripted.url}/graphql: {message}")
    assert err.count("\n") == 1
    assert API_KEY not in err
    (request,) = scripted.received
    assert request.path == "/graphql"
    assert (
        request.headers["Authorization"]
        == "Basic " + base64.b64encode(f"api:{API_KEY}".encode()).decode()
    )
    assert "__schema" in request.json()["query"]
