"""Artifacts: versions, their collections (sequences) and types, aliases and lineage."""

from __future__ import annotations

import json
from typing import Any

from ariadne import InterfaceType, ObjectType, UnionType

from runsapi.server import _artifacts, _runs
from runsapi.server._context import Record, ResolveInfo, connection, context_of, page_size
from runsapi.server._ids import encode_id
from runsapi.server._resolvers._query import project

artifact = ObjectType("Artifact")
artifact_sequence = ObjectType("ArtifactSequence")
artifact_alias = ObjectType("ArtifactAlias")
artifact_collection = InterfaceType("ArtifactCollection")
artifact_type = ObjectType("ArtifactType")
membership = ObjectType("ArtifactCollectionMembership")
artifact_creator = UnionType("ArtifactCreator")

# The orders a collection's versions can be listed in: oldest first, the only one stored.
_ASCENDING = {None, "createdAt", "+createdAt", "versionIndex", "+versionIndex"}


def _split_name(name: str) -> tuple[str, str]:
    """`collection:alias` (a bare `collection` means its `latest` version)."""
    collection, _, alias = name.partition(":")
    return collection, alias or "latest"


def _membership(record: Record | None) -> Record | None:
    if record is None:
        return None
    return {
        "id": encode_id("ArtifactCollectionMembership", record["_row"]),
        "versionIndex": record["versionIndex"],
        "createdAt": record["createdAt"],
        "_artifact": record,
    }


def _version_state(filters: str | None) -> str | None:
    """The `state` a versions filter asks for; the only key the local server filters on."""
    if filters is None:
        return None
    parsed = json.loads(filters)
    if not isinstance(parsed, dict) or set(parsed) - {"state"}:
        raise ValueError(f'artifact filters take only {{"state": ...}} here, got {filters}')
    state = parsed.get("state")
    return None if state is None else str(state)


# -- from a project -----------------------------------------------------------------------


@project.field("artifactType")
def _project_artifact_type(record: Record, info: ResolveInfo, name: str) -> Record | None:
    return _artifacts.artifact_type(context_of(info).conn, record["_row"], name)


@project.field("artifactTypes")
def _project_artifact_types(
    record: Record, info: ResolveInfo, after: str | None = None, first: int | None = None
) -> Record:
    edges, has_next = _artifacts.list_artifact_types(
        context_of(info).conn, record["_row"], after=after, first=page_size(first)
    )
    return connection(edges, has_next, after)


def _collections(
    project_row: int, type_name: str | None, info: ResolveInfo, after: str | None, first: int | None
) -> Record:
    edges, has_next, total = _artifacts.list_sequences(
        context_of(info).conn, project_row, type_name, after=after, first=page_size(first)
    )
    page = connection(edges, has_next, after)
    page["totalCount"] = total
    return page


@project.field("artifactCollections")
def _project_collections(
    record: Record,
    info: ResolveInfo,
    after: str | None = None,
    first: int | None = None,
    filters: str | None = None,
    order: str | None = None,
) -> Record:
    _refuse_collection_options(filters, order)
    return _collections(record["_row"], None, info, after, first)


@project.field("artifactCollection")
def _project_collection(record: Record, info: ResolveInfo, name: str) -> Record | None:
    return _artifacts.sequence_by_name(context_of(info).conn, record["_row"], name)


@project.field("artifactCollectionMembership")
def _project_membership(record: Record, info: ResolveInfo, name: str) -> Record | None:
    return _membership(_project_artifact(record, info, name))


@project.field("artifact")
def _project_artifact(record: Record, info: ResolveInfo, name: str) -> Record | None:
    conn = context_of(info).conn
    collection, alias = _split_name(name)
    found = _artifacts.sequence_by_name(conn, record["_row"], collection)
    return None if found is None else _artifacts.artifact_by_alias(conn, found["_row"], alias)


def _refuse_collection_options(filters: str | None, order: str | None) -> None:
    if filters not in (None, "{}") or order is not None:
        raise ValueError("the local server lists artifact collections unfiltered, oldest first")


# -- types --------------------------------------------------------------------------------


@artifact_type.field("artifactCollections")
def _type_collections(
    record: Record,
    info: ResolveInfo,
    after: str | None = None,
    first: int | None = None,
    filters: str | None = None,
    order: str | None = None,
) -> Record:
    _refuse_collection_options(filters, order)
    return _collections(record["_project_row"], record["name"], info, after, first)


@artifact_type.field("artifactCollection")
def _type_collection(record: Record, info: ResolveInfo, name: str) -> Record | None:
    conn = context_of(info).conn
    return _artifacts.sequence_by_name(conn, record["_project_row"], name, record["name"])


# -- collections --------------------------------------------------------------------------


@artifact_sequence.field("project")
@artifact_collection.field("project")
def _sequence_project(record: Record, info: ResolveInfo) -> Record | None:
    return context_of(info).project(record["_project_row"])


@artifact_sequence.field("defaultArtifactType")
def _sequence_type(record: Record, info: ResolveInfo) -> Record | None:
    return _artifacts.artifact_type(context_of(info).conn, record["_project_row"], record["_type"])


@artifact_sequence.field("tags")
def _sequence_tags(*_: Any) -> Record:
    # Collection tags (as opposed to version tags) are not stored yet.
    return {"edges": []}


@artifact_sequence.field("artifacts")
def _sequence_versions(
    record: Record,
    info: ResolveInfo,
    after: str | None = None,
    first: int | None = None,
    order: str | None = None,
    filters: str | None = None,
) -> Record:
    if order not in _ASCENDING:
        raise ValueError(f"the local server lists artifact versions oldest first, not {order!r}")
    edges, has_next, total = _artifacts.list_versions(
        context_of(info).conn,
        record["_row"],
        state=_version_state(filters),
        after=after,
        first=page_size(first),
    )
    page = connection(edges, has_next, after)
    for edge in page["edges"]:
        edge["version"] = f"v{edge['node']['versionIndex']}"
    page["totalCount"] = total
    return page


@artifact_sequence.field("artifactMembership")
def _sequence_membership(record: Record, info: ResolveInfo, aliasName: str) -> Record | None:
    return _membership(
        _artifacts.artifact_by_alias(context_of(info).conn, record["_row"], aliasName)
    )


@artifact_sequence.field("latestArtifact")
def _latest_artifact(record: Record, info: ResolveInfo) -> Record | None:
    return _artifacts.latest_in_sequence(context_of(info).conn, record["_row"])


@artifact_collection.type_resolver
def _collection_type(*_: Any) -> str:
    # Portfolios (linked collections) are not modelled: every collection is a sequence.
    return "ArtifactSequence"


# -- memberships --------------------------------------------------------------------------


@membership.field("artifact")
def _membership_artifact(record: Record, _: ResolveInfo) -> Record:
    found: Record = record["_artifact"]
    return found


@membership.field("aliases")
def _membership_aliases(record: Record, info: ResolveInfo) -> list[Record]:
    return _aliases_of(record["_artifact"], info)


@membership.field("artifactCollection")
def _membership_collection(record: Record, info: ResolveInfo) -> Record:
    return _artifacts.sequence(context_of(info).conn, record["_artifact"]["_sequence_row"])


# -- versions -----------------------------------------------------------------------------


@artifact.field("artifactSequence")
def _artifact_sequence(record: Record, info: ResolveInfo) -> Record:
    return _artifacts.sequence(context_of(info).conn, record["_sequence_row"])


@artifact.field("artifactType")
def _artifact_type(record: Record, info: ResolveInfo) -> Record | None:
    sequence = _artifact_sequence(record, info)
    return _artifacts.artifact_type(
        context_of(info).conn, sequence["_project_row"], sequence["_type"]
    )


@artifact.field("tags")
def _artifact_tags(record: Record, info: ResolveInfo) -> list[Record]:
    return _artifacts.tags(context_of(info).conn, record["_row"])


@artifact.field("aliases")
def _artifact_aliases(record: Record, info: ResolveInfo) -> list[Record]:
    return _aliases_of(record, info)


def _aliases_of(record: Record, info: ResolveInfo) -> list[Record]:
    return [
        {**alias, "_sequence_row": record["_sequence_row"]}
        for alias in _artifacts.aliases(context_of(info).conn, record["_row"])
    ]


@artifact.field("createdBy")
def _created_by(record: Record, info: ResolveInfo) -> Record | None:
    conn = context_of(info).conn
    for run_row in _artifacts.linked_runs(conn, record["_row"], "output"):
        return _runs.run_by_row(conn, run_row)
    return None


@artifact.field("usedBy")
def _used_by(record: Record, info: ResolveInfo) -> Record:
    conn = context_of(info).conn
    runs = [
        _runs.run_by_row(conn, row) for row in _artifacts.linked_runs(conn, record["_row"], "input")
    ]
    return connection([(run, "") for run in runs if run is not None], False, None)


@artifact_creator.type_resolver
def _creator_type(*_: Any) -> str:
    # Only runs are recorded as creators.
    return "Run"


@artifact_alias.field("artifactCollection")
def _alias_collection(record: Record, info: ResolveInfo) -> Record:
    return _artifacts.sequence(context_of(info).conn, record["_sequence_row"])


BINDABLES = (
    artifact,
    artifact_sequence,
    artifact_alias,
    artifact_collection,
    artifact_type,
    membership,
    artifact_creator,
)
