"""Parsing the run and project paths users type, before any request is sent."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from runsapi._exceptions import InvalidPathError

RUN_PATH_FORMS = (
    "entity/project/run_id",
    "entity/project/runs/run_id",
    "entity/project:run_id",
    "project/run_id or project:run_id (default entity)",
    "run_id (default entity and project)",
    "https://<host>/entity/project/runs/run_id (a run's URL)",
)
PROJECT_PATH_FORMS = ("entity/project", "project (default entity)")
SWEEP_PATH_FORMS = (
    "entity/project/sweeps/sweep_id",
    "https://<host>/entity/project/sweeps/sweep_id (a sweep's URL)",
)
REPORT_PATH_FORMS = (
    "entity/project/reports/Title--report_id",
    "https://<host>/entity/project/reports/Title--report_id (a report's URL)",
)

ARTIFACT_PATH_FORMS = (
    "entity/project/name:alias",
    "project/name:alias (default entity)",
    "name:alias (default entity and project)",
    "any of these without ':alias' (the latest version); an alias is 'latest', 'v3' or any other",
)

PathKind = Literal["project", "run", "sweep", "report", "artifact"]
# The collection segment of `entity/project/<collection>/<id>` paths and URLs, per kind.
_COLLECTIONS: dict[PathKind, str] = {"run": "runs", "sweep": "sweeps", "report": "reports"}

# W&B entity, project and run names: no slashes or colons, no surrounding whitespace.
_PART = re.compile(r"^[^/:\s](?:[^/:]*[^/:\s])?$")
# What W&B refuses in a run id and in a project name (the wandb SDK's validators).
_RUN_ID_RESERVED = ":;,#?/'"
_PROJECT_RESERVED = "/\\#?%:"


@dataclass(frozen=True)
class ProjectPath:
    entity: str
    project: str

    def __str__(self) -> str:
        return f"{self.entity}/{self.project}"


@dataclass(frozen=True)
class RunPath:
    entity: str
    project: str
    run_id: str

    def __str__(self) -> str:
        return f"{self.entity}/{self.project}/{self.run_id}"

    @property
    def project_path(self) -> ProjectPath:
        return ProjectPath(self.entity, self.project)

    def url(self, app_url: str) -> str:
        """The run's page in the web UI, each part percent-encoded."""
        parts = (quote(part, safe="") for part in (self.entity, self.project))
        return f"{app_url}/{'/'.join(parts)}/runs/{quote(self.run_id, safe='')}"


@dataclass(frozen=True)
class SweepPath:
    entity: str
    project: str
    sweep_id: str

    def __str__(self) -> str:
        return f"{self.entity}/{self.project}/sweeps/{self.sweep_id}"


@dataclass(frozen=True)
class ReportPath:
    entity: str
    project: str
    report_id: str
    title: str
    """The title the path spells (`My-Report` -> "My Report"); empty when it gives none."""

    def __str__(self) -> str:
        return f"{self.entity}/{self.project}/reports/{self.report_id}"


DefaultName = Callable[[], str | None]


def parse_run_path(path: str, *, entity: DefaultName, project: DefaultName) -> RunPath:
    """Split a run path or run URL into its parts.

    `entity` and `project` supply defaults and are called only when the path leaves that
    part out (the default entity may cost a request).
    """
    parts = _split(path, RUN_PATH_FORMS, kind="run")
    if len(parts) == 4 and parts[2] in {"runs", "sweeps"}:
        parts = [parts[0], parts[1], parts[3]]
    elif len(parts) == 3 and parts[2] in {"runs", "sweeps"}:  # "e/p/runs/": no run id
        raise _invalid(path, RUN_PATH_FORMS, kind="run")
    if len(parts) == 2 and ":" in parts[1]:
        parts = [parts[0], *parts[1].split(":", 1)]
    elif len(parts) == 1 and ":" in parts[0]:
        parts = parts[0].split(":", 1)
    if len(parts) > 3:
        raise _invalid(path, RUN_PATH_FORMS, kind="run")
    run_id = parts[-1]
    given_project = parts[-2] if len(parts) >= 2 else None
    given_entity = parts[-3] if len(parts) == 3 else None
    for part in parts:
        if not _PART.match(part):
            raise _invalid(path, RUN_PATH_FORMS, kind="run")
    _refuse_reserved(path, run_id, "run id", _RUN_ID_RESERVED, RUN_PATH_FORMS, kind="run")
    if given_project is not None:
        _refuse_reserved(
            path, given_project, "project", _PROJECT_RESERVED, RUN_PATH_FORMS, kind="run"
        )
    return RunPath(
        _or_default(given_entity, entity, path, "entity"),
        _or_default(given_project, project, path, "project"),
        run_id,
    )


@dataclass(frozen=True)
class ArtifactPath:
    entity: str
    project: str
    collection: str
    alias: str

    @property
    def name(self) -> str:
        """`collection:alias`."""
        return f"{self.collection}:{self.alias}"

    def __str__(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}"


def parse_artifact_path(path: str, *, entity: DefaultName, project: DefaultName) -> ArtifactPath:
    """Split `[[entity/]project/]name[:alias]`, as W&B does: the alias after the first
    `:` (default `latest`), then the name's `/`-separated parts."""
    _check_type(path, "an artifact path")
    name, colon, alias = path.partition(":")
    parts = name.split("/")
    if (
        len(parts) > 3
        or not all(_PART.match(part) for part in parts)
        or (colon and not _PART.match(alias))
    ):
        raise _invalid(path, ARTIFACT_PATH_FORMS, kind="artifact")
    given_entity = parts[0] if len(parts) == 3 else None
    given_project = parts[-2] if len(parts) >= 2 else None
    return ArtifactPath(
        _or_default(given_entity, entity, path, "entity"),
        _or_default(given_project, project, path, "project"),
        parts[-1],
        alias or "latest",
    )


def parse_project_path(
    path: str | None, *, entity: DefaultName, project: DefaultName
) -> ProjectPath:
    """Split `entity/project` or `project`; None means the default project."""
    if path is None:
        return ProjectPath(
            _or_default(None, entity, "", "entity"), _or_default(None, project, "", "project")
        )
    parts = _split(path, PROJECT_PATH_FORMS, kind="project")
    if len(parts) > 2 or not all(_PART.match(part) for part in parts):
        raise _invalid(path, PROJECT_PATH_FORMS, kind="project")
    _refuse_reserved(
        path, parts[-1], "project", _PROJECT_RESERVED, PROJECT_PATH_FORMS, kind="project"
    )
    return ProjectPath(
        _or_default(parts[0] if len(parts) == 2 else None, entity, path, "entity"), parts[-1]
    )


def path_kind(path: str) -> PathKind:
    """What `path` names, by its shape alone: `entity/project/{runs,sweeps,reports}/...`
    (or such a URL) names a run, sweep or report; `entity/project`, `project` or another
    URL a project; anything else a run. The parsers check the rest."""
    _check_type(path, "a project, run, sweep or report path")
    text = path.strip()
    is_url = text.startswith(("http://", "https://"))
    parts = _url_segments(text) if is_url else [part.strip() for part in text.strip("/").split("/")]
    for kind, collection in _COLLECTIONS.items():
        if len(parts) >= 3 and parts[2] == collection:
            return kind
    return "project" if is_url or (len(parts) <= 2 and ":" not in text) else "run"


def parse_sweep_path(path: str) -> SweepPath:
    """Split `entity/project/sweeps/sweep_id` or a sweep's URL into its parts."""
    return SweepPath(*_collection_item(path, SWEEP_PATH_FORMS, kind="sweep"))


def parse_report_path(path: str) -> ReportPath:
    """Split `entity/project/reports/Title--report_id` (or `.../reports/report_id`) or a
    report's URL into its parts; the title's dashes read as spaces, as in W&B's URLs."""
    entity, project, name = _collection_item(path, REPORT_PATH_FORMS, kind="report")
    title, dashes, report_id = name.rpartition("--")
    if not report_id or (not dashes and "-" in name):  # "My-Report": a title, no id
        raise _invalid(path, REPORT_PATH_FORMS, kind="report")
    return ReportPath(entity, project, report_id, unquote(title.replace("-", " ")))


def _collection_item(path: str, forms: tuple[str, ...], *, kind: PathKind) -> tuple[str, str, str]:
    """(entity, project, id) of `entity/project/<collection>/<id>` or such a URL."""
    parts = _split(path, forms, kind=kind)
    if len(parts) != 4 or parts[2] != _COLLECTIONS[kind] or not all(map(_PART.match, parts)):
        raise _invalid(path, forms, kind=kind)
    return parts[0], parts[1], parts[3]


def check_run_id(run_id: str) -> str:
    """`run_id`, or InvalidPathError unless paths can name it: W&B's run ids have no
    slash, colon or surrounding whitespace."""
    _check_type(run_id, "run_id")
    if not _PART.match(run_id):
        raise InvalidPathError(
            f"invalid run_id {run_id!r}: use a non-empty name with no '/', ':' "
            "or surrounding whitespace"
        )
    return run_id


def _check_type(value: object, what: str) -> None:
    if not isinstance(value, str):
        raise InvalidPathError(f"{what} must be a string, got {type(value).__name__}")


def _split(path: str, forms: tuple[str, ...], *, kind: PathKind) -> list[str]:
    _check_type(path, f"a {kind} path")
    text = path.strip()
    if text.startswith(("http://", "https://")):
        text = _path_of_url(text, path, forms, kind)
    parts = [part.strip() for part in text.strip("/").split("/")]
    if not text.strip("/ ") or any(not part for part in parts):
        raise _invalid(path, forms, kind=kind)
    return parts


def _path_of_url(url: str, original: str, forms: tuple[str, ...], kind: PathKind) -> str:
    """`https://wandb.ai/e/p/runs/r/overview?x=1` -> `e/p/runs/r` (likewise sweeps and
    reports); a project's URL (`https://wandb.ai/e/p/workspace`) -> `e/p`."""
    segments = _url_segments(url)
    collection = _COLLECTIONS.get(kind)
    if collection and len(segments) >= 4 and segments[2] == collection:
        return "/".join(segments[:4])
    if kind == "project" and len(segments) >= 2:
        return "/".join(segments[:2])
    raise _invalid(original, forms, kind=kind)


def _url_segments(url: str) -> list[str]:
    return [segment for segment in urlsplit(url).path.split("/") if segment]


def _or_default(given: str | None, default: DefaultName, path: str, what: str) -> str:
    if given:
        return given
    value = default()
    if not value:
        source = "WANDB_ENTITY" if what == "entity" else "WANDB_PROJECT"
        raise InvalidPathError(
            f"{what} missing from path {path!r} and no default {what} is set: "
            f"include it in the path or set {source} (or Api(overrides={{{what!r}: ...}}))"
        )
    return value


def _refuse_reserved(
    path: str, part: str, what: str, reserved: str, forms: tuple[str, ...], *, kind: PathKind
) -> None:
    """InvalidPathError when `part` holds a character W&B refuses in a `what`."""
    found = [char for char in reserved if char in part]
    if found:
        raise InvalidPathError(
            f"invalid {kind} path {path!r}: a {what} cannot contain any of"
            f" {' '.join(reserved)} (found {' '.join(found)}); accepted forms: " + "; ".join(forms)
        )


def _invalid(path: str, forms: tuple[str, ...], *, kind: PathKind) -> InvalidPathError:
    return InvalidPathError(f"invalid {kind} path {path!r}; accepted forms: " + "; ".join(forms))
