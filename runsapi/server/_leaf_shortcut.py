"""graphql-core 3.2's executor with a shortcut for the commonest field of this server.

Most fields the server answers are scalars that the default resolver reads from a dict
record, without arguments: `id`, `name`, `state`, ... of every run in a page. For those,
graphql-core's general path (resolve info, argument coercion, resolver call, completion
dispatch) costs several times the work itself. This executor reads and serializes such a
field directly and hands every other case, and every value that is missing, callable or
fails to serialize, to graphql-core's own `execute_field`, so answers and errors are the
same as without it.

It subclasses 3.2's `ExecutionContext`, which graphql-core 3.3 replaced; import it only
through `runsapi.server._execution`, which does so only on 3.2.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (  # type: ignore[attr-defined,unused-ignore]  # 3.2 only
    ExecutionContext,
    FieldNode,
    GraphQLEnumType,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_nullable_type,
)
from graphql.pyutils import Path

_GENERAL: Any = object()  # "take graphql-core's general path"


class _Leaf(NamedTuple):
    key: str  # what the default resolver reads: the field's name, not its alias
    type: GraphQLLeafType
    nullable: bool


class LeafShortcutExecutionContext(ExecutionContext):  # type: ignore[misc,unused-ignore]
    """Pass as `execution_context_class`; see the module's docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._leaves: dict[tuple[str, str], _Leaf | None] = {}

    def _leaf(self, parent_type: GraphQLObjectType, node: FieldNode) -> _Leaf | None:
        """How to read the field directly, or None when the general path must."""
        name = node.name.value
        key = (parent_type.name, name)
        if key not in self._leaves:
            field = parent_type.fields.get(name)
            leaf = None
            if (
                field is not None
                and field.resolve is None
                and not field.args
                and not node.arguments
                and self.middleware_manager is None
            ):
                inner = get_nullable_type(field.type)
                if isinstance(inner, (GraphQLScalarType, GraphQLEnumType)):  # a leaf type
                    leaf = _Leaf(name, inner, inner is field.type)
            self._leaves[key] = leaf
        return self._leaves[key]

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        fields: dict[str, list[FieldNode]],
    ) -> Any:
        if type(source_value) is not dict:
            return super().execute_fields(parent_type, source_value, path, fields)
        results: dict[str, Any] = {}
        for response_name, field_nodes in fields.items():
            value = self._read_leaf(parent_type, source_value, field_nodes[0])
            if value is _GENERAL:
                field_path = Path(path, response_name, parent_type.name)
                value = self.execute_field(parent_type, source_value, field_nodes, field_path)
                if value is Undefined:
                    continue
                if self.is_awaitable(value):
                    raise RuntimeError("this server's resolvers must be synchronous")
            results[response_name] = value
        return results

    def _read_leaf(
        self, parent_type: GraphQLObjectType, source: dict[str, Any], node: FieldNode
    ) -> Any:
        """The serialized value of a plain leaf field, or _GENERAL."""
        leaf = self._leaf(parent_type, node)
        if leaf is None:
            return _GENERAL
        value = source.get(leaf.key)
        if value is None:
            return None if leaf.nullable else _GENERAL
        if callable(value):
            return _GENERAL
        try:
            serialized = leaf.type.serialize(value)
        except Exception:  # the general path reports it as a field error
            return _GENERAL
        return _GENERAL if serialized is None or serialized is Undefined else serialized
