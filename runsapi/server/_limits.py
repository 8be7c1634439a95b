"""Limits on what one GraphQL request may ask for, checked before it runs.

Without them a small request can ask for more than the server can hold: three aliases of
`runs(first: 2000) { history(samples: 100) }` answer 600,000 rows (82 MB). Page sizes and
sample counts usually travel in variables, while validation is cached per query text
(`_documents`), so the limits are checked per request, on the validated document and its
variables. The operation is walked with its fragments expanded and its fields merged by
response name, as the executor merges them, and refused with a GraphQL error that says
the limit and what was asked when it has:

- a page (`first`) larger than MAX_PAGE_SIZE, or more than MAX_PAGE_ITEMS items in all
  pages, a page inside another one counted once per item of the outer page;
- one field under more than MAX_FIELD_ALIASES names (aliases) in one selection;
- more than MAX_LISTING_FIELDS top-level and paginated fields (`project`, `runs`,
  `files`...), every aliased copy and every copy inside another one counted;
- more than MAX_SAMPLED_ROWS sampled rows: the sum over `history`, `events` and
  `sampledHistory` of their samples (of every spec) times the runs of the pages they are
  in, each page counted as full;
- more than MAX_SELECTED_FIELDS fields in all, which also bounds this walk.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.utilities import get_operation_ast, value_from_ast_untyped

from runsapi.server._constants import (
    DEFAULT_EVENTS_SAMPLES,
    DEFAULT_HISTORY_SAMPLES,
    DEFAULT_PAGE_SIZE,
    MAX_FIELD_ALIASES,
    MAX_LISTING_FIELDS,
    MAX_PAGE_ITEMS,
    MAX_PAGE_SIZE,
    MAX_SAMPLED_ROWS,
    MAX_SELECTED_FIELDS,
)
from runsapi.server._history import parse_spec

# Run fields that answer sampled rows from a `samples` argument, and its default.
_SAMPLED_FIELDS = {"history": DEFAULT_HISTORY_SAMPLES, "events": DEFAULT_EVENTS_SAMPLES}
_RUN = "Run"

# Selection sets, each with the type its fields belong to.
_Selections = list[tuple[GraphQLNamedType, SelectionSetNode]]
# The nodes merged into one field, each with the type it belongs to.
_Fields = list[tuple[GraphQLNamedType, FieldNode]]


def check_limits(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> None:
    """Raise a GraphQLError if the operation asks for more than the limits allow."""
    operation = get_operation_ast(document, operation_name)
    root = None if operation is None else schema.get_root_type(operation.operation)
    if operation is None or root is None:
        return  # the executor reports the missing or ambiguous operation
    given = variables if isinstance(variables, dict) else {}
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in given:
            values[name] = given[name]
        elif definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    fragments = {
        node.name.value: node
        for node in document.definitions
        if isinstance(node, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, values)
    walk.visit([(root, operation.selection_set)], copies=1, top_level=True)
    walk.check_totals(operation.selection_set)


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    fields: int = 0
    listings: Counter[str] = field(default_factory=Counter)
    page_items: int = 0
    sampled_rows: int = 0

    def visit(self, selections: _Selections, *, copies: int, top_level: bool) -> None:
        """Count one merged selection, whose fields are each resolved `copies` times (the
        product of the page sizes around it)."""
        grouped = self._merged(selections)
        names: dict[str, set[str]] = {}
        for key, name in grouped:
            names.setdefault(name, set()).add(key)
        for name, keys in names.items():
            if len(keys) > MAX_FIELD_ALIASES:
                raise GraphQLError(
                    f"`{name}` is asked for under {len(keys)} names (aliases) in one selection;"
                    f" at most {MAX_FIELD_ALIASES} are allowed",
                    nodes=grouped[min(keys), name][0][1],
                )
        for (_, name), nodes in grouped.items():
            owner, node = nodes[0]
            fields = (
                owner.fields if isinstance(owner, (GraphQLObjectType, GraphQLInterfaceType)) else {}
            )
            definition = fields.get(name)
            if definition is None:
                continue  # __typename and introspection
            self.fields += 1
            if self.fields > MAX_SELECTED_FIELDS:
                raise GraphQLError(
                    f"the operation selects more than {MAX_SELECTED_FIELDS:,} fields once its"
                    " fragments are expanded",
                    nodes=node,
                )
            inner_copies = copies
            if "first" in definition.args:
                first = self._int(node, "first", DEFAULT_PAGE_SIZE)
                if first > MAX_PAGE_SIZE:
                    raise GraphQLError(
                        f"`{name}(first: {first:,})` asks for a page of {first:,};"
                        f" a page holds at most {MAX_PAGE_SIZE:,}",
                        nodes=node,
                    )
                inner_copies = copies * max(first, 0)
                self.page_items += inner_copies
            if top_level or "first" in definition.args:
                self.listings[name] += 1
            if owner.name == _RUN:
                self.sampled_rows += copies * self._samples(node, name)
            inner = get_named_type(definition.type)
            children = [(inner, each.selection_set) for _, each in nodes if each.selection_set]
            if children:
                self.visit(children, copies=inner_copies, top_level=False)

    def check_totals(self, node: SelectionSetNode) -> None:
        listings = sum(self.listings.values())
        if listings > MAX_LISTING_FIELDS:
            named = ", ".join(f"{name} x {count}" for name, count in self.listings.items())
            raise GraphQLError(
                f"the operation asks for {listings} top-level and paginated fields ({named});"
                f" at most {MAX_LISTING_FIELDS} are allowed",
                nodes=node,
            )
        if self.page_items > MAX_PAGE_ITEMS:
            raise GraphQLError(
                f"the operation asks for pages of up to {self.page_items:,} items in all (a"
                f" page inside a page counts once per outer item); at most {MAX_PAGE_ITEMS:,}"
                " are allowed per request",
                nodes=node,
            )
        if self.sampled_rows > MAX_SAMPLED_ROWS:
            raise GraphQLError(
                f"the operation asks for up to {self.sampled_rows:,} sampled history rows"
                f" (runs x samples x specs); at most {MAX_SAMPLED_ROWS:,} are allowed per"
                " request",
                nodes=node,
            )

    def _merged(self, selections: _Selections) -> dict[tuple[str, str], _Fields]:
        """(response name, field name) -> (owner type, node) of every field selected,
        fragments expanded (each fragment once, like the executor)."""
        grouped: dict[tuple[str, str], _Fields] = {}
        visited: set[str] = set()
        pending = list(selections)
        while pending:
            owner, selection_set = pending.pop()
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    grouped.setdefault((key, selection.name.value), []).append((owner, selection))
                elif isinstance(selection, InlineFragmentNode):
                    condition = self._type(selection.type_condition, owner)
                    pending.append((condition, selection.selection_set))
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments.get(selection.name.value)
                    if fragment is not None and fragment.name.value not in visited:
                        visited.add(fragment.name.value)
                        condition = self._type(fragment.type_condition, owner)
                        pending.append((condition, fragment.selection_set))
        return grouped

    def _type(self, condition: NamedTypeNode | None, owner: GraphQLNamedType) -> GraphQLNamedType:
        found = None if condition is None else self.schema.get_type(condition.name.value)
        return owner if found is None else found

    def _samples(self, node: FieldNode, name: str) -> int:
        """Rows a Run field answers per run: its samples, summed over its specs."""
        if name in _SAMPLED_FIELDS:
            return max(self._int(node, "samples", _SAMPLED_FIELDS[name]), 0)
        if name != "sampledHistory":
            return 0
        specs = self._argument(node, "specs")
        total = 0
        for spec in specs if isinstance(specs, list) else [specs]:
            try:
                total += max(parse_spec(spec)[1], 0)
            except (TypeError, ValueError):
                continue  # the resolver reports a malformed spec
        return total

    def _int(self, node: FieldNode, name: str, default: int) -> int:
        value = self._argument(node, name)
        if isinstance(value, bool) or not isinstance(value, int):
            return default  # absent or null; a value of the wrong type fails in execution
        return value

    def _argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return value_from_ast_untyped(argument.value, self.variables)
        return None
