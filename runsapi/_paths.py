"""Parsing the run and project paths users type, before any request is sent."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

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

# W&B entity, project and run names: no slashes or colons, no surrounding whitespace.
_PART = re.compile(r"^[^/:\s](?:[^/:]*[^/:\s])?$")


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
    return RunPath(
        _or_default(given_entity, entity, path, "entity"),
        _or_default(given_project, project, path, "project"),
        run_id,
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
    return ProjectPath(
        _or_default(parts[0] if len(parts) == 2 else None, entity, path, "entity"), parts[-1]
    )


def is_project_path(path: str) -> bool:
    """Whether `path` names a project (`entity/project`, `project`, a project's URL)
    rather than a run."""
    _check_type(path, "a run or project path")
    if path.startswith(("http://", "https://")):
        return "/runs/" not in path
    parts = [part for part in path.strip().strip("/").split("/") if part]
    return len(parts) <= 2 and ":" not in path


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


def _split(path: str, forms: tuple[str, ...], *, kind: str) -> list[str]:
    _check_type(path, f"a {kind} path")
    text = path.strip()
    if text.startswith(("http://", "https://")):
        text = _path_of_url(text, path, forms, kind)
    parts = [part.strip() for part in text.strip("/").split("/")]
    if not text.strip("/ ") or any(not part for part in parts):
        raise _invalid(path, forms, kind=kind)
    return parts


def _path_of_url(url: str, original: str, forms: tuple[str, ...], kind: str) -> str:
    """`https://wandb.ai/e/p/runs/r/overview?x=1` -> `e/p/runs/r`."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if kind == "run" and len(segments) >= 4 and segments[2] == "runs":
        return "/".join(segments[:4])
    if kind == "project" and len(segments) >= 2:
        return "/".join(segments[:2])
    raise _invalid(original, forms, kind=kind)


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


def _invalid(path: str, forms: tuple[str, ...], *, kind: str) -> InvalidPathError:
    return InvalidPathError(f"invalid {kind} path {path!r}; accepted forms: " + "; ".join(forms))
