"""The executable schema: schema.graphql (shipped beside this module) plus the resolvers."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from ariadne import make_executable_schema
from graphql import GraphQLSchema

from runsapi.server._resolvers import BINDABLES


def schema_text() -> str:
    # `schema.graphql` here is a link to the repository's file, so that there is one copy.
    return resources.files("runsapi.server").joinpath("schema.graphql").read_text()


@lru_cache(maxsize=1)
def executable_schema() -> GraphQLSchema:
    return make_executable_schema(schema_text(), *BINDABLES)
