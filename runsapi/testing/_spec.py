"""Declarative specs of what a test server holds: an entity's projects, with runs
(config, summary, tags, state, history, files), artifacts and sweeps.

Built in Python (`Spec().project("p").run("r1", ...)`) or read from YAML/JSON
(`Spec.load(path)`, `Spec.from_dict(data)`). Everything is checked when it is declared,
each problem named by where it is (`projects.mnist.runs[r1].history.loss: ...`), and the
references between parts (an artifact's `logged_by`, a run's `sweep`) by `validate()`,
before any server starts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeVar, get_args

from runsapi._json import encode
from runsapi._shared.account_names import check_team_name
from runsapi._shared.artifact_names import (
    check_alias,
    check_collection_name,
    check_tag,
    check_type_name,
)
from runsapi._shared.file_stream import EVENTS_FILE, HISTORY_FILE, SUMMARY_FILE

RunStateName = Literal[
    "finished", "running", "crashed", "failed", "killed", "pending", "preempting", "preempted"
]
SweepStateName = Literal[
    "PENDING", "RUNNING", "PAUSED", "CANCELED", "FINISHED", "FAILED", "CRASHED"
]
RUN_STATES: tuple[RunStateName, ...] = get_args(RunStateName)
SWEEP_STATES: tuple[SweepStateName, ...] = get_args(SweepStateName)
DEFAULT_ENTITY = "test-entity"
FileContents = Mapping[str, "str | bytes"]
"""Files by their `/`-separated path: text (written as UTF-8) or bytes."""
HistoryInput = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]
"""Columns (`{"loss": [0.9, 0.5], "acc": [0.1, 0.6]}`, one row per index; None leaves the
key out of that row) or rows (`[{"loss": 0.9}, {"loss": 0.5, "_step": 4}]`)."""

# A project, run or sweep id: a path segment (no '/', ':' or surrounding whitespace).
_SEGMENT = re.compile(r"[^/:\s](?:[^/:]*[^/:\s])?")
_T = TypeVar("_T")
# Run files the run stream writes: a spec declares them as `history` and `summary`.
_STREAMED = (HISTORY_FILE, EVENTS_FILE, SUMMARY_FILE)


class SpecError(ValueError):
    """A spec that cannot be seeded; `where` names the part (`projects.p.runs[r1].state`)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where
        self.problem = problem


def _checked(where: str, check: Callable[[str], str], value: object, what: str) -> str:
    if not isinstance(value, str):
        raise SpecError(where, f"{what} must be a string, got {value!r}")
    try:
        return check(value)
    except ValueError as exc:
        raise SpecError(where, str(exc)) from None


def _segment(where: str, value: object, what: str) -> str:
    if not isinstance(value, str) or not _SEGMENT.fullmatch(value):
        raise SpecError(
            where,
            f"{what} must be a non-empty string without '/', ':' or surrounding spaces,"
            f" got {value!r}",
        )
    return value


def _optional_text(where: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise SpecError(where, f"must be a string or null, got {value!r}")
    return value


def _json_object(where: str, value: object) -> dict[str, Any]:
    """A copy of a mapping of string keys to values runsapi can store as JSON."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(where, f"must be a mapping, got {type(value).__name__}")
    copied: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise SpecError(where, f"keys must be non-empty strings, got {key!r}")
        copied[key] = _json_value(f"{where}.{key}", item)
    return copied


def _json_value(where: str, value: object) -> Any:
    """`value` as it is stored and read back (tuples as lists, NaN kept)."""
    try:
        return json.loads(encode(value))
    except (TypeError, ValueError, RecursionError) as exc:
        raise SpecError(where, f"cannot be stored as JSON: {exc}") from None


def _string_list(where: str, value: object, check: Callable[[str], str] | None = None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise SpecError(where, f"must be a list of strings, got {value!r}")
    items: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise SpecError(f"{where}[{index}]", f"must be a string, got {item!r}")
        items.append(_checked(f"{where}[{index}]", check, item, "it") if check else item)
    if len(set(items)) != len(items):
        raise SpecError(where, f"lists {sorted({i for i in items if items.count(i) > 1})} twice")
    return items


def _choice(where: str, value: object, choices: tuple[_T, ...]) -> _T:
    for choice in choices:
        if value == choice:
            return choice
    raise SpecError(where, f"must be one of {', '.join(map(str, choices))}; got {value!r}")


def _file_name(where: str, name: object) -> str:
    if not isinstance(name, str) or not name or "\\" in name:
        raise SpecError(where, f"a file name must be a non-empty '/'-separated path, got {name!r}")
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in {"", ".", ".."} for part in name.split("/")):
        raise SpecError(where, f"file name {name!r} must be relative, without '.' or '..' parts")
    return name


def _files(where: str, value: object, *, reserved: tuple[str, ...] = ()) -> dict[str, bytes]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(where, f"must map file names to text or bytes, got {value!r}")
    files: dict[str, bytes] = {}
    for name, content in value.items():
        checked = _file_name(where, name)
        if checked in reserved:
            raise SpecError(
                f"{where}.{checked}",
                "is written by the run's history and summary: declare `history`/`summary`",
            )
        if isinstance(content, str):
            files[checked] = content.encode()
        elif isinstance(content, (bytes, bytearray)):
            files[checked] = bytes(content)
        else:
            raise SpecError(f"{where}.{checked}", f"must be text or bytes, got {content!r}")
    return files


def _step_of(where: str, row: Mapping[str, Any], previous: int) -> int:
    step = row.get("_step")
    if step is None:
        return previous + 1
    if isinstance(step, bool) or not isinstance(step, int) or step <= previous:
        raise SpecError(
            f"{where}._step",
            f"steps are integers that increase from 0, got {step!r} after {previous}",
        )
    return step


def _history(where: str, value: object) -> list[dict[str, Any]]:
    """Rows with `_step` filled in (0, 1, ... where not given), values as stored."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        columns = _json_object(where, value)
        lengths = {key: len(column) for key, column in columns.items() if isinstance(column, list)}
        for key, column in columns.items():
            if not isinstance(column, list):
                raise SpecError(f"{where}.{key}", f"a history column is a list, got {column!r}")
        if len(set(lengths.values())) > 1:
            raise SpecError(where, f"history columns differ in length: {lengths}")
        count = next(iter(lengths.values()), 0)
        value = [
            {key: column[index] for key, column in columns.items() if column[index] is not None}
            for index in range(count)
        ]
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise SpecError(
            where, f"must be columns (a mapping of lists) or a list of rows, got {value!r}"
        )
    rows: list[dict[str, Any]] = []
    previous = -1
    for index, given in enumerate(value):
        row = _json_object(f"{where}[{index}]", given)
        previous = _step_of(f"{where}[{index}]", row, previous)
        rows.append({**row, "_step": previous})
    return rows


def _last_values(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Each key's last value in `rows`: the summary `wandb.log` leaves."""
    last: dict[str, Any] = {}
    for row in rows:
        last.update(row)
    return last


def _mapping(where: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(where, f"must be a mapping, got {type(value).__name__}")
    return value


def _no_unknown(where: str, data: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(data) - known, key=str)
    if unknown:
        raise SpecError(where, f"unknown key(s) {unknown}; known: {sorted(known)}")


@dataclass
class RunSpec:
    """One run. `id` is its id in paths (`entity/project/id`), `name` its display name.

    The summary is each history key's last value (as `wandb.log` leaves it), updated
    with `summary`.
    """

    id: str
    name: str | None = None
    state: RunStateName = "finished"
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    group: str | None = None
    job_type: str | None = None
    notes: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    sweep: str | None = None

    @property
    def final_summary(self) -> dict[str, Any]:
        """The summary the run is seeded with."""
        return {**_last_values(self.history), **self.summary}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "state": self.state}
        for key in ("name", "group", "job_type", "notes", "sweep"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        for key in ("config", "summary", "tags", "history", "files"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class ArtifactSpec:
    """One version of the artifact `name`, logged by the run `logged_by` and used as an
    input by the runs `used_by`. Declaring a name again adds its next version."""

    name: str
    type: str
    logged_by: str
    files: dict[str, bytes] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    used_by: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.type, "logged_by": self.logged_by}
        for key in ("files", "aliases", "tags", "used_by", "metadata"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.description is not None:
            data["description"] = self.description
        return data


@dataclass
class SweepSpec:
    """A sweep (stored only: the test server runs no agents). `config` is its
    configuration (a mapping, or YAML text as `wandb sweep` stores it); runs join it
    with `run(..., sweep=id)`."""

    id: str
    config: dict[str, Any] | str = field(default_factory=dict)
    method: str = "random"
    state: SweepStateName = "FINISHED"
    name: str | None = None
    expected_runs: int | None = None

    @property
    def metric(self) -> tuple[str, str] | None:
        """(name, goal) of the metric the config optimizes, if it says."""
        config: object = self.config
        if isinstance(config, str):
            import yaml  # noqa: PLC0415 (only when a sweep is declared as YAML text)

            config = yaml.safe_load(config)
        metric = config.get("metric") if isinstance(config, dict) else None
        if isinstance(metric, dict) and isinstance(metric.get("name"), str):
            goal = metric.get("goal")
            return metric["name"], goal if goal in {"minimize", "maximize"} else "minimize"
        return None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "method": self.method, "state": self.state}
        if self.config:
            data["config"] = self.config
        if self.name is not None:
            data["name"] = self.name
        if self.expected_runs is not None:
            data["expected_runs"] = self.expected_runs
        return data


@dataclass
class ProjectSpec:
    """A project's runs, artifacts and sweeps, in the order they are seeded."""

    name: str
    description: str | None = None
    runs: list[RunSpec] = field(default_factory=list)
    artifacts: list[ArtifactSpec] = field(default_factory=list)
    sweeps: list[SweepSpec] = field(default_factory=list)

    def _where(self) -> str:
        return f"projects.{self.name}"

    def run(
        self,
        id: str,
        *,
        name: str | None = None,
        state: RunStateName = "finished",
        config: Mapping[str, Any] | None = None,
        summary: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        group: str | None = None,
        job_type: str | None = None,
        notes: str | None = None,
        history: HistoryInput | None = None,
        files: FileContents | None = None,
        sweep: str | None = None,
    ) -> RunSpec:
        """Declare a run and return it; SpecError (naming the field) if anything is wrong."""
        where = f"{self._where()}.runs[{id}]"
        run_id = _segment(where, id, "a run id")
        if any(run.id == run_id for run in self.runs):
            raise SpecError(where, f"project {self.name} declares run {run_id!r} twice")
        run = RunSpec(
            id=run_id,
            name=_optional_text(f"{where}.name", name),
            state=_choice(f"{where}.state", state, RUN_STATES),
            config=_json_object(f"{where}.config", config),
            summary=_json_object(f"{where}.summary", summary),
            tags=_string_list(f"{where}.tags", tags),
            group=_optional_text(f"{where}.group", group),
            job_type=_optional_text(f"{where}.job_type", job_type),
            notes=_optional_text(f"{where}.notes", notes),
            history=_history(f"{where}.history", history),
            files=_files(f"{where}.files", files, reserved=_STREAMED),
            sweep=None if sweep is None else _segment(f"{where}.sweep", sweep, "a sweep id"),
        )
        self.runs.append(run)
        return run

    def artifact(
        self,
        name: str,
        *,
        type: str,
        logged_by: str,
        files: FileContents | None = None,
        aliases: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        used_by: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> ArtifactSpec:
        """Declare an artifact version logged by the run `logged_by` (a run of this
        project, declared before or after) and return it."""
        version = sum(artifact.name == name for artifact in self.artifacts)
        where = f"{self._where()}.artifacts[{name}:v{version}]"
        artifact = ArtifactSpec(
            name=_checked(where, check_collection_name, name, "an artifact name"),
            type=_checked(f"{where}.type", check_type_name, type, "an artifact type"),
            logged_by=_segment(f"{where}.logged_by", logged_by, "a run id"),
            files=_files(f"{where}.files", files),
            aliases=_string_list(f"{where}.aliases", aliases, check_alias),
            tags=_string_list(f"{where}.tags", tags, check_tag),
            used_by=_string_list(f"{where}.used_by", used_by),
            metadata=_json_object(f"{where}.metadata", metadata),
            description=_optional_text(f"{where}.description", description),
        )
        self.artifacts.append(artifact)
        return artifact

    def sweep(
        self,
        id: str,
        *,
        config: Mapping[str, Any] | str | None = None,
        method: str | None = None,
        state: SweepStateName = "FINISHED",
        name: str | None = None,
        expected_runs: int | None = None,
    ) -> SweepSpec:
        """Declare a sweep; `method` defaults to the config's, else "random"."""
        where = f"{self._where()}.sweeps[{id}]"
        sweep_id = _segment(where, id, "a sweep id")
        if any(sweep.id == sweep_id for sweep in self.sweeps):
            raise SpecError(where, f"project {self.name} declares sweep {sweep_id!r} twice")
        if isinstance(config, str):
            stored: dict[str, Any] | str = config
            declared = _sweep_yaml(f"{where}.config", config)
        else:
            stored = declared = _json_object(f"{where}.config", config)
        chosen = method if method is not None else declared.get("method", "random")
        if not isinstance(chosen, str) or not chosen:
            raise SpecError(f"{where}.method", f"must be a non-empty string, got {chosen!r}")
        if expected_runs is not None and (
            isinstance(expected_runs, bool)
            or not isinstance(expected_runs, int)
            or expected_runs < 0
        ):
            raise SpecError(f"{where}.expected_runs", f"must be a count, got {expected_runs!r}")
        sweep = SweepSpec(
            id=sweep_id,
            config=stored,
            method=chosen,
            state=_choice(f"{where}.state", state, SWEEP_STATES),
            name=_optional_text(f"{where}.name", name),
            expected_runs=expected_runs,
        )
        self.sweeps.append(sweep)
        return sweep

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.description is not None:
            data["description"] = self.description
        for key, items in (
            ("runs", self.runs),
            ("artifacts", self.artifacts),
            ("sweeps", self.sweeps),
        ):
            if items:
                data[key] = [item.to_dict() for item in items]
        return data


def _sweep_yaml(where: str, text: str) -> dict[str, Any]:
    import yaml  # noqa: PLC0415 (YAML is read only for specs that hold it)

    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(where, f"is not valid YAML: {exc}") from None
    return _json_object(where, loaded)


@dataclass
class Spec:
    """What a test server holds: projects of one entity.

        spec = Spec(entity="team")
        mnist = spec.project("mnist")
        mnist.run("r1", config={"lr": 0.01}, history={"loss": [0.9, 0.4]})
        mnist.artifact("data", type="dataset", files={"x.csv": "a,b\\n"}, logged_by="r1")

    The test's API key belongs to the user `user` (default: `entity`, a personal
    entity); an entity that is not the user's own is a team the user belongs to.
    """

    entity: str = DEFAULT_ENTITY
    user: str | None = None
    projects: dict[str, ProjectSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _checked("entity", check_team_name, self.entity, "an entity")
        if self.user is not None:
            _checked("user", check_team_name, self.user, "a username")

    @property
    def username(self) -> str:
        """The user whose API key the test gets."""
        return self.user or self.entity

    def project(self, name: str, *, description: str | None = None) -> ProjectSpec:
        """The project `name`, declared now if it is new."""
        found = self.projects.get(name)
        if found is None:
            where = f"projects.{name}"
            found = ProjectSpec(
                _segment(where, name, "a project name"),
                _optional_text(f"{where}.description", description),
            )
            self.projects[name] = found
        elif description is not None:
            found.description = _optional_text(f"projects.{name}.description", description)
        return found

    def validate(self) -> Spec:
        """Check what refers to what (artifacts' runs, runs' sweeps); SpecError if wrong."""
        for project in self.projects.values():
            runs = {run.id for run in project.runs}
            sweeps = {sweep.id for sweep in project.sweeps}
            for run in project.runs:
                if run.sweep is not None and run.sweep not in sweeps:
                    raise SpecError(
                        f"projects.{project.name}.runs[{run.id}].sweep",
                        f"no sweep {run.sweep!r} in project {project.name}"
                        f" (declared: {sorted(sweeps)})",
                    )
            versions: dict[str, int] = {}
            for artifact in project.artifacts:
                version = versions.get(artifact.name, 0)
                versions[artifact.name] = version + 1
                where = f"projects.{project.name}.artifacts[{artifact.name}:v{version}]"
                for field_name, names in (
                    ("logged_by", [artifact.logged_by]),
                    ("used_by", artifact.used_by),
                ):
                    for run_id in names:
                        if run_id not in runs:
                            raise SpecError(
                                f"{where}.{field_name}",
                                f"no run {run_id!r} in project {project.name}"
                                f" (declared: {sorted(runs)})",
                            )
        return self

    # -- files and dicts ------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Spec:
        """A spec from its dict form (what `to_dict` gives and YAML/JSON files hold):

        {"entity": "team", "user": "alice", "projects": {"mnist": {
            "description": "...",
            "runs": [{"id": "r1", "config": {...}, "history": {...}, ...}],
            "artifacts": [{"name": "data", "type": "dataset", "logged_by": "r1", ...}],
            "sweeps": [{"id": "sw1", "config": {...}}]}}}
        """
        top = _mapping("spec", data)
        _no_unknown("spec", top, {"entity", "user", "projects"})
        entity = top.get("entity", DEFAULT_ENTITY)
        spec = cls(
            entity=_checked("entity", check_team_name, entity, "an entity"),
            user=None
            if top.get("user") is None
            else _checked("user", check_team_name, top["user"], "a username"),
        )
        projects = top.get("projects") or {}
        for name, body in _mapping("projects", projects).items():
            where = f"projects.{name}"
            content = _mapping(where, body if body is not None else {})
            _no_unknown(where, content, {"description", "runs", "artifacts", "sweeps"})
            project = spec.project(_segment(where, name, "a project name"))
            project.description = _optional_text(f"{where}.description", content.get("description"))
            for key, declare in (
                ("sweeps", _declare_sweep),
                ("runs", _declare_run),
                ("artifacts", _declare_artifact),
            ):
                items = content.get(key) or []
                if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):
                    raise SpecError(f"{where}.{key}", f"must be a list, got {items!r}")
                for index, item in enumerate(items):
                    declare(
                        project,
                        f"{where}.{key}[{index}]",
                        _mapping(f"{where}.{key}[{index}]", item),
                    )
        return spec.validate()

    @classmethod
    def load(cls, path: str | Path) -> Spec:
        """A spec from a YAML (`.yaml`, `.yml`) or JSON (`.json`) file. In YAML, bytes
        are written `!!binary <base64>`."""
        source = Path(path)
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise SpecError("", f"cannot read the spec {source}: {exc}") from None
        if source.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise SpecError("", f"{source} is not valid JSON: {exc}") from None
        else:
            import yaml  # noqa: PLC0415

            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise SpecError("", f"{source} is not valid YAML: {exc}") from None
        try:
            return cls.from_dict(data if data is not None else {})
        except SpecError as exc:
            raise SpecError(exc.where, f"{exc.problem} (in {source})") from None

    def to_dict(self) -> dict[str, Any]:
        """The dict form, which `from_dict` reads back (bytes stay bytes)."""
        data: dict[str, Any] = {"entity": self.entity}
        if self.user is not None:
            data["user"] = self.user
        data["projects"] = {name: project.to_dict() for name, project in self.projects.items()}
        return data


_RUN_KEYS = {
    "id", "name", "state", "config", "summary", "tags", "group", "job_type", "notes",
    "history", "files", "sweep",
}  # fmt: skip
_ARTIFACT_KEYS = {
    "name", "type", "logged_by", "files", "aliases", "tags", "used_by", "metadata", "description",
}  # fmt: skip
_SWEEP_KEYS = {"id", "config", "method", "state", "name", "expected_runs"}


def _required(where: str, data: Mapping[str, Any], key: str) -> Any:
    if key not in data:
        raise SpecError(where, f"needs `{key}`")
    return data[key]


def _declare_run(project: ProjectSpec, where: str, data: Mapping[str, Any]) -> None:
    _no_unknown(where, data, _RUN_KEYS)
    run_id = _required(where, data, "id")
    project.run(run_id, **{key: value for key, value in data.items() if key != "id"})


def _declare_artifact(project: ProjectSpec, where: str, data: Mapping[str, Any]) -> None:
    _no_unknown(where, data, _ARTIFACT_KEYS)
    for key in ("name", "type", "logged_by"):
        _required(where, data, key)
    project.artifact(data["name"], **{key: value for key, value in data.items() if key != "name"})


def _declare_sweep(project: ProjectSpec, where: str, data: Mapping[str, Any]) -> None:
    _no_unknown(where, data, _SWEEP_KEYS)
    sweep_id = _required(where, data, "id")
    project.sweep(sweep_id, **{key: value for key, value in data.items() if key != "id"})


def coerce_spec(value: object, *, base: Path | None = None) -> Spec:
    """A Spec from a Spec, its dict form or a YAML/JSON path (relative to `base`)."""
    if isinstance(value, Spec):
        return value.validate()
    if isinstance(value, Mapping):
        return Spec.from_dict(value)
    if isinstance(value, (str, Path)):
        path = Path(value)
        return Spec.load(path if path.is_absolute() or base is None else base / path)
    raise SpecError("", f"a spec is a Spec, a dict or a path to a YAML/JSON file, got {value!r}")
