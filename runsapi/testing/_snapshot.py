"""What a test server holds, read back through runsapi's own `Api`: the public view, as
any client would see it, for asserting on what the code under test wrote."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runsapi import Api, Artifact, Run


@dataclass(frozen=True)
class RunSnapshot:
    """A run as the server holds it. `config` is unwrapped (`{"lr": 0.1}`), `summary`
    is the stored summary, `history_length` the number of history rows."""

    id: str
    name: str | None
    state: str
    config: dict[str, Any]
    summary: dict[str, Any]
    tags: list[str]
    group: str | None
    job_type: str | None
    notes: str | None
    history_length: int
    sweep: str | None

    @classmethod
    def of(cls, run: Run) -> RunSnapshot:
        return cls(
            id=run.id,
            name=run.name,
            state=run.state,
            config=run.config.to_dict(),
            summary=run.summary_metrics,
            tags=list(run.tags),
            group=run.group,
            job_type=run.job_type,
            notes=run.notes,
            history_length=run.history_line_count,
            sweep=run.sweep_name,
        )


@dataclass(frozen=True)
class ArtifactSnapshot:
    """An artifact version: `name` is its collection, `version` `v0`, `v1`, ...;
    `aliases` leaves out the version's own (`v0`)."""

    name: str
    version: str
    type: str
    aliases: list[str]
    tags: list[str]
    metadata: dict[str, Any]
    description: str | None
    digest: str
    size: int
    file_count: int

    @property
    def qualified_name(self) -> str:
        """`name:vN`."""
        return f"{self.name}:{self.version}"

    @classmethod
    def of(cls, artifact: Artifact) -> ArtifactSnapshot:
        return cls(
            name=artifact.collection,
            version=artifact.version,
            type=artifact.type,
            aliases=list(artifact.aliases),
            tags=list(artifact.tags),
            metadata=dict(artifact.metadata),
            description=artifact.description,
            digest=artifact.digest,
            size=artifact.size,
            file_count=artifact.file_count,
        )


@dataclass(frozen=True)
class ProjectSnapshot:
    """A project's runs (by id, oldest first) and artifact versions (by `name:vN`)."""

    name: str
    runs: dict[str, RunSnapshot]
    artifacts: dict[str, ArtifactSnapshot]

    def run(self, run_id: str) -> RunSnapshot:
        """The run `run_id`; KeyError naming the runs there are otherwise."""
        try:
            return self.runs[run_id]
        except KeyError:
            raise KeyError(
                f"no run {run_id!r} in project {self.name} (runs: {sorted(self.runs)})"
            ) from None

    def artifact(self, name: str) -> ArtifactSnapshot:
        """The version `name:vN`, or `name` alone for its latest version."""
        if name in self.artifacts:
            return self.artifacts[name]
        versions = [a for a in self.artifacts.values() if a.name == name]
        if not versions:
            raise KeyError(
                f"no artifact {name!r} in project {self.name} (versions: {sorted(self.artifacts)})"
            )
        return versions[-1]


@dataclass(frozen=True)
class Snapshot:
    """An entity's projects, by name."""

    entity: str
    projects: dict[str, ProjectSnapshot]

    def project(self, name: str) -> ProjectSnapshot:
        """The project `name`; KeyError naming the projects there are otherwise."""
        try:
            return self.projects[name]
        except KeyError:
            raise KeyError(
                f"no project {name!r} in {self.entity} (projects: {sorted(self.projects)})"
            ) from None

    def run(self, path: str) -> RunSnapshot:
        """The run `project/run_id`."""
        project, _, run_id = path.partition("/")
        if not run_id:
            raise KeyError(f"a run's path here is 'project/run_id', got {path!r}")
        return self.project(project).run(run_id)

    @property
    def runs(self) -> dict[str, RunSnapshot]:
        """Every run, by `project/run_id`."""
        return {
            f"{project.name}/{run_id}": run
            for project in self.projects.values()
            for run_id, run in project.runs.items()
        }


def take_snapshot(api: Api, entity: str) -> Snapshot:
    """The projects of `entity`, their runs (with config and summary) and artifacts."""
    projects: dict[str, ProjectSnapshot] = {}
    for project in api.projects(entity):
        path = f"{entity}/{project.name}"
        with api.runs(path, order="+created_at", lazy=False) as listed:
            runs = {run.id: RunSnapshot.of(run) for run in listed}
        artifacts: dict[str, ArtifactSnapshot] = {}
        for artifact_type in api.artifact_types(path):
            for collection in artifact_type.collections():
                for version in collection.versions():
                    found = ArtifactSnapshot.of(version)
                    artifacts[found.qualified_name] = found
        projects[project.name] = ProjectSnapshot(project.name, runs, artifacts)
    return Snapshot(entity, projects)
