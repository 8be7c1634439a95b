"""Resolvers for every type of schema.graphql, grouped by topic."""

from __future__ import annotations

from ariadne.types import SchemaBindable

from runsapi.server._resolvers import (
    _artifact_files,
    _artifact_mutations,
    _artifacts,
    _mutations,
    _query,
    _run,
    _scalars,
)

BINDABLES: tuple[SchemaBindable, ...] = (
    *_scalars.SCALARS,
    *_query.BINDABLES,
    *_run.BINDABLES,
    *_artifacts.BINDABLES,
    *_artifact_files.BINDABLES,
    *_mutations.BINDABLES,
    *_artifact_mutations.BINDABLES,
)
