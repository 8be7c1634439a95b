"""W&B Launch jobs: artifacts of type `job`, each holding a `wandb-job.json` that says
what to run (a code artifact, a git commit or a container image), with which config
types and Python version, and the frozen requirements."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from runsapi._async._pagination import AsyncPaginator
from runsapi._async.artifacts import AsyncArtifact, AsyncArtifactCollection, find_artifact
from runsapi._constants import DEFAULT_PER_PAGE
from runsapi._exceptions import NotFoundError, ResponseValidationError
from runsapi._json import decode_object
from runsapi._pages import Page, page_of
from runsapi._paths import ArtifactPath, ProjectPath

if TYPE_CHECKING:
    from runsapi._async._gql import ArtifactCollectionData
    from runsapi._async._session import AsyncSession as _Session

JobSourceType = Literal["artifact", "repo", "image"]
"""What a job runs: a logged code artifact, a git commit, or a container image."""

JOB_TYPE = "job"
JOB_FILE = "wandb-job.json"
REQUIREMENTS_FILE = "requirements.frozen.txt"
_SOURCE_TYPES: dict[str, JobSourceType] = {"artifact": "artifact", "repo": "repo", "image": "image"}


@dataclass(frozen=True)
class AsyncJob:
    """A job version, downloaded: its `wandb-job.json` read into typed fields."""

    name: str
    """As given: `entity/project/name:alias`."""
    artifact: AsyncArtifact
    path: Path
    """Where the job's files were downloaded."""
    source_type: JobSourceType
    source: dict[str, Any] = field(repr=False)
    """`{"image": ...}`, `{"artifact": ..., "entrypoint": [...]}` or
    `{"git": {"remote": ..., "commit": ...}, "entrypoint": [...]}`."""
    input_types: dict[str, Any] = field(repr=False)
    """The run config's types, in W&B's type JSON (`{"wb_type": "typedDict", ...}`)."""
    output_types: dict[str, Any] = field(repr=False)
    """The summary's types, in W&B's type JSON."""
    runtime: str | None
    """The Python version the job was made with (`3.11`)."""
    requirements: tuple[str, ...] = field(repr=False)
    """The lines of `requirements.frozen.txt` (none if the job has no such file)."""
    partial: bool
    """Made by hand (`wandb job create`) rather than from a run: types not verified."""


@dataclass(frozen=True)
class AsyncJobCollection:
    """A job (an artifact collection of type `job`) and its versions, oldest first."""

    collection: AsyncArtifactCollection
    versions: tuple[AsyncArtifact, ...]

    @property
    def name(self) -> str:
        return self.collection.name


async def load_job(
    session: _Session, path: ArtifactPath, name: str, root: str | os.PathLike[str] | None
) -> AsyncJob:
    """The job version `path`, downloaded into `root` (default: the artifact's directory)."""
    try:
        artifact = await find_artifact(session, path)
    except NotFoundError:
        raise NotFoundError(f"job artifact {name} not found", path=name) from None
    if artifact.type != JOB_TYPE:
        raise NotFoundError(
            f"artifact {name} is of type {artifact.type!r}, not a job ({JOB_TYPE!r})", path=name
        )
    where = Path(await artifact.download(root, progress=False))
    spec_file = where / JOB_FILE
    if not spec_file.is_file():
        raise _invalid(f"job {name} has no {JOB_FILE}")
    spec = decode_object(spec_file.read_text(encoding="utf-8"), what=f"{JOB_FILE} of job {name}")
    given = spec.get("source_type")
    source_type = _SOURCE_TYPES.get(given) if isinstance(given, str) else None
    if source_type is None:
        raise _invalid(
            f"{JOB_FILE} of job {name} has source_type {given!r}:"
            f" one of {', '.join(_SOURCE_TYPES)} expected"
        )
    requirements = where / REQUIREMENTS_FILE
    runtime = spec.get("runtime")
    return AsyncJob(
        name=name,
        artifact=artifact,
        path=where,
        source_type=source_type,
        source=_object(spec, "source", name),
        input_types=_object(spec, "input_types", name),
        output_types=_object(spec, "output_types", name),
        runtime=runtime if isinstance(runtime, str) else None,
        requirements=tuple(
            line
            for line in (
                requirements.read_text(encoding="utf-8").splitlines()
                if requirements.is_file()
                else []
            )
            if line.strip()
        ),
        partial=bool(spec.get("_partial", False)),
    )


def _object(spec: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    value = spec.get(key) or {}
    if not isinstance(value, dict):
        raise _invalid(f"{JOB_FILE} of job {name}: {key} is not a JSON object")
    return value


def _invalid(message: str) -> ResponseValidationError:
    return ResponseValidationError(message, operation=None, error=None)


async def list_jobs(session: _Session, project: ProjectPath) -> list[AsyncJobCollection]:
    """The jobs of `project` with their versions ([] when it has none)."""

    async def fetch(cursor: str | None, size: int) -> Page[ArtifactCollectionData]:
        found = (
            await session.gql.type_artifact_collections(
                entity=project.entity,
                project=project.project,
                type_=JOB_TYPE,
                cursor=cursor,
                per_page=size,
            )
        ).project
        if found is None:
            raise NotFoundError(f"project {project} not found", path=str(project))
        listed = found.artifact_type.artifact_collections if found.artifact_type else None
        return page_of(listed, total=listed.total_count if listed else 0)

    collections = AsyncPaginator(
        fetch=fetch,
        convert=lambda nodes: [AsyncArtifactCollection._from(node, session) for node in nodes],
        identity=lambda collection: collection.id,
        per_page=DEFAULT_PER_PAGE,
        what="jobs",
    )
    return [
        AsyncJobCollection(collection, tuple(await collection.artifacts().load_all()))
        for collection in await collections.load_all()
    ]
