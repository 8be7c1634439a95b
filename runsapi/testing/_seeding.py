"""Writing a Spec into a running LocalServer.

Through runsapi's public API wherever W&B's API can say it: projects (`create_project`),
runs (`create_run`), files (`Run.upload_file`), history and summary through the run
stream as the TensorBoard sync writes them (`finish_run`), states (`Run.update_state`),
artifacts (`ArtifactDraft`, `Run.log_artifact`, `Run.use_artifact`). Through the server's
store only what no client can set: a finished run put back into an active state or
`crashed` (the state a run's process leaves, not one a client sets after the run
finished), a run's sweep, and the sweeps themselves (W&B creates them with the sweep
controller, which the local server does not have).
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runsapi._exceptions import NotFoundError
from runsapi._sync._file_stream import finish_run
from runsapi.artifact_draft import ArtifactDraft
from runsapi.testing._spec import ArtifactSpec, ProjectSpec, RunSpec, Spec, SpecError, SweepSpec

if TYPE_CHECKING:
    from runsapi import Api, Run
    from runsapi.server import LocalServer

# Reached with update_state after the run stream finished the run ("finished"); the
# states left out are set in the store.
_BY_STATE_CHANGE = frozenset({"pending"})
# Set before the run is finished: the run stream's `complete` keeps a killed run killed.
_BEFORE_FINISHING = frozenset({"killed"})
_FAILED_EXIT_CODE = 1


def seed_spec(api: Api, server: LocalServer, spec: Spec) -> None:
    """Write `spec`'s projects (in the entity `spec.entity`, which `api`'s user may
    write to) into `server`; SpecError naming the part that cannot be seeded."""
    for project in spec.projects.values():
        _seed_project(api, server, spec.entity, project)


def _seed_project(api: Api, server: LocalServer, entity: str, spec: ProjectSpec) -> None:
    where = f"projects.{spec.name}"
    existing = _run_ids(api, entity, spec.name)
    clashes = sorted(existing & {run.id for run in spec.runs})
    if clashes:
        raise SpecError(f"{where}.runs", f"{entity}/{spec.name} has runs {clashes} already")
    project = api.create_project(spec.name, entity, spec.description)
    project_row = int(project.internal_id)
    for sweep in spec.sweeps:
        _insert_sweep(server, project_row, sweep, f"{where}.sweeps[{sweep.id}]")
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="runsapi-seed-") as scratch:
        for run_spec in spec.runs:
            runs[run_spec.id] = _seed_run(
                api, server, entity, spec.name, project_row, run_spec, Path(scratch)
            )
    for artifact in spec.artifacts:
        _seed_artifact(runs, artifact)
    for sweep in spec.sweeps:
        _set_best_loss(server, project_row, sweep)


def _run_ids(api: Api, entity: str, project: str) -> set[str]:
    try:
        with api.runs(f"{entity}/{project}", per_page=1000) as listed:
            return {run.id for run in listed}
    except NotFoundError:
        return set()


def _seed_run(
    api: Api,
    server: LocalServer,
    entity: str,
    project: str,
    project_row: int,
    spec: RunSpec,
    scratch: Path,
) -> Run:
    run = api.create_run(
        spec.id,
        project,
        entity,
        name=spec.name,
        group=spec.group,
        job_type=spec.job_type,
        tags=spec.tags or None,
        notes=spec.notes,
        config=spec.config or None,
    )
    if spec.files:
        root = scratch / spec.id
        for name, content in spec.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            run.upload_file(path, root)
    if spec.state in _BEFORE_FINISHING:
        run.update_state(spec.state)
    finish_run(
        api._session,
        run.run_path,
        spec.history,
        spec.final_summary,
        history_offset=0,
        exit_code=_FAILED_EXIT_CODE if spec.state == "failed" else 0,
    )
    if spec.state in _BY_STATE_CHANGE:
        run.update_state(spec.state)
    stored_state = (
        None
        if spec.state in {"finished", "failed", *_BY_STATE_CHANGE, *_BEFORE_FINISHING}
        else spec.state
    )
    if stored_state is not None or spec.sweep is not None:
        with server.store.write() as conn:
            conn.execute(
                "UPDATE runs SET state = coalesce(?, state), sweep_name = coalesce(?, sweep_name)"
                " WHERE project_id = ? AND name = ?",
                (stored_state, spec.sweep, project_row, spec.id),
            )
    return run


def _seed_artifact(runs: dict[str, Run], spec: ArtifactSpec) -> None:
    draft = ArtifactDraft(spec.name, spec.type, spec.description, spec.metadata)
    for name, content in spec.files.items():
        with draft.new_file(name, "wb") as handle:
            handle.write(content)
    logged = runs[spec.logged_by].log_artifact(draft, aliases=spec.aliases, tags=spec.tags)
    for run_id in spec.used_by:
        runs[run_id].use_artifact(logged)


def _sweep_config_text(config: dict[str, Any] | str) -> str:
    if isinstance(config, str):
        return config
    import yaml  # noqa: PLC0415

    return yaml.safe_dump(config, sort_keys=False)


def _insert_sweep(server: LocalServer, project_row: int, spec: SweepSpec, where: str) -> None:
    from runsapi.server import _sweeps  # noqa: PLC0415 (see the module docstring)

    with server.store.write() as conn:
        if _sweeps.sweep_by_name(conn, project_row, spec.id) is not None:
            raise SpecError(where, f"the project has a sweep {spec.id!r} already")
        _sweeps.insert_sweep(
            conn,
            project_row,
            spec.id,
            display_name=spec.name,
            method=spec.method,
            state=spec.state,
            config=_sweep_config_text(spec.config),
            run_count_expected=spec.expected_runs,
            created_at=datetime.now(timezone.utc).replace(tzinfo=None).isoformat(),
        )


def _set_best_loss(server: LocalServer, project_row: int, spec: SweepSpec) -> None:
    """The sweep's best loss from its runs' summaries, for a metric to minimize (W&B's
    `bestLoss`)."""
    metric = spec.metric
    if metric is None or metric[1] != "minimize":
        return
    from runsapi.server import _sweeps  # noqa: PLC0415

    with server.store.write() as conn:
        _sweeps.set_best_loss(conn, project_row, spec.id, metric[0])
