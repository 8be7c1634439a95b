"""Fetch a server's GraphQL schema, and tell which operations in queries/ a schema change touches.

    python scripts/schema.py fetch --url URL [--api-key KEY] [--output new.graphql]
    python scripts/schema.py diff OLD.graphql NEW.graphql [--queries DIR]
    python scripts/schema.py check --url URL [--api-key KEY] [--schema FILE] [--queries DIR]

`fetch` introspects the server at URL (a base URL, or its .../graphql endpoint) and writes
the schema as SDL. `diff` lists graphql-core's breaking and dangerous changes from OLD to NEW,
then every operation with the changes that touch what it selects. `check` is `diff` from the
committed schema.graphql to the server's, for CI.

Exit status: 1 when a breaking change touches an operation, 2 when the server cannot be
introspected or a file cannot be read as a schema or as operations, else 0. The API key
(default: $WANDB_API_KEY) is sent as HTTP Basic `api:<key>` and never printed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLSchema,
    NamedTypeNode,
    OperationDefinitionNode,
    Source,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    build_client_schema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    get_introspection_query,
    get_named_type,
    parse,
    print_schema,
    visit,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema.graphql"
QUERIES = ROOT / "queries"
# The files ariadne-codegen reads from its queries_path, recursively.
QUERY_SUFFIXES = (".graphql", ".graphqls", ".gql")
TIMEOUT_SECONDS = 60

# What each kind of change touches, read from graphql-core's description of it (3.2's
# wording, and 3.3's where it differs). The named groups make the subject: a type ("Run"),
# a field ("Run.name"), an argument ("Project.runs(filters:)") or a directive ("@include").
FIELD = r"(?P<type>\w+)\.(?P<field>\w+)"
ARGUMENT = rf"{FIELD}\((?P<arg>\w+):\)"
SUBJECTS: dict[str, tuple[str, ...]] = {
    "TYPE_REMOVED": (r"(?:Standard scalar )?(?P<type>\w+) was removed",),
    "TYPE_CHANGED_KIND": (r"(?P<type>\w+) changed from ",),
    "TYPE_REMOVED_FROM_UNION": (r"\w+ was removed from union type (?P<type>\w+)\.",),
    "VALUE_REMOVED_FROM_ENUM": (
        r"\w+ was removed from enum type (?P<type>\w+)\.",
        r"Enum value (?P<type>\w+)\.\w+ was removed\.",
    ),
    "REQUIRED_INPUT_FIELD_ADDED": (
        r"A required field \w+ on input type (?P<type>\w+) ",
        r"A required field (?P<type>\w+)\.\w+ was added\.",
    ),
    "IMPLEMENTED_INTERFACE_REMOVED": (r"(?P<type>\w+) no longer implements ",),
    "FIELD_REMOVED": (rf"(?:Field )?{FIELD} was removed\.",),
    "FIELD_CHANGED_KIND": (rf"(?:Field )?{FIELD} changed type ",),
    "REQUIRED_ARG_ADDED": (
        rf"A required arg \w+ on {FIELD} ",
        rf"A required argument {FIELD}\(\w+:\) ",
    ),
    "ARG_REMOVED": (
        rf"{FIELD} arg (?P<arg>\w+) was removed\.",
        rf"Argument {ARGUMENT} was removed\.",
    ),
    "ARG_CHANGED_KIND": (
        rf"{FIELD} arg (?P<arg>\w+) has changed type ",
        rf"Argument {ARGUMENT} has changed type ",
        r"Argument @(?P<directive>\w+)\(\w+:\) has changed type ",
    ),
    "DIRECTIVE_REMOVED": (r"(?:Directive @)?(?P<directive>\w+) was removed\.",),
    "DIRECTIVE_ARG_REMOVED": (
        r"\w+ was removed from (?P<directive>\w+)\.",
        r"Argument @(?P<directive>\w+)\(\w+:\) was removed\.",
    ),
    "REQUIRED_DIRECTIVE_ARG_ADDED": (
        r"A required arg \w+ on directive (?P<directive>\w+) ",
        r"A required argument @(?P<directive>\w+)\(",
    ),
    "DIRECTIVE_REPEATABLE_REMOVED": (r"Repeatable flag was removed from @?(?P<directive>\w+)\.",),
    "DIRECTIVE_LOCATION_REMOVED": (r"\w+ was removed from @?(?P<directive>\w+)\.",),
    "VALUE_ADDED_TO_ENUM": (
        r"\w+ was added to enum type (?P<type>\w+)\.",
        r"Enum value (?P<type>\w+)\.\w+ was added\.",
    ),
    "TYPE_ADDED_TO_UNION": (r"\w+ was added to union type (?P<type>\w+)\.",),
    "OPTIONAL_INPUT_FIELD_ADDED": (
        r"An optional field \w+ on input type (?P<type>\w+) ",
        r"An optional field (?P<type>\w+)\.\w+ was added\.",
    ),
    "OPTIONAL_ARG_ADDED": (
        rf"An optional arg \w+ on {FIELD} ",
        rf"An optional argument {FIELD}\(\w+:\) ",
    ),
    "IMPLEMENTED_INTERFACE_ADDED": (r"\w+ added to interfaces implemented by (?P<type>\w+)\.",),
    # A new default matters to the operations that leave the argument out, so the subject
    # is the field (or the directive, or the input type), not the argument.
    "ARG_DEFAULT_VALUE_CHANGE": (
        rf"{FIELD} arg \w+ ",
        rf"{FIELD}\(\w+:\) ",
        r"@(?P<directive>\w+)\(\w+:\) ",
    ),
    "INPUT_FIELD_DEFAULT_VALUE_CHANGE": (r"(?P<type>\w+)\.\w+ ",),  # 3.3 only
}


class SchemaError(Exception):
    """A schema could not be had (from a server or a file); the message is one line."""


def graphql_endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/graphql") else f"{url}/graphql"


def fetch(url: str, api_key: str | None) -> GraphQLSchema:
    """The schema of the server at `url`, by the standard introspection query."""
    endpoint = graphql_endpoint(url)
    try:
        response = httpx.post(
            endpoint,
            json={"query": get_introspection_query()},
            auth=("api", api_key) if api_key else None,
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as error:
        raise SchemaError(f"{endpoint}: {type(error).__name__}: {error}") from None
    try:
        payload = response.json()
    except ValueError:
        payload = None
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if response.is_error:
        detail = f": {messages(errors)}" if errors else ""
        raise SchemaError(f"{endpoint}: HTTP {response.status_code}{detail}")
    if payload is None:
        raise SchemaError(f"{endpoint}: the answer is not JSON")
    if errors:
        raise SchemaError(f"{endpoint}: GraphQL errors: {messages(errors)}")
    try:
        return build_client_schema(payload["data"])
    except (KeyError, TypeError) as error:
        raise SchemaError(f"{endpoint}: not an introspection result ({error})") from None


def messages(errors: Any) -> str:
    """GraphQL `errors`, on one line."""
    items = errors if isinstance(errors, list) else [errors]
    texts = (item.get("message", item) if isinstance(item, dict) else item for item in items)
    return " ".join("; ".join(str(text) for text in texts).split())


def display(path: Path, root: Path = ROOT) -> str:
    """`path` as errors name it: relative to `root` when inside it."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def load_schema(path: Path, root: Path = ROOT) -> GraphQLSchema:
    try:
        return build_schema(Source(path.read_text(encoding="utf-8"), display(path, root)))
    except GraphQLError as error:
        raise SchemaError(located(error)) from None
    except TypeError as error:  # what build_schema raises for SDL that is not a valid schema
        raise SchemaError(f"{display(path, root)}: {' '.join(str(error).split())}") from None


def located(error: GraphQLError) -> str:
    """`file:line:col: message`, the file being the name of the error's source."""
    if error.source is None or not error.locations:
        return error.message
    location = error.locations[0]
    return f"{error.source.name}:{location.line}:{location.column}: {error.message}"


def read_queries(directory: Path, root: Path = ROOT) -> DocumentNode:
    """Every operation file under `directory` as one document, as ariadne-codegen reads them
    (an operation may spread a fragment defined in another file). Each node's `loc.source`
    is named after its file (see `display`), so errors can name the file."""
    definitions = []
    for path in sorted(directory.rglob("*")):
        if path.suffix in QUERY_SUFFIXES:
            source = Source(path.read_text(encoding="utf-8"), display(path, root))
            definitions.extend(parse(source).definitions)
    return DocumentNode(definitions=tuple(definitions))


@dataclass(frozen=True)
class Operation:
    name: str
    file: str
    line: int
    # What it selects, in the notation of `subject`, through the fragments it spreads.
    uses: frozenset[str]


@dataclass(frozen=True)
class Change:
    breaking: bool
    description: str
    # None when the description is not understood: taken to touch every operation.
    subject: str | None

    def touches(self, operation: Operation) -> bool:
        return self.subject is None or self.subject in operation.uses


class _Uses(Visitor):
    """Collects the types, fields, arguments and directives a selection uses."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.uses: set[str] = set()

    def enter_field(self, node: FieldNode, *_: object) -> None:
        parent, field = self.type_info.get_parent_type(), self.type_info.get_field_def()
        if parent is None or field is None or node.name.value.startswith("__"):
            return
        name = f"{parent.name}.{node.name.value}"
        self.uses.update((parent.name, name, get_named_type(field.type).name))
        for argument in node.arguments or ():  # None, not (), in graphql-core 3.3
            self.uses.add(f"{name}({argument.name.value}:)")
            if definition := field.args.get(argument.name.value):
                self.uses.add(get_named_type(definition.type).name)

    def enter_named_type(self, node: NamedTypeNode, *_: object) -> None:
        self.uses.add(node.name.value)  # variable types and type conditions

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        self.uses.add(f"@{node.name.value}")


def operations(document: DocumentNode, schema: GraphQLSchema) -> list[Operation]:
    """The operations of `document`, each with what it uses in `schema`, by file and line."""
    fragments = {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, FragmentDefinitionNode)
    }
    found = []
    for node in document.definitions:
        if isinstance(node, OperationDefinitionNode) and node.name and node.loc:
            type_info = TypeInfo(schema)
            collector = _Uses(type_info)
            for part in (node, *spread_fragments(node, fragments)):
                visit(part, TypeInfoVisitor(type_info, collector))
            uses = frozenset(with_input_fields(schema, collector.uses))
            # The lexer's line: Source.get_location is off by one at a line's start in 3.2.4.
            line = node.loc.start_token.line
            found.append(Operation(node.name.value, node.loc.source.name, line, uses))
    return sorted(found, key=lambda operation: (operation.file, operation.line))


def spread_fragments(
    node: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[FragmentDefinitionNode]:
    """The fragments `node` spreads, directly or through other fragments."""
    found: dict[str, FragmentDefinitionNode] = {}
    pending: list[OperationDefinitionNode | FragmentDefinitionNode] = [node]
    while pending:
        spreads = _Spreads()
        visit(pending.pop(), spreads)
        for name in spreads.names:
            if name in fragments and name not in found:
                found[name] = fragments[name]
                pending.append(fragments[name])
    return list(found.values())


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.append(node.name.value)


def with_input_fields(schema: GraphQLSchema, uses: Iterable[str]) -> set[str]:
    """`uses` plus every field of the input object types in it, recursively: an operation
    that passes an input object in a variable may set any of its fields."""
    found = set(uses)
    pending = list(found)
    while pending:
        input_type = schema.get_type(pending.pop())
        if not isinstance(input_type, GraphQLInputObjectType):
            continue
        for name, field in input_type.fields.items():
            for used in (f"{input_type.name}.{name}", get_named_type(field.type).name):
                if used not in found:
                    found.add(used)
                    pending.append(used)
    return found


def subject(kind: str, description: str) -> str | None:
    """What a change of `kind` (its name) touches, in the notation of `Operation.uses`,
    or None if its description is not understood."""
    for pattern in SUBJECTS.get(kind, ()):
        match = re.match(pattern, description)
        if match is None:
            continue
        parts = match.groupdict()
        if "directive" in parts:
            return f"@{parts['directive']}"
        field = f".{parts['field']}" if "field" in parts else ""
        argument = f"({parts['arg']}:)" if "arg" in parts else ""
        return parts["type"] + field + argument
    return None


def changes(old: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    """Breaking changes, then dangerous ones, each sorted by description."""
    found = [
        Change(True, change.description, subject(change.type.name, change.description))
        for change in find_breaking_changes(old, new)
    ] + [
        Change(False, change.description, subject(change.type.name, change.description))
        for change in find_dangerous_changes(old, new)
    ]
    return sorted(found, key=lambda change: (not change.breaking, change.description))


def report(found: list[Change], affected: list[Operation]) -> tuple[list[str], int]:
    """The lines of the report, and how many operations a breaking change touches."""
    lines = []
    for breaking, label in ((True, "breaking"), (False, "dangerous")):
        descriptions = [change.description for change in found if change.breaking is breaking]
        plural = "s" * (len(descriptions) != 1)
        lines.append(f"{len(descriptions)} {label} change{plural}{':' * bool(descriptions)}")
        lines.extend(f"  {description}" for description in descriptions)
    lines.append("")
    broken = at_risk = 0
    for operation in affected:
        touching = [change for change in found if change.touches(operation)]
        status = "unaffected"
        if any(change.breaking for change in touching):
            status, broken = "broken", broken + 1
        elif touching:
            status, at_risk = "at risk", at_risk + 1
        lines.append(f"{operation.file}:{operation.line}: {operation.name}: {status}")
        lines.extend(
            f"  {'breaking' if change.breaking else 'dangerous'}: {change.description}"
            for change in touching
        )
    lines.append("")
    lines.append(f"{broken} of {len(affected)} operations broken, {at_risk} at risk")
    return lines, broken


def impact(old: GraphQLSchema, new: GraphQLSchema, queries: Path) -> int:
    """Print the changes from `old` to `new` and the operations they touch; 1 if any breaks."""
    lines, broken = report(changes(old, new), operations(read_queries(queries), old))
    print("\n".join(lines))
    return int(broken > 0)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    api_key = getattr(args, "api_key", None) or os.environ.get("WANDB_API_KEY")
    try:
        if args.command == "fetch":
            sdl = print_schema(fetch(args.url, api_key)) + "\n"
            if args.output:
                args.output.write_text(sdl, encoding="utf-8")
            else:
                sys.stdout.write(sdl)
            return 0
        if args.command == "diff":
            return impact(load_schema(args.old), load_schema(args.new), args.queries)
        return impact(load_schema(args.schema), fetch(args.url, api_key), args.queries)
    except (SchemaError, GraphQLError) as error:  # GraphQLError: an unparsable operation file
        message = located(error) if isinstance(error, GraphQLError) else str(error)
        if api_key:  # in case a server echoes it
            message = message.replace(api_key, "<api key>")
        print(f"schema.py: {message}", file=sys.stderr)
        return 2


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=summary)

    fetch_command = command("fetch", "Write a server's schema as SDL.")
    diff_command = command("diff", "List the changes between two SDL files, by operation.")
    check_command = command(
        "check", "Diff the committed schema against a server's (exit 1 if an operation breaks)."
    )
    for command in (fetch_command, check_command):
        command.add_argument("--url", required=True, help="the server (base URL or .../graphql)")
        command.add_argument(
            "--api-key", help="sent as HTTP Basic api:<key> (default: $WANDB_API_KEY)"
        )
    fetch_command.add_argument("--output", type=Path, help="write here instead of stdout")
    diff_command.add_argument("old", type=Path, help="the schema the operations were written for")
    diff_command.add_argument("new", type=Path, help="the schema to move to")
    check_command.add_argument(
        "--schema", type=Path, default=SCHEMA, help="the committed schema (default: schema.graphql)"
    )
    for command in (diff_command, check_command):
        command.add_argument(
            "--queries", type=Path, default=QUERIES, help="the operations (default: queries/)"
        )
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
