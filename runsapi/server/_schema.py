"""The executable schema: schema.graphql (shipped beside this module) plus the resolvers."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any

from ariadne import make_executable_schema
from graphql import GraphQLEnumType, GraphQLSchema

from runsapi.server._resolvers import BINDABLES


def schema_text() -> str:
    # `schema.graphql` here is a link to the repository's file, so that there is one copy.
    return resources.files("runsapi.server").joinpath("schema.graphql").read_text()


def _two_argument_enum_parsing(schema: GraphQLSchema) -> None:
    """ariadne 1.1 replaces each enum's `parse_value` with a one-argument function, while
    newer graphql-core releases (3.2.14 here) pass it `hide_suggestions` too: without
    this, every enum given in variables (`digestAlgorithm: "MANIFEST_MD5"`) is refused."""
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLEnumType):
            continue
        parse: Callable[[Any], Any] = named.parse_value
        if len(inspect.signature(parse).parameters) >= 2:
            continue

        def parse_value(value: Any, hide_suggestions: bool = False, *, parse: Any = parse) -> Any:
            return parse(value)

        setattr(named, "parse_value", parse_value)  # noqa: B010 (mypy: a method is assigned)


@lru_cache(maxsize=1)
def executable_schema() -> GraphQLSchema:
    schema = make_executable_schema(schema_text(), *BINDABLES)
    _two_argument_enum_parsing(schema)
    return schema
