"""Resolvers for every type of schema.graphql, grouped by topic."""

from __future__ import annotations

from ariadne.types import SchemaBindable

from runsapi.server._resolvers import (
    _accounts,
    _artifact_files,
    _artifact_mutations,
    _artifacts,
    _launch,
    _mutations,
    _query,
    _run,
    _scalars,
    _sweeps,
    _views,
)

BINDABLES: tuple[SchemaBindable, ...] = (
    *_scalars.SCALARS,
    *_query.BINDABLES,
    *_run.BINDABLES,
    *_artifacts.BINDABLES,
    *_artifact_files.BINDABLES,
    *_mutations.BINDABLES,
    *_artifact_mutations.BINDABLES,
    *_launch.BINDABLES,
    *_sweeps.BINDABLES,
    *_views.BINDABLES,
    *_accounts.BINDABLES,
)
