"""Artifacts: versions, their collections (sequences) and types, and looking them up.

Metadata only for now: an artifact's files, downloads and logging come with the rest of
issue 16.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from runsapi._exceptions import NotFoundError
from runsapi._json import decode_object
from runsapi._pagination import Page, Paginator, page_of
from runsapi._paths import ArtifactPath, ProjectPath, RunPath
from runsapi._results import run_of
from runsapi._time import as_utc

if TYPE_CHECKING:
    from runsapi._gql import ArtifactCollectionData, ArtifactData, ArtifactTypeData
    from runsapi._session import Session as _Session


def _when(value: datetime | None) -> datetime:
    moment = as_utc(value)
    assert moment is not None
    return moment


@dataclass(frozen=True)
class Artifact:
    """An artifact version: `collection:vN` of a project."""

    id: str
    name: str
    """`collection:vN`."""
    collection: str
    type: str
    version: str
    """`vN`."""
    aliases: tuple[str, ...]
    tags: tuple[str, ...]
    size: int
    digest: str
    state: str
    description: str | None
    metadata: dict[str, Any]
    created_at: datetime
    file_count: int
    entity: str | None
    project: str | None

    @property
    def qualified_name(self) -> str:
        """`entity/project/collection:vN`."""
        return f"{self.entity}/{self.project}/{self.name}"

    @classmethod
    def _from(cls, data: ArtifactData) -> Artifact:
        collection = data.artifact_sequence.name
        version = f"v{data.version_index}" if data.version_index is not None else "latest"
        project = data.artifact_sequence.project
        return cls(
            id=data.id,
            name=f"{collection}:{version}",
            collection=collection,
            type=data.artifact_type.name,
            version=version,
            aliases=tuple(alias.alias for alias in data.aliases),
            tags=tuple(tag.name for tag in data.tags),
            size=data.size,
            digest=data.digest,
            state=data.state.value,
            description=data.description,
            metadata=decode_object(data.metadata, what=f"metadata of artifact {collection}"),
            created_at=_when(data.created_at),
            file_count=data.file_count,
            entity=project.entity_name if project else None,
            project=project.name if project else None,
        )


@dataclass(frozen=True)
class ArtifactType:
    """A kind of artifact in a project (`dataset`, `model`, ...)."""

    id: str
    name: str
    description: str | None
    created_at: datetime
    entity: str
    project: str
    _session: _Session = field(repr=False, compare=False)

    @classmethod
    def _from(cls, data: ArtifactTypeData, path: ProjectPath, session: _Session) -> ArtifactType:
        return cls(
            id=data.id,
            name=data.name,
            description=data.description,
            created_at=_when(data.created_at),
            entity=path.entity,
            project=path.project,
            _session=session,
        )

    def collections(self, per_page: int = 50) -> Paginator[ArtifactCollection]:
        """The collections of this type, oldest first."""
        return list_collections(
            self._session, ProjectPath(self.entity, self.project), self.name, per_page=per_page
        )

    def collection(self, name: str) -> ArtifactCollection:
        """The collection `name` of this type."""
        return find_collection(
            self._session, ProjectPath(self.entity, self.project), self.name, name
        )


@dataclass(frozen=True)
class ArtifactCollection:
    """A named sequence of artifact versions (`name:v0`, `name:v1`, ...)."""

    id: str
    name: str
    type: str
    description: str | None
    created_at: datetime
    updated_at: datetime | None
    tags: tuple[str, ...]
    entity: str
    project: str
    _session: _Session = field(repr=False, compare=False)

    @classmethod
    def _from(cls, data: ArtifactCollectionData, session: _Session) -> ArtifactCollection:
        if data.project is None:
            raise NotFoundError(f"artifact collection {data.name} has no project")
        return cls(
            id=data.id,
            name=data.name,
            type=data.default_artifact_type.name,
            description=data.description,
            created_at=_when(data.created_at),
            updated_at=as_utc(data.updated_at),
            tags=tuple(edge.node.name for edge in data.tags.edges),
            entity=data.project.entity_name,
            project=data.project.name,
            _session=session,
        )

    def artifacts(
        self, per_page: int = 50, tags: str | Sequence[str] | None = None
    ) -> Paginator[Artifact]:
        """The versions of this collection, oldest first (only those with all of `tags`)."""
        path = ProjectPath(self.entity, self.project)
        return list_versions(self._session, path, self.type, self.name, per_page, tags)

    def versions(self, per_page: int = 50) -> Paginator[Artifact]:
        """The versions of this collection, oldest first."""
        return self.artifacts(per_page=per_page)


def find_artifact(session: _Session, path: ArtifactPath, type: str | None = None) -> Artifact:
    """The version `path` names; NotFoundError if none (or not of `type`, when given)."""
    found = session.gql.artifact_by_name(
        entity=path.entity, project=path.project, name=path.name
    ).project
    if found is None or found.artifact is None:
        raise NotFoundError(f"artifact {path} not found", path=str(path))
    artifact = Artifact._from(found.artifact)
    if type is not None and artifact.type != type:
        raise NotFoundError(
            f"artifact {path} is of type {artifact.type!r}, not {type!r}", path=str(path)
        )
    return artifact


def find_type(session: _Session, project: ProjectPath, name: str) -> ArtifactType:
    found = session.gql.artifact_type_by_name(
        entity=project.entity, project=project.project, type_=name
    ).project
    if found is None or found.artifact_type is None:
        raise NotFoundError(f"artifact type {name!r} not found in {project}", path=str(project))
    return ArtifactType._from(found.artifact_type, project, session)


def list_types(session: _Session, project: ProjectPath, per_page: int) -> Paginator[ArtifactType]:
    def fetch(cursor: str | None, size: int) -> Page[ArtifactTypeData]:
        found = session.gql.project_artifact_type_list(
            entity=project.entity, project=project.project, cursor=cursor, per_page=size
        ).project
        if found is None:
            raise NotFoundError(f"project {project} not found", path=str(project))
        return page_of(found.artifact_types)

    return Paginator(
        fetch=fetch,
        convert=lambda nodes: [ArtifactType._from(node, project, session) for node in nodes],
        identity=lambda kind: kind.id,
        per_page=per_page,
        what="artifact types",
    )


def find_collection(
    session: _Session, project: ProjectPath, type_name: str, name: str
) -> ArtifactCollection:
    found = session.gql.artifact_collection_by_name(
        entity=project.entity, project=project.project, type_=type_name, name=name
    ).project
    kind = found.artifact_type if found else None
    if kind is None or kind.artifact_collection is None:
        raise NotFoundError(
            f"artifact collection {project}/{name} of type {type_name!r} not found",
            path=f"{project}/{name}",
        )
    return ArtifactCollection._from(kind.artifact_collection, session)


def list_collections(
    session: _Session, project: ProjectPath, type_name: str, *, per_page: int
) -> Paginator[ArtifactCollection]:
    def fetch(cursor: str | None, size: int) -> Page[ArtifactCollectionData]:
        found = session.gql.type_artifact_collections(
            entity=project.entity,
            project=project.project,
            type_=type_name,
            cursor=cursor,
            per_page=size,
        ).project
        kind = found.artifact_type if found else None
        if kind is None:
            raise NotFoundError(
                f"artifact type {type_name!r} not found in {project}", path=str(project)
            )
        listed = kind.artifact_collections
        return page_of(listed, total=listed.total_count if listed else 0)

    return Paginator(
        fetch=fetch,
        convert=lambda nodes: [ArtifactCollection._from(node, session) for node in nodes],
        identity=lambda collection: collection.id,
        per_page=per_page,
        what="artifact collections",
    )


def list_versions(
    session: _Session,
    project: ProjectPath,
    type_name: str,
    collection: str,
    per_page: int,
    tags: str | Sequence[str] | None = None,
) -> Paginator[Artifact]:
    """A collection's versions, oldest first; with `tags`, only those that have all of
    them (filtered here, as the official client does, so `len()` loads every page)."""
    wanted = {tags} if isinstance(tags, str) else set(tags or ())

    def fetch(cursor: str | None, size: int) -> Page[ArtifactData]:
        found = session.gql.collection_artifacts(
            entity=project.entity,
            project=project.project,
            type_=type_name,
            collection=collection,
            cursor=cursor,
            per_page=size,
        ).project
        kind = found.artifact_type if found else None
        if kind is None or kind.artifact_collection is None:
            raise NotFoundError(
                f"artifact collection {project}/{collection} of type {type_name!r} not found",
                path=f"{project}/{collection}",
            )
        listed = kind.artifact_collection.artifacts
        total = listed.total_count if listed and not wanted else None
        return page_of(listed, total=0 if listed is None else total)

    def convert(nodes: Sequence[ArtifactData]) -> list[Artifact]:
        found = [Artifact._from(node) for node in nodes]
        return [artifact for artifact in found if wanted <= set(artifact.tags)]

    return Paginator(
        fetch=fetch,
        convert=convert,
        identity=lambda artifact: artifact.id,
        per_page=per_page,
        what="artifacts",
    )


def run_artifacts(
    session: _Session, run: RunPath, *, used: bool, per_page: int
) -> Paginator[Artifact]:
    """The artifacts `run` logged (or, with `used`, declared as inputs)."""
    gql = session.gql
    where = (run.entity, run.project, run.run_id)

    def fetch(cursor: str | None, size: int) -> Page[ArtifactData]:
        if used:
            inputs = gql.run_input_artifacts(*where, cursor=cursor, per_page=size).project
            found = run_of(inputs, str(run)).artifacts
            return page_of(found, total=found.total_count if found else 0)
        outputs = gql.run_output_artifacts(*where, cursor=cursor, per_page=size).project
        logged = run_of(outputs, str(run)).artifacts
        return page_of(logged, total=logged.total_count if logged else 0)

    return Paginator(
        fetch=fetch,
        convert=lambda nodes: [Artifact._from(node) for node in nodes],
        identity=lambda artifact: artifact.id,
        per_page=per_page,
        what="artifacts",
    )
