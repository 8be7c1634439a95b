"""Deterministic, realistic demo data: a project of runs with history, events, files and
artifacts. Everything derives from `SeedSpec.seed` (no wall clock), and sizes are
parameters, so the same call builds a 20-run demo or a 10,000-run benchmark."""

from __future__ import annotations

import hashlib
import json
import math
import random
import sqlite3
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from runsapi.server import (
    _accounts,
    _artifacts,
    _files,
    _history,
    _projects,
    _seed_artifacts,
    _seed_reports,
    _sweeps,
)
from runsapi.server._jsontext import dumps, dumps_queryable
from runsapi.server._store import Store
from runsapi.server._time import iso

EPOCH = datetime(2024, 1, 1, 9, 0, 0)
SECONDS_PER_STEP = 0.5
RUN_SPACING_SECONDS = 600
STATES = ("finished",) * 6 + ("running", "crashed", "failed", "killed")
GROUPS = ("baseline", "ablation", "scaling", None)
JOB_TYPES = ("train", "train", "eval", None)
TAGS = ("baseline", "prod", "debug", "gpu", "cpu", "v1", "v2", "best", "résumé")
OPTIMIZERS = ("adam", "adamw", "sgd")
ADJECTIVES = ("amber", "brisk", "calm", "dashing", "eager", "fancy", "gentle", "hardy")
NOUNS = ("river", "meadow", "comet", "forest", "harbor", "summit", "canyon", "breeze")
FILE_NAMES = (
    "wandb-metadata.json",
    "config.yaml",
    "output.log",
    "requirements.txt",
    "media/images/sample_0.png",
    "checkpoints/model.pt",
)
_PNG_HEADER = b"\x89PNG\r\n\x1a\n"
# Seeded sweeps alternate methods; each minimizes its runs' `loss` (their best_loss).
SWEEP_METHODS = ("bayes", "random")
SWEEP_METRIC = "loss"
# A sweep configuration as `wandb sweep` stores it: YAML.
SWEEP_CONFIG = """\
program: train.py
method: {method}
metric:
  name: {metric}
  goal: minimize
parameters:
  lr:
    distribution: log_uniform_values
    min: 1.0e-05
    max: 0.01
  batch_size:
    values: [16, 32, 64, 128]
  epochs:
    distribution: int_uniform
    min: 1
    max: 50
early_terminate:
  type: hyperband
  min_iter: 3
"""


@dataclass(frozen=True)
class SeedSpec:
    """What to generate. `steps` history rows and `events` system rows per run; sparse
    history keys appear every `sparse_every` steps (`eval/loss`) and every `rare_every`
    steps (`rare`); `files` files and (if `artifacts`) one model artifact per run; `reports`
    reports (W&B's saved views of type "runs") after the runs; with `jobs`, a W&B Launch
    job logged by the first run."""

    entity: str = "demo"
    project: str = "demo-project"
    runs: int = 20
    steps: int = 200
    events: int = 20
    files: int = 3
    artifacts: bool = True
    sweeps: int = 2
    reports: int = 3
    jobs: bool = False
    sparse_every: int = 100
    rare_every: int = 1000
    seed: int = 0


def bare_spec(
    entity: str, project: str, *, runs: int = 0, steps: int = 0, sweeps: int = 0
) -> SeedSpec:
    """Runs with `steps` history rows and nothing else (no system events, files,
    artifacts or reports): what benchmarks and query tests seed."""
    return SeedSpec(
        entity=entity,
        project=project,
        runs=runs,
        steps=steps,
        events=0,
        files=0,
        artifacts=False,
        sweeps=sweeps,
        reports=0,
    )


@dataclass(frozen=True)
class SeedResult:
    entity: str
    project: str
    project_id: int
    run_names: tuple[str, ...]


def _run_name(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(8))


def _config(rng: random.Random, index: int) -> dict[str, Any]:
    values: dict[str, Any] = {
        "lr": round(10 ** rng.uniform(-5, -2), 8),
        "batch_size": rng.choice((16, 32, 64, 128)),
        "epochs": rng.randint(1, 50),
        "optimizer": {"name": rng.choice(OPTIMIZERS), "betas": [0.9, 0.999]},
        "model": {
            "layers": rng.randint(2, 48),
            "dropout": round(rng.uniform(0.0, 0.5), 3),
            "activation": rng.choice(("relu", "gelu")),
        },
        "seed": index,
    }
    if index % 2 == 0:
        values["use_amp"] = rng.random() < 0.5
    if index % 5 == 0:
        values["experiment_name"] = rng.choice(("baseline", "big-batch", "warmup"))
    config: dict[str, Any] = {key: {"value": value, "desc": None} for key, value in values.items()}
    config["_wandb"] = {
        "value": {"cli_version": "0.31.0", "python_version": "3.11.7", "framework": "torch"},
        "desc": None,
    }
    return config


def _history_rows(rng: random.Random, spec: SeedSpec, lr: float) -> Iterator[dict[str, Any]]:
    decay = rng.uniform(1.0, 4.0) / max(spec.steps, 1)
    floor = rng.uniform(0.05, 0.3)
    start = EPOCH.timestamp()
    random_value = rng.random
    for step in range(spec.steps):
        noise = random_value() * 0.05
        loss = floor + 2.0 * math.exp(-decay * step) + noise
        row: dict[str, Any] = {
            "_step": step,
            "_runtime": step * SECONDS_PER_STEP,
            "_timestamp": start + step * SECONDS_PER_STEP,
            "loss": loss,
            "acc": 1.0 - loss / 3.0,
            "lr": lr,
        }
        if step % spec.sparse_every == 0:
            row["eval/loss"] = loss * 1.1
        if step % spec.rare_every == 0:
            row["rare"] = step
        if step % 97 == 13:  # sprinkle non-finite values, as diverging runs log them
            row["loss"] = math.nan
        if step % 211 == 17:
            row["grad_norm"] = math.inf
        yield row


def _event_rows(rng: random.Random, count: int) -> list[dict[str, Any]]:
    start = EPOCH.timestamp()
    return [
        {
            "_runtime": seq * 15.0,
            "_timestamp": start + seq * 15.0,
            "system.cpu": round(rng.uniform(5, 95), 1),
            "system.memory": round(rng.uniform(10, 80), 1),
            "system.gpu.0.gpu": round(rng.uniform(0, 100), 1),
            "system.gpu.0.memory": round(rng.uniform(0, 100), 1),
            "system.network.sent": seq * 1024,
        }
        for seq in range(count)
    ]


def _file_bytes(name: str, run: dict[str, Any], rng: random.Random) -> bytes:
    if name == "wandb-metadata.json":
        return json.dumps(
            {
                "os": "Linux-6.1.0-x86_64-with-glibc2.36",
                "python": "3.11.7",
                "host": run["host"],
                "program": "train.py",
                "args": ["--lr", str(run["lr"])],
                "startedAt": run["created_at"],
                "gpu": "NVIDIA A100-SXM4-40GB",
                "gpu_count": 1,
                "cpu_count": 8,
            },
            indent=2,
        ).encode()
    if name == "config.yaml":
        return f"lr:\n  value: {run['lr']}\nbatch_size:\n  value: 32\n".encode()
    if name == "output.log":
        return "".join(f"step {step}: loss={rng.random():.4f}\n" for step in range(20)).encode()
    if name == "requirements.txt":
        return b"torch==2.3.0\nnumpy==1.26.4\nwandb==0.31.0\n"
    return _PNG_HEADER + rng.randbytes(256)


def seeded_store(
    path: Path, spec: SeedSpec, *, others: Sequence[str] = ()
) -> tuple[Store, SeedResult]:
    """A new database at `path` holding the user `spec.entity` (and the users `others`)
    and `spec`'s project, owned and run by that user."""
    store = Store(path)
    with store.write() as conn:
        for username in (spec.entity, *others):
            _accounts.create_user(conn, username)
    return store, seed_project(store, spec, username=spec.entity)


def seed_project(
    store: Store, spec: SeedSpec | None = None, *, username: str = "demo"
) -> SeedResult:
    """Create the project of `spec` (owned by `spec.entity`, runs by `username`) in one
    transaction. The user and entity must exist; the project must not."""
    spec = spec or SeedSpec()
    rng = random.Random(spec.seed)
    with store.write() as conn:
        (user_id,) = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
        entity_id = _accounts.entity_id(conn, spec.entity)
        project_id, inserted = _projects.ensure_project(
            conn, entity_id, spec.project, user_id, created_at=iso(EPOCH)
        )
        if not inserted:
            raise ValueError(f"project {spec.entity}/{spec.project} exists already")
        sweeps = [f"sw{_run_name(rng)[:6]}" for _ in range(spec.sweeps)]
        for number, sweep in enumerate(sweeps):
            method = SWEEP_METHODS[number % len(SWEEP_METHODS)]
            _sweeps.insert_sweep(
                conn,
                project_id,
                sweep,
                display_name=f"sweep {sweep}",
                method=method,
                state="FINISHED",
                config=SWEEP_CONFIG.format(method=method, metric=SWEEP_METRIC),
                run_count_expected=10,
                created_at=iso(EPOCH),
            )
        names: list[str] = []
        dataset: int | None = None
        for index in range(spec.runs):
            run_id, name = _seed_run(conn, store, spec, project_id, user_id, index, sweeps)
            names.append(name)
            if not spec.artifacts:
                continue
            run_rng = random.Random(f"{spec.seed}:artifact:{index}")
            if dataset is None:
                dataset = _seed_artifacts.log_files(
                    conn,
                    store,
                    project_id,
                    run_id,
                    name="training-data",
                    type_name="dataset",
                    files=_seed_artifacts.dataset_files(random.Random(f"{spec.seed}:dataset")),
                    metadata={"rows": 60_000, "source": "synthetic"},
                    at=iso(EPOCH),
                )
            elif index % 2 == 1:
                _artifacts.link_artifact(conn, run_id, dataset, "input", "training-data")
            architecture = {"layers": run_rng.randint(2, 48), "activation": "gelu"}
            for version in range(1 + index % 2):
                _seed_artifacts.log_files(
                    conn,
                    store,
                    project_id,
                    run_id,
                    name=f"model-{name}",
                    type_name="model",
                    files=_seed_artifacts.model_files(run_rng, architecture),
                    metadata={"epoch": version, "val_acc": round(run_rng.random(), 4)},
                    tag_names=("candidate",) if version else (),
                    history_step=spec.steps - 1,
                    at=iso(EPOCH + timedelta(seconds=index * RUN_SPACING_SECONDS + version)),
                )
        for sweep in sweeps:
            _sweeps.set_best_loss(conn, project_id, sweep, SWEEP_METRIC)
        _seed_reports.add_reports(
            conn,
            project_id,
            user_id,
            names,
            count=spec.reports,
            rng=random.Random(f"{spec.seed}:reports"),
            start=EPOCH + timedelta(seconds=spec.runs * RUN_SPACING_SECONDS),
        )
        if spec.jobs and names:
            (first_run,) = conn.execute(
                "SELECT id FROM runs WHERE project_id = ? AND name = ?", (project_id, names[0])
            ).fetchone()
            _seed_artifacts.log_files(
                conn,
                store,
                project_id,
                first_run,
                name=_seed_artifacts.JOB_NAME,
                type_name="job",
                files=_seed_artifacts.job_files(),
                metadata={},
                at=iso(EPOCH),
            )
    return SeedResult(spec.entity, spec.project, project_id, tuple(names))


def _seed_run(
    conn: sqlite3.Connection,
    store: Store,
    spec: SeedSpec,
    project_id: int,
    user_id: int,
    index: int,
    sweeps: list[str],
) -> tuple[int, str]:
    rng = random.Random(f"{spec.seed}:run:{index}")
    name = _run_name(rng)
    state = rng.choice(STATES)
    created = EPOCH + timedelta(seconds=index * RUN_SPACING_SECONDS + rng.randint(0, 59))
    runtime = spec.steps * SECONDS_PER_STEP
    config = _config(rng, index)
    lr = config["lr"]["value"]
    final_loss = rng.uniform(0.05, 1.5)
    summary: dict[str, Any] = {
        "loss": math.nan if index % 10 == 4 else final_loss,  # a run that diverged
        "acc": 1.0 - final_loss / 3.0,
        "eval/loss": final_loss * 1.1,
        "best": {"acc": round(rng.uniform(0.5, 0.99), 4), "epoch": rng.randint(0, 10)},
        "grad_norm": math.inf if index % 7 == 3 else rng.uniform(0.1, 5),
        "_step": spec.steps - 1,
        "_runtime": runtime,
        "_timestamp": created.timestamp() + runtime,
    }
    tags = sorted(rng.sample(TAGS, rng.randint(0, 3)))
    host = f"node-{rng.randint(1, 16):02d}"
    cursor = conn.execute(
        "INSERT INTO runs (project_id, user_id, name, display_name, state, group_name, job_type,"
        " sweep_name, notes, commit_hash, host, tags, config, config_q, summary, summary_q,"
        " system_metrics, created_at, heartbeat_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            project_id,
            user_id,
            name,
            f"{rng.choice(ADJECTIVES)}-{rng.choice(NOUNS)}-{index + 1}",
            state,
            rng.choice(GROUPS),
            rng.choice(JOB_TYPES),
            sweeps[index % len(sweeps)] if sweeps and index % 3 == 0 else None,
            "tried a smaller learning rate" if index % 4 == 0 else None,
            hashlib.sha1(name.encode()).hexdigest(),
            host,
            dumps(tags),
            dumps(config),
            dumps_queryable(config),
            dumps(summary),
            dumps_queryable(summary),
            dumps({"cpu_count": 8, "gpu": "NVIDIA A100-SXM4-40GB", "gpu_count": 1}),
            iso(created),
            iso(created + timedelta(seconds=runtime)),
            iso(created + timedelta(seconds=runtime)),
        ),
    )
    run_id = int(cursor.lastrowid or 0)
    _history.append_history(conn, run_id, _history_rows(rng, spec, lr))
    _history.append_events(conn, run_id, _event_rows(rng, spec.events))
    details = {"host": host, "lr": lr, "created_at": iso(created)}
    names = FILE_NAMES[: spec.files]
    finished = iso(created + timedelta(seconds=runtime))
    for record in _files.files_by_name(conn, run_id, names, "", at=finished):
        content = _file_bytes(record["name"], details, rng)
        _files.write_file(store, conn, record["_row"], content, at=finished)
        if record["name"] == "output.log":
            conn.execute(
                "UPDATE runs SET log_line_count = ? WHERE id = ?", (content.count(b"\n"), run_id)
            )
    return run_id, name
